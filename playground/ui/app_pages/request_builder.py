"""Request builder: send any request to the authorization server or the API.

A view over `playground.tools.request_builder`: the text boxes are parsed and sent
there, through this session's tools world, as the client. The answer is shown
exactly as it crossed the wire.
"""

from __future__ import annotations

import streamlit as st

from mock_servers.demo import CLIENTS, USERS
from playground.tools import request_builder as rb
from playground.ui import state
from playground.views.raw_http import render_exchange
from playground.wire.exchange import Exchange
from playground.world import World

# widget keys
PRESET = "rb_preset"
LOAD_PRESET = "rb_load_preset"
TARGET = "rb_target"
METHOD = "rb_method"
PATH = "rb_path"
HEADERS = "rb_headers"
FIELDS = "rb_fields"
QUERY = "rb_query"
CLIENT = "rb_client"
ADD_CREDENTIALS = "rb_add_credentials"
SEND = "rb_send"

DEFAULTS = (
    (TARGET, rb.AS),
    (METHOD, "POST"),
    (PATH, "/token"),
    (HEADERS, ""),
    (FIELDS, "grant_type=client_credentials\nscope=photos.read"),
    (QUERY, ""),
    (CLIENT, "print-shop-service"),
)


def load_preset() -> None:
    preset = rb.PRESETS_BY_ID[st.session_state[PRESET]]
    st.session_state[TARGET] = preset.target
    st.session_state[METHOD] = preset.method
    st.session_state[PATH] = preset.path
    st.session_state[HEADERS] = preset.headers
    st.session_state[FIELDS] = preset.fields
    st.session_state[QUERY] = preset.query


def add_credentials() -> None:
    found = rb.credentials(st.session_state[CLIENT])
    st.session_state[HEADERS] = rb.add_lines(
        st.session_state[HEADERS], rb.headers_text(found.headers)
    )
    st.session_state[FIELDS] = rb.add_lines(
        st.session_state[FIELDS], rb.fields_text(found.fields)
    )


def client_label(client_id: str) -> str:
    demo = next(client for client in CLIENTS if client.client_id == client_id)
    return f"{client_id} ({demo.client_type})"


def presets_section() -> None:
    preset_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
    with preset_column:
        st.selectbox(
            "Start from an example",
            [preset.id for preset in rb.PRESETS],
            format_func=lambda preset: rb.PRESETS_BY_ID[preset].label,
            key=PRESET,
        )
    with button_column:
        st.button("Load", key=LOAD_PRESET, on_click=load_preset)


def credentials_section() -> None:
    client_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
    with client_column:
        st.selectbox(
            "Authenticate as a demo client",
            [client.client_id for client in CLIENTS],
            format_func=client_label,
            key=CLIENT,
        )
    with button_column:
        st.button("Add", key=ADD_CREDENTIALS, on_click=add_credentials)
    st.caption(rb.credentials(st.session_state[CLIENT]).note)
    with st.expander("The demo clients and users"):
        for client in CLIENTS:
            secret = (
                f"secret `{client.client_secret}`"
                if client.client_secret
                else "no secret"
            )
            grants = ", ".join(client.grant_types) or "none (introspection only)"
            st.markdown(
                f"**{client.client_id}** ({client.client_type}, {secret}): "
                f"{client.description} Grants: {grants}."
            )
        for user in USERS:
            st.markdown(f"User **{user.username}**, password `{user.password}`")


def show_answer(world: World, exchange: Exchange) -> None:
    response = exchange.response
    summary = f"HTTP {response.status} {response.reason}"
    if response.status < 400:
        st.success(summary)
    else:
        st.error(summary)
    challenge = response.header("WWW-Authenticate")
    if challenge:
        st.markdown("**WWW-Authenticate**")
        st.code(challenge, language=None, wrap_lines=True)
    st.markdown("**The exchange, as it crossed the wire**")
    st.code(render_exchange(exchange, pretty=True), language="http", wrap_lines=True)
    for nested in rb.caused_by(world, exchange):
        with st.expander(
            f"While answering, the {nested.sender} sent {nested.label} "
            f"to the {nested.receiver}"
        ):
            st.code(render_exchange(nested, pretty=True), language="http")


def main() -> None:
    state.init()
    world = state.tools_world()
    for key, value in DEFAULTS:
        st.session_state.setdefault(key, value)
    st.title("Request builder")
    st.markdown(
        "Compose any request to the authorization server or the photos API and "
        "send it as the client. Break it on purpose (a wrong secret, a missing "
        "field, no token) and read the server's exact answer."
    )
    presets_section()
    target_column, method_column, path_column = st.columns([2, 1, 3])
    with target_column:
        st.radio(
            "Target",
            list(rb.TARGETS),
            format_func=lambda target: rb.TARGET_LABELS[target],
            key=TARGET,
        )
    with method_column:
        st.selectbox("Method", rb.METHODS, key=METHOD)
    with path_column:
        st.text_input("Path", key=PATH)
    credentials_section()
    headers = st.text_area("Headers (one `Name: value` per line)", key=HEADERS)
    fields = st.text_area(
        "Form fields (one `name=value` per line, sent form-encoded)", key=FIELDS
    )
    query = st.text_area("Query parameters (one `name=value` per line)", key=QUERY)
    enabled = list(world.weaknesses)
    if enabled:
        st.caption(f"Weaknesses on in this world: {', '.join(enabled)}")
    try:
        request = rb.compose(
            st.session_state[TARGET],
            st.session_state[METHOD],
            st.session_state[PATH],
            headers,
            fields,
            query,
        )
    except rb.RequestBuilderError as problem:
        st.error(str(problem))
        request = None
    if st.button("Send", key=SEND, type="primary", disabled=request is None):
        if request is None:
            return
        try:
            exchange = rb.send(world, request)
        except rb.RequestBuilderError as problem:
            st.error(str(problem))
            return
        show_answer(world, exchange)


main()
