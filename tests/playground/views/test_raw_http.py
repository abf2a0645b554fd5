"""Raw HTTP/1.1 text of recorded messages: exact on the wire, readable on screen."""

from __future__ import annotations

import json

import httpx
import pytest

from playground.views.raw_http import (
    parse_request,
    parse_response,
    render_exchange,
    render_request,
    render_response,
    wire_request,
    wire_response,
)
from playground.wire.exchange import Channel, Exchange, HttpRequest, HttpResponse, Party

FORM_BODY = (
    b"grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA"
    b"&redirect_uri=https%3A%2F%2Fphotoprint.test%2Fcallback"
)
TOKEN_REQUEST = HttpRequest(
    method="POST",
    url="https://auth.photos.test/token",
    headers=(
        ("Host", "auth.photos.test"),
        ("Accept", "*/*"),
        ("Content-Length", str(len(FORM_BODY))),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
    ),
    body=FORM_BODY,
)
TOKEN_JSON = b'{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer"}'
TOKEN_RESPONSE = HttpResponse(
    status=200,
    reason="OK",
    headers=(
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-store"),
    ),
    body=TOKEN_JSON,
)


def test_token_request_wire_form_is_exact():
    assert wire_request(TOKEN_REQUEST) == (
        b"POST /token HTTP/1.1\r\n"
        b"Host: auth.photos.test\r\n"
        b"Accept: */*\r\n"
        b"Content-Length: 111\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\n"
        b"\r\n" + FORM_BODY
    )
    assert len(FORM_BODY) == 111


def test_token_request_round_trips_through_raw_text():
    text = wire_request(TOKEN_REQUEST).decode("utf-8")
    assert parse_request(text) == TOKEN_REQUEST


def test_httpx_recorded_request_round_trips():
    recorded: list[httpx.Request] = []

    def authorization_server(request: httpx.Request) -> httpx.Response:
        recorded.append(request)
        return httpx.Response(200, json={"access_token": "at"})

    with httpx.Client(transport=httpx.MockTransport(authorization_server)) as client:
        client.post(
            "https://auth.photos.test/token",
            data={
                "grant_type": "authorization_code",
                "code": "abc",
                "redirect_uri": "https://photoprint.test/callback",
            },
            auth=("s6BhdRkqt3", "secret"),
        )
    sent = recorded[0]
    req = HttpRequest(
        method=sent.method,
        url=str(sent.url),
        headers=tuple(
            (k.decode("ascii"), v.decode("ascii")) for k, v in sent.headers.raw
        ),
        body=sent.content,
    )
    assert (req.header("Authorization") or "").startswith("Basic ")
    assert b"redirect_uri=https%3A%2F%2Fphotoprint.test%2Fcallback" in req.body
    assert parse_request(wire_request(req)) == req
    # httpx already sent Host, so it appears once and not twice.
    assert wire_request(req).count(b"Host:") == 1


def test_host_header_added_first_when_missing():
    req = HttpRequest(
        "GET",
        "https://api.photos.test/photos?limit=2&sort=new",
        headers=(("Authorization", "Bearer abc"),),
    )
    assert render_request(req) == (
        "GET /photos?limit=2&sort=new HTTP/1.1\n"
        "Host: api.photos.test\n"
        "Authorization: Bearer abc\n"
        "\n"
    )
    parsed = parse_request(wire_request(req))
    assert parsed.url == req.url
    assert parsed.headers == (("Host", "api.photos.test"), *req.headers)


def test_fragment_never_crosses_the_wire():
    req = HttpRequest("GET", "https://photoprint.test/callback#access_token=secret")
    assert b"secret" not in wire_request(req)
    assert parse_request(wire_request(req)).url == "https://photoprint.test/callback"


def test_empty_path_becomes_slash():
    wire = wire_request(HttpRequest("GET", "https://auth.photos.test"))
    assert wire.startswith(b"GET / HTTP/1.1\r\nHost: auth.photos.test\r\n")


def test_status_line_uses_reason_phrase():
    resp = HttpResponse(302, "Found", (("Location", "https://c.test/cb?code=x"),))
    assert wire_response(resp) == (
        b"HTTP/1.1 302 Found\r\nLocation: https://c.test/cb?code=x\r\n\r\n"
    )


