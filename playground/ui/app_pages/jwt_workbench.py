"""JWT workbench: decode a token, edit its claims, sign it again, try it on the API.

A view only: decoding is `views.jwt_decoder`, forging `tools.jwt_forge`,
sending `tools.request_builder`. The tools' world is this session's own,
built with the session's keys, so tokens minted here verify only here.
"""

from __future__ import annotations

import json

import streamlit as st

from mock_servers.keys import SigningKey, generate_signing_key
from mock_servers.weaknesses import REGISTRY
from playground.tools import jwt_forge
from playground.tools.request_builder import (
    RS,
    RequestBuilderError,
    build_request,
    send,
)
from playground.ui import state
from playground.views.jwt_decoder import DecodedJwt, verify_jwt
from playground.views.raw_http import render_exchange
from playground.wire.exchange import Exchange
from playground.world import World

# widget keys
JWT_INPUT = "jwt_input"
JWT_CLAIMS = "jwt_claims"
JWT_SIGNING = "jwt_signing"
MINT_TOKEN = "mint_token"
SEND_TO_API = "send_to_api"
# other session keys of this page
CLAIMS_SOURCE = "jwt_claims_source"  # the token whose claims fill JWT_CLAIMS
WRONG_KEY = "jwt_wrong_key"  # the attacker's key, made once per session
MINT_PROBLEM = "jwt_mint_problem"

MINT_SCOPE = "basic email photos.read"
API_PATH = "/api/user"


def mint(world: World) -> None:
    """A real access token for alice: the password grant as PhotoPrint Mobile."""
    response = world.first_party_app.password("alice", "wonderland", MINT_SCOPE)
    if response.status_code == 200:
        st.session_state[JWT_INPUT] = response.json()["access_token"]
        st.session_state.pop(MINT_PROBLEM, None)
    else:
        st.session_state[MINT_PROBLEM] = (
            f"The token endpoint answered {response.status_code}: {response.text}"
        )


def wrong_key() -> SigningKey:
    if WRONG_KEY not in st.session_state:
        st.session_state[WRONG_KEY] = generate_signing_key()
    return st.session_state[WRONG_KEY]


def decode(world: World, token: str) -> DecodedJwt:
    """Judged by the world's one rule, as the lesson panels judge it."""
    return verify_jwt(token, world.token_trust(), at=world.clock.now())


def show_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("`", "'")


def show_decoded(decoded: DecodedJwt) -> None:
    st.markdown(f"**{decoded.kind}**")
    header_column, claims_column = st.columns(2)
    for column, title, rows in (
        (header_column, "Header", decoded.header_lines),
        (claims_column, "Claims", decoded.claim_lines),
    ):
        with column:
            st.markdown(f"#### {title}")
            for row in rows:
                st.markdown(
                    f"`{row.name}` = `{show_value(row.value)}`  \n{row.explanation}"
                )
    show_verdict(decoded)


def show_verdict(decoded: DecodedJwt) -> None:
    verdict = decoded.verification
    said_by = f" ({verdict.exception})" if verdict.exception else ""
    if verdict.status == "valid":
        st.success(f"Signature and claims verified: {verdict.reason}")
    elif verdict.status == "invalid":
        st.error(f"Would be refused{said_by}: {verdict.reason}")
    else:
        st.warning(verdict.reason)


def show_weakness_switches(world: World) -> None:
    with st.expander("Make the photos API careless (weaknesses)"):
        st.caption(
            "Secure by default (RFC 9700). Turn a switch on, send the same "
            "forged token, and watch the attack work."
        )
        for weakness in REGISTRY:
            if not weakness.name.startswith("rs."):
                continue
            on = st.checkbox(
                f"`{weakness.name}`: {weakness.description}",
                key=f"jwt_weak_{weakness.name.removeprefix('rs.')}",
                help=weakness.spec,
            )
            world.weaknesses.set(weakness.name, on)


def show_answer(exchange: Exchange) -> None:
    response = exchange.response
    if 200 <= response.status < 300:
        st.success(
            f"HTTP {response.status} {response.reason}: the photos API accepted "
            "the token."
        )
    else:
        st.error(
            f"HTTP {response.status} {response.reason}: the photos API refused "
            "the token."
        )
    challenge = response.header("WWW-Authenticate")
    if challenge:
        st.markdown("**WWW-Authenticate** (why, in RFC 6750 3's words):")
        st.code(challenge, language=None, wrap_lines=True)
    st.markdown("**The exchange, as it crossed the wire**")
    st.code(render_exchange(exchange, pretty=True), language="http", wrap_lines=True)


def forge_section(world: World, decoded: DecodedJwt) -> None:
    st.subheader("Edit the claims and sign again")
    if st.session_state.get(CLAIMS_SOURCE) != decoded.token:
        st.session_state[JWT_CLAIMS] = json.dumps(decoded.claims, indent=2)
        st.session_state[CLAIMS_SOURCE] = decoded.token
    claims_text = st.text_area("Claims (JSON)", key=JWT_CLAIMS, height=260)
    choice = st.radio(
        "Sign with",
        [forgery.id for forgery in jwt_forge.FORGERIES],
        format_func=lambda forgery: jwt_forge.BY_ID[forgery].label,
        key=JWT_SIGNING,
    )
    st.caption(jwt_forge.BY_ID[choice].explanation)
    try:
        claims = jwt_forge.parse_claims(claims_text)
        forged = jwt_forge.forge(
            choice,
            claims,
            key=world.deployment.as_settings.signing_key,
            wrong_key=wrong_key() if choice == jwt_forge.WRONG_KEY else None,
            original_token=decoded.token,
        )
    except jwt_forge.ForgeError as problem:
        st.error(str(problem))
        return
    st.markdown("**The new token**")
    st.code(forged, language=None, wrap_lines=True)
    verdict = decode(world, forged).verification
    st.caption(f"The decoder's verdict: {verdict.status}. {verdict.reason}")
    if st.button(f"Send to the API (GET {API_PATH})", key=SEND_TO_API):
        try:
            request = build_request(
                RS, "GET", API_PATH, headers=(("Authorization", f"Bearer {forged}"),)
            )
            exchange = send(world, request)
        except RequestBuilderError as problem:
            st.error(str(problem))
            return
        show_answer(exchange)


def main() -> None:
    state.init()
    world = state.tools_world()
    st.title("JWT workbench")
    st.markdown(
        "Paste a JWT to read it and check it against this session's "
        "authorization server keys, or get a fresh access token. Then change "
        "its claims, sign it again (properly, or the ways attackers try), and "
        "send it to the photos API."
    )
    show_weakness_switches(world)
    st.button(
        "Get a fresh token",
        key=MINT_TOKEN,
        on_click=mint,
        args=(world,),
        help="Password grant as PhotoPrint Mobile for alice (lesson 06), so the "
        "token has a user and the scope /api/user needs.",
    )
    if MINT_PROBLEM in st.session_state:
        st.error(st.session_state[MINT_PROBLEM])
    token = st.text_area(
        "JWT",
        key=JWT_INPUT,
        height=140,
        placeholder="eyJ... (header.payload.signature)",
    )
    if not token.strip():
        st.info("Paste a JWT above, or press **Get a fresh token**.")
        return
    decoded = decode(world, token)
    if not decoded.ok:
        st.error(f"This is not a JWT that can be read: {decoded.error}")
        if decoded.header or decoded.claims:
            with st.expander("The parts that did decode (not trusted)"):
                st.json({"header": decoded.header, "claims": decoded.claims})
        return
    show_decoded(decoded)
    forge_section(world, decoded)


main()
