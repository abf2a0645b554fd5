"""PKCE lab: watch a code verifier become a code challenge, and check a pair.

A view over `playground.pkce`, which computes each step of RFC 7636 4.2 and
checks it against Authlib, the library our authorization server runs on.
"""

from __future__ import annotations

import streamlit as st

from playground.ui import state
from playground.views import pkce
from playground.views.pkce import PkceExplanation

# widget keys
VERIFIER = "pkce_verifier"
GENERATE = "pkce_generate"
USE_PAIR = "pkce_use_pair"
CHECK_METHOD = "pkce_check_method"
CHECK_VERIFIER = "pkce_check_verifier"
CHECK_CHALLENGE = "pkce_check_challenge"


def generate() -> None:
    """A fresh verifier from the OS's CSPRNG, as RFC 7636 4.1 recommends."""
    st.session_state[VERIFIER] = pkce.generate_verifier()


def use_pair(verifier: str, challenge: str) -> None:
    st.session_state[CHECK_METHOD] = pkce.S256
    st.session_state[CHECK_VERIFIER] = verifier
    st.session_state[CHECK_CHALLENGE] = challenge


def show_steps(explanation: PkceExplanation) -> None:
    for label, value in explanation.steps():
        st.markdown(f"**{label}**")
        st.code(value, language=None, wrap_lines=True)


def transform_section() -> None:
    st.subheader("From code verifier to code challenge")
    st.session_state.setdefault(VERIFIER, "")
    st.button("Generate a code verifier", key=GENERATE, on_click=generate)
    verifier = st.text_input(
        "Code verifier (43 to 128 of A-Z a-z 0-9 - . _ ~)", key=VERIFIER
    )
    if not verifier:
        st.info("Type a code verifier, or press **Generate a code verifier**.")
        return
    s256 = pkce.explain(verifier, pkce.S256)
    if s256.verifier_valid:
        st.success(s256.verifier_message)
    else:
        st.warning(
            f"Not a valid code verifier: {s256.verifier_message}. An "
            "authorization server following RFC 7636 refuses it at the token "
            "endpoint, even if the challenge matches. The steps are shown anyway."
        )
    s256_column, plain_column = st.columns(2)
    with s256_column:
        st.markdown("#### S256 (use this)")
        st.caption(
            "code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) "
            "(RFC 7636 4.2). Only the hash travels in the authorization request."
        )
        show_steps(s256)
    with plain_column:
        st.markdown("#### plain (avoid)")
        st.caption(
            "code_challenge = code_verifier (RFC 7636 4.2). Whoever sees the "
            "authorization request learns the verifier; RFC 9700 2.1.1 asks for S256."
        )
        show_steps(pkce.explain(verifier, pkce.PLAIN))
    if s256.code_challenge is not None:
        st.button(
            "Check this pair below",
            key=USE_PAIR,
            on_click=use_pair,
            args=(verifier, s256.code_challenge),
        )


def check_section() -> None:
    st.subheader("Check a code verifier against a code challenge")
    st.caption(
        "What the authorization server does at the token endpoint (RFC 7636 4.6): "
        "transform the verifier it receives and compare with the challenge it "
        "stored with the authorization code."
    )
    method = st.radio(
        "code_challenge_method",
        pkce.METHODS,
        key=CHECK_METHOD,
        horizontal=True,
    )
    verifier = st.text_input("code_verifier (sent with the code)", key=CHECK_VERIFIER)
    challenge = st.text_input(
        "code_challenge (sent in the authorization request)", key=CHECK_CHALLENGE
    )
    if not verifier or not challenge:
        st.info("Fill in both a code verifier and a code challenge.")
        return
    result = pkce.check(verifier, challenge, method)
    if result.accepted:
        st.success(f"Match. {result.message}")
    elif result.matches:
        st.warning(f"Match, but refused. {result.message}")
    else:
        st.error(f"Mismatch. {result.message}")


def main() -> None:
    state.init()
    st.title("PKCE lab")
    st.markdown(
        "PKCE (RFC 7636) lets a client that has no secret prove that it is the "
        "one that started the flow: it keeps a random **code verifier**, sends "
        "its hash (the **code challenge**) with the authorization request, and "
        "shows the verifier when it trades the code for tokens."
    )
    transform_section()
    check_section()


main()