def test_missing_reason_falls_back_to_http_status_phrase():
    assert wire_response(HttpResponse(401)).startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    # An unregistered status keeps the SP before the (empty) reason phrase.
    assert wire_response(HttpResponse(299)).startswith(b"HTTP/1.1 299 \r\n")


def test_token_response_round_trips():
    assert parse_response(wire_response(TOKEN_RESPONSE)) == TOKEN_RESPONSE
    text = wire_response(TOKEN_RESPONSE).decode()
    assert parse_response(text) == TOKEN_RESPONSE


def test_display_form_uses_newlines_not_crlf():
    text = render_response(TOKEN_RESPONSE)
    assert "\r" not in text
    assert text == wire_response(TOKEN_RESPONSE).decode().replace("\r\n", "\n")


def test_wrap_splits_long_body_without_losing_a_character():
    text = render_request(TOKEN_REQUEST, wrap=40)
    head, _, body = text.partition("\n\n")
    lines = body.split("\n")
    assert len(lines) == 3
    assert all(len(line) <= 40 for line in lines)
    assert "".join(lines).encode() == FORM_BODY
    # Headers are never wrapped, and the wire form is untouched by display options.
    assert "Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW" in head
    assert b"\r\n\r\n" + FORM_BODY in wire_request(TOKEN_REQUEST)


def test_wrap_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        render_request(TOKEN_REQUEST, wrap=0)


def test_binary_body_rendered_safely():
    resp = HttpResponse(200, "OK", (("Content-Type", "image/png"),), b"\x89PNG\x00\xff")
    assert render_response(resp).endswith("\n\n[6 bytes of binary data]")
    assert parse_response(wire_response(resp)).body == b"\x89PNG\x00\xff"


def test_utf8_body_with_control_bytes_treated_as_binary():
    resp = HttpResponse(200, "OK", (), b"abc\x00def")
    assert render_response(resp).endswith("[7 bytes of binary data]")


def test_pretty_json_only_in_display_form():
    pretty = render_response(TOKEN_RESPONSE, pretty=True)
    body = pretty.partition("\n\n")[2]
    assert body == json.dumps(json.loads(TOKEN_JSON), indent=2)
    assert wire_response(TOKEN_RESPONSE).endswith(TOKEN_JSON)
    assert render_response(TOKEN_RESPONSE).endswith(TOKEN_JSON.decode())


def test_pretty_leaves_non_json_bodies_alone():
    assert render_request(TOKEN_REQUEST, pretty=True).endswith(FORM_BODY.decode())


def test_render_exchange_shows_request_then_response():
    ex = Exchange(
        index=3,
        sender=Party.CLIENT,
        receiver=Party.AUTHORIZATION_SERVER,
        channel=Channel.BACK,
        request=TOKEN_REQUEST,
        response=TOKEN_RESPONSE,
    )
    text = render_exchange(ex)
    request, _, response = text.partition(FORM_BODY.decode() + "\n\n")
    assert request.startswith("POST /token HTTP/1.1\n")
    assert response == render_response(TOKEN_RESPONSE)


def test_render_exchange_with_empty_request_body_keeps_one_blank_line():
    ex = Exchange(
        0,
        Party.BROWSER,
        Party.AUTHORIZATION_SERVER,
        Channel.FRONT,
        HttpRequest("GET", "https://auth.photos.test/authorize?x=1"),
        HttpResponse(302, "Found", (("Location", "https://c.test/cb"),)),
    )
    assert render_exchange(ex) == (
        "GET /authorize?x=1 HTTP/1.1\n"
        "Host: auth.photos.test\n"
        "\n"
        "HTTP/1.1 302 Found\n"
        "Location: https://c.test/cb\n"
        "\n"
    )


def test_parse_rejects_text_that_is_not_http():
    with pytest.raises(ValueError, match="request line"):
        parse_request("hello\r\n\r\n")
    with pytest.raises(ValueError, match="status line"):
        parse_response("HTTP/1.1 OK\r\n\r\n")
    with pytest.raises(ValueError, match="blank line"):
        parse_request("GET / HTTP/1.1\r\nHost: a.test\r\n")
