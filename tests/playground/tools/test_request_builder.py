"""The request builder: text boxes to a request, sent through a real world."""

from __future__ import annotations

import base64
import json

import pytest

from playground.tools import request_builder as rb
from playground.wire.exchange import Party
from playground.world import World, WorldKeys


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


@pytest.fixture
def world(keys: WorldKeys) -> World:
    return World(keys=keys)


def test_client_credentials_token_request_returns_a_token(world: World) -> None:
    request = rb.build_request(
        rb.AS,
        "POST",
        "/token",
        headers=rb.credentials("print-shop-service").headers,
        fields=rb.parse_fields("grant_type=client_credentials\nscope=photos.read"),
    )
    exchange = rb.send(world, request)
    assert exchange.sender is Party.CLIENT
    assert exchange.receiver is Party.AUTHORIZATION_SERVER
    assert exchange.request.header("Content-Type") == rb.FORM_CONTENT_TYPE
    assert exchange.request.body == b"grant_type=client_credentials&scope=photos.read"
    assert exchange.response.status == 200
    body = json.loads(exchange.response.body)
    assert body["token_type"] == "Bearer"
    assert body["access_token"].count(".") == 2


def test_bad_secret_gets_401_with_www_authenticate(world: World) -> None:
    bad = rb.basic_authorization("print-shop-service", "not-the-secret")
    request = rb.compose(
        "AS",
        "POST",
        "/token",
        headers=f"Authorization: {bad}",
        fields="grant_type=client_credentials",
    )
    exchange = rb.send(world, request)
    assert exchange.response.status == 401
    assert "invalid_client" in (exchange.response.header("WWW-Authenticate") or "")


def test_api_without_token_gets_bare_401(world: World) -> None:
    exchange = rb.send(world, rb.compose("RS", "GET", "/api/user"))
    assert exchange.receiver is Party.RESOURCE_SERVER
    assert exchange.response.status == 401
    assert exchange.response.header("WWW-Authenticate") == (
        'Bearer realm="photos-api", '
        'resource_metadata="https://api.photos.test/.well-known/oauth-protected-resource"'
    )


def test_send_returns_the_clients_exchange_not_the_apis_own(world: World) -> None:
    token = world.service.client_credentials("photos.read").json()["access_token"]
    request = rb.compose(
        "RS", "GET", "/api/photos", headers=f"Authorization: Bearer {token}"
    )
    exchange = rb.send(world, request)
    assert exchange.label == "GET /api/photos"
    assert exchange.response.status == 200
    nested = rb.caused_by(world, exchange)
    assert [item.label for item in nested] == ["GET /jwks.json"]
    assert nested[0].sender is Party.RESOURCE_SERVER


def test_every_preset_builds_and_gets_an_answer(world: World) -> None:
    for preset in rb.PRESETS:
        request = rb.compose(
            preset.target,
            preset.method,
            preset.path,
            preset.headers,
            preset.fields,
            preset.query,
        )
        status = rb.send(world, request).response.status
        expected = 401 if preset.id == "api_no_token" else 200
        assert status == expected, preset.id


def test_query_is_encoded_into_the_url() -> None:
    request = rb.compose("AS", "get", "/authorize", query="scope=basic email\nx=a&b")
    assert request.method == "GET"
    assert request.url == (
        "https://auth.photos.test/authorize?scope=basic+email&x=a%26b"
    )
    assert request.body == b""


def test_parse_headers_keeps_order_and_duplicates() -> None:
    text = "Accept: application/json\n\nX-Trace:  a \nX-Trace: b"
    assert rb.parse_headers(text) == (
        ("Accept", "application/json"),
        ("X-Trace", "a"),
        ("X-Trace", "b"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Accept application/json", "Header line 1 has no colon"),
        ("Accept: a\nBad Name: x", "Header line 2: 'Bad Name' is not a header name"),
        (": value", "is not a header name"),
        ("X-Name: caf\u00e9", "outside printable ASCII"),
        ("Content-Length: 3", "set by the builder"),
    ],
)
def test_bad_header_line_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(rb.RequestBuilderError, match=message):
        rb.parse_headers(text)


def test_bad_field_line_is_a_clear_error() -> None:
    with pytest.raises(rb.RequestBuilderError, match="Line 2 is not `name=value`"):
        rb.parse_fields("grant_type=client_credentials\nscope photos.read")


def test_unknown_target_is_a_clear_error() -> None:
    with pytest.raises(rb.RequestBuilderError, match=r"Unknown target 'evil'.*AS ="):
        rb.build_request("evil", "GET", "/")


@pytest.mark.parametrize("path", ["token", "https://evil.example/token"])
def test_path_must_stay_on_the_target(path: str) -> None:
    with pytest.raises(rb.RequestBuilderError, match="must start with /"):
        rb.build_request("AS", "GET", path)


def test_bad_method_is_a_clear_error() -> None:
    with pytest.raises(rb.RequestBuilderError, match="not an HTTP method"):
        rb.build_request("AS", "GE T", "/")


def test_basic_authorization_form_encodes_then_base64s() -> None:
    # RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding.
    value = rb.basic_authorization("a b", "p:w")
    assert base64.b64decode(value.removeprefix("Basic ")) == b"a+b:p%3Aw"


def test_credentials_for_public_and_confidential_clients() -> None:
    public = rb.credentials("photo-gallery-spa")
    assert public.headers == ()
    assert public.fields == (("client_id", "photo-gallery-spa"),)
    confidential = rb.credentials("photoprint")
    assert confidential.fields == ()
    assert confidential.headers[0][0] == "Authorization"
    with pytest.raises(rb.RequestBuilderError, match="No demo client"):
        rb.credentials("nobody")


def test_add_lines_appends_on_a_new_line() -> None:
    assert rb.add_lines("", "a=b") == "a=b"
    assert rb.add_lines("x=y\n", "a=b") == "x=y\na=b"
    assert rb.add_lines("x=y", "") == "x=y"
