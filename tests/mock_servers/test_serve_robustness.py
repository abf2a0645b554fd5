"""The hostile tester's requests against `serve` on loopback, byte for byte.

Each was reproducible with one curl; each is sent here as the exact bytes on
the socket, and the exact answer is checked: the RFC's error, never a 500.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from mock_servers.http_limits import MAX_BODY_BYTES, MAX_HEADER_BYTES
from mock_servers.serve import REQUEST_HEAD_BYTES
from tests.fuzz.hostile import Answer, RawRequest, chunked, send_raw
from tests.mock_servers.loopback import Served, served

NOT_UTF8 = (
    "The Basic credentials are not base64 of UTF-8 text. (RFC 6749 2.3.1, RFC 7617 2)"
)
HOST_INVALID = "The Host header is not a host name or address (RFC 9112 3.2)."
FORM = ("Content-Type", "application/x-www-form-urlencoded")
# How long a test waits for an answer that comes at once when all is well.
PATIENCE = 10.0


@pytest.fixture(scope="module")
def running() -> Iterator[Served]:
    # alg none accepted: the unsigned tokens below reach the claim checks.
    with served(weaknesses=("rs.accept_alg_none",)) as running:
        yield running


def to_as(running: Served, request: RawRequest) -> Answer:
    return send_raw(running.as_port, request)


def to_api(running: Served, request: RawRequest) -> Answer:
    return send_raw(running.rs_port, request)


def json_of(answer: Answer) -> dict:
    return json.loads(answer.body)


def b64url_json(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_basic_not_utf8_is_401_invalid_client_with_a_challenge(
    running: Served, path: str
) -> None:
    answer = to_as(
        running,
        RawRequest(
            "POST",
            path,
            (("Authorization", "Basic //46/w=="), FORM),
            b"grant_type=client_credentials&token=x",
        ),
    )
    assert answer.status == 401
    assert json_of(answer) == {"error": "invalid_client", "error_description": NOT_UTF8}
    assert answer.header("WWW-Authenticate") == (
        f'Basic error="invalid_client", error_description="{NOT_UTF8}"'
    )


def test_two_authorization_headers_are_400_invalid_request(running: Served) -> None:
    good = "Basic " + base64.b64encode(b"print-shop-service:print-shop-secret").decode()
    answer = to_as(
        running,
        RawRequest(
            "POST",
            "/token",
            (("Authorization", good), ("Authorization", "Basic eDp5"), FORM),
            b"grant_type=client_credentials",
        ),
    )
    assert answer.status == 400
    assert json_of(answer)["error"] == "invalid_request"
    at_api = to_api(
        running,
        RawRequest(
            "GET",
            "/api/user",
            (("Authorization", "Bearer a"), ("Authorization", "Bearer b")),
        ),
    )
    assert at_api.status == 400
    assert (at_api.header("WWW-Authenticate") or "").startswith(
        'Bearer realm="photos-api", error="invalid_request"'
    )


def test_redirect_uri_with_cr_lf_is_an_error_page_not_a_split_header(
    running: Served,
) -> None:
    redirect_uri = quote("https://photoprint.test/callback\r\nX-Injected: yes", safe="")
    answer = to_as(
        running,
        RawRequest(
            "GET",
            "/authorize?response_type=code&client_id=photoprint"
            f"&redirect_uri={redirect_uri}"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256",
        ),
    )
    assert answer.status == 400
    assert answer.header("Location") is None
    assert answer.header("X-Injected") is None
    assert b'id="error-code"><code>invalid_request</code>' in answer.body


@pytest.mark.parametrize(
    ("host", "version", "status", "description"),
    [
        ("[::1", "HTTP/1.1", 400, HOST_INVALID),
        ("127.0.0.1:99999", "HTTP/1.1", 400, HOST_INVALID),
        ("", "HTTP/1.1", 400, HOST_INVALID),
        (None, "HTTP/1.1", 400, "The request has no Host header (RFC 9112 3.2)."),
    ],
)
def test_missing_or_malformed_host_is_400(
    running: Served, host: str | None, version: str, status: int, description: str
) -> None:
    answer = to_as(running, RawRequest("GET", "/", version=version, host=host))
    assert answer.status == status
    assert json_of(answer) == {
        "error": "invalid_request",
        "error_description": description,
    }


def test_http_1_0_without_host_is_for_the_address_it_reached(running: Served) -> None:
    answer = to_as(running, RawRequest("GET", "/", version="HTTP/1.0", host=None))
    assert answer.status == 200
    assert json_of(answer)["issuer"] == running.issuer


def test_two_host_headers_are_400(running: Served) -> None:
    # RFC 9112 3.2: "more than one Host header field line" -> 400.
    answer = to_as(
        running, RawRequest("GET", "/", (("Host", "127.0.0.1"), ("Host", "evil")))
    )
    assert answer.status == 400


def test_a_folded_header_line_is_400(running: Served) -> None:
    answer = to_as(running, RawRequest("GET", "/", (("X-A", "a\r\n b"),)))
    assert answer.status == 400
    assert answer.body == b"Folded header lines (obs-fold) are not accepted."


def test_a_non_loopback_host_is_still_421(running: Served) -> None:
    answer = to_as(running, RawRequest("GET", "/", host="attacker.example"))
    assert answer.status == 421


def test_jwt_whose_typ_is_a_list_is_401_invalid_token(running: Served) -> None:
    token = f"{b64url_json({'alg': 'RS256', 'typ': ['at+jwt']})}.{b64url_json({})}.c2ln"
    answer = to_api(
        running, RawRequest("GET", "/api/user", (("Authorization", f"Bearer {token}"),))
    )
    assert answer.status == 401
    assert json_of(answer)["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"exp": "soon"}, "InvalidClaimError: exp is not a number"),
        ({"sub": ["u-1001"]}, "InvalidClaimError: sub is not a string"),
    ],
)
def test_unsigned_jwt_with_a_claim_of_the_wrong_type_is_401(
    running: Served, claims: dict, description: str
) -> None:
    payload = {
        "iss": running.issuer,
        "aud": running.api,
        "sub": "u-1001",
        "client_id": "photoprint",
        "scope": "basic",
        "iat": 1,
        "exp": 9_999_999_999,
        "jti": "j",
        **claims,
    }
    token = f"{b64url_json({'alg': 'none', 'typ': 'at+jwt'})}.{b64url_json(payload)}."
    answer = to_api(
        running, RawRequest("GET", "/api/user", (("Authorization", f"Bearer {token}"),))
    )
    assert answer.status == 401
    assert json_of(answer) == {
        "error": "invalid_token",
        "error_description": description,
    }


def test_a_100_mb_body_is_refused_before_it_is_sent(running: Served) -> None:
    """Only the head is sent: the 413 comes back without the server waiting
    for (or keeping) a byte of the body."""
    with socket.create_connection(("127.0.0.1", running.as_port), PATIENCE) as s:
        s.sendall(
            b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert b"Connection: close" in head


def test_a_chunked_body_past_the_limit_is_413(running: Served) -> None:
    answer = to_as(
        running,
        RawRequest(
            "POST",
            "/token",
            (FORM, ("Transfer-Encoding", "chunked")),
            chunked(b"a=" + b"x" * MAX_BODY_BYTES),
        ),
    )
    assert answer.status == 413
    assert json_of(answer)["error_description"] == (
        f"The request body is larger than {MAX_BODY_BYTES} bytes."
    )


def test_header_fields_past_the_limit_are_431(running: Served) -> None:
    # Past the apps' limit: their JSON answer.
    answer = to_as(
        running, RawRequest("GET", "/", (("X-Big", "a" * MAX_HEADER_BYTES),))
    )
    assert answer.status == 431
    assert json_of(answer)["error"] == "invalid_request"
    # Past what Cheroot reads at all: its own 431, before any app.
    answer = to_as(
        running, RawRequest("GET", "/", (("X-Big", "a" * REQUEST_HEAD_BYTES),))
    )
    assert answer.status == 431
    assert answer.body.startswith(b"The request line and header fields add up")


@pytest.mark.parametrize("kind", ["silent", "half-closed"])
def test_idle_connections_never_keep_a_new_client_waiting(
    running: Served, kind: str
) -> None:
    """99 connections that send nothing (or close their side at once) hold
    no worker thread: a new client is answered while they are all still
    open. Before, each held a worker for Cheroot's 10 s timeout, and the new
    client waited for 99 / 4 of those."""
    idle = []
    try:
        for _ in range(99):
            s = socket.create_connection(("127.0.0.1", running.as_port), PATIENCE)
            if kind == "half-closed":
                s.shutdown(socket.SHUT_WR)
            idle.append(s)
        client = http.client.HTTPConnection(
            "127.0.0.1", running.as_port, timeout=PATIENCE
        )
        client.request("GET", "/.well-known/oauth-authorization-server")
        assert client.getresponse().status == 200
        client.close()
        if kind == "silent":
            # Still open: nothing to read, no end of stream.
            for s in idle:
                s.setblocking(False)
                with pytest.raises(BlockingIOError):
                    s.recv(1, socket.MSG_PEEK)
    finally:
        for s in idle:
            s.close()


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ((("Transfer-Encoding", '"'),), b""),  # not a token
        ((("Content-Length", "+5"),), b"a=b&c"),  # int() would take it
        ((("Content-Length", "5"), ("Transfer-Encoding", "chunked")), chunked(b"a=b")),
    ],
)
def test_body_framing_is_read_strictly(running: Served, headers, body: bytes) -> None:
    """RFC 9112 6: a Content-Length that is not digits, a Transfer-Encoding
    that is not a list of codings, or both at once: 400."""
    answer = to_as(running, RawRequest("POST", "/token", headers, body))
    assert answer.status == 400


def test_an_unknown_transfer_coding_is_501(running: Served) -> None:
    # RFC 9112 6.1: "SHOULD respond with 501 (Not Implemented)".
    answer = to_as(
        running, RawRequest("POST", "/token", (("Transfer-Encoding", "gzip"),), b"x")
    )
    assert answer.status == 501


@pytest.mark.parametrize("value", ["a\rb", "a\x00b"])
def test_cr_or_nul_in_a_header_value_is_400(running: Served, value: str) -> None:
    answer = to_as(running, RawRequest("GET", "/", (("Origin", value),)))
    assert answer.status == 400
    assert answer.body == b"A header value holds CR or NUL."
