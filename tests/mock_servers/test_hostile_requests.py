"""The hostile tester's requests (issue "Reliability"), in process: each one
used to be a 500; each now gets the answer its RFC names.

Requests that httpx would not send (two Authorization lines, a malformed
Host) are given to the app as the WSGI environ a server makes of them, with
repeated header lines joined by a comma (RFC 9110 5.3), as `serve` does.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from mock_servers.http_limits import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_TARGET_BYTES
from tests.fuzz.hostile import Answer, RawRequest, call_app, environ_for
from tests.mock_servers.servers import (
    API_URL,
    ISSUER,
    PKCE,
    WEB_CLIENT,
    WEB_REDIRECT,
    Servers,
    client_assertion,
    form_value,
)

NOT_UTF8_BASIC = "Basic //46/w=="  # base64 of the bytes ff fe 3a ff
NOT_UTF8 = (
    "The Basic credentials are not base64 of UTF-8 text. (RFC 6749 2.3.1, RFC 7617 2)"
)
PHOTOPRINT_BASIC = "Basic " + base64.b64encode(b"photoprint:photoprint-secret").decode()
TWO_CREDENTIALS = (
    "The request carries more than one Authorization credential. "
    "RFC 6749 2.3 allows one per request."
)
HEADER_ONLY = "The Authorization header must be 'Bearer <access token>'."


def send_to(servers: Servers, request: RawRequest, api: bool = False) -> Answer:
    deployment = servers.deployment
    app = deployment.resource_server if api else deployment.authorization_server
    host = (API_URL if api else ISSUER).removeprefix("https://")
    return call_app(app, environ_for(request, host))


def form(**params: str) -> bytes:
    return urlencode(params).encode()


def b64url_json(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- client authentication ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/token", {"grant_type": "client_credentials"}),
        ("/introspect", {"token": "x"}),
        ("/revoke", {"token": "x"}),
    ],
)
def test_basic_credentials_that_are_not_utf8_are_401_invalid_client(
    servers: Servers, path: str, params: dict[str, str]
) -> None:
    response = servers.auth.post(
        path, data=params, headers={"Authorization": NOT_UTF8_BASIC}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": NOT_UTF8}
    # RFC 6749 5.2: a challenge matching the scheme the client used.
    assert response.headers["www-authenticate"] == (
        f'Basic error="invalid_client", error_description="{NOT_UTF8}"'
    )
    (failed,) = servers.deployment.events.named("client.authentication.failed")
    assert failed.client_id is None


def test_two_authorization_headers_at_the_token_endpoint_are_invalid_request(
    servers: Servers,
) -> None:
    answer = send_to(
        servers,
        RawRequest(
            "POST",
            "/token",
            (
                ("Authorization", PHOTOPRINT_BASIC),
                ("Authorization", "Basic eDp5"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ),
            form(grant_type="client_credentials"),
        ),
    )
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "error": "invalid_request",
        "error_description": TWO_CREDENTIALS,
    }


@pytest.mark.parametrize(
    ("app_is_api", "path"), [(True, "/api/user"), (False, "/userinfo")]
)
def test_two_authorization_headers_at_a_protected_resource_are_invalid_request(
    servers: Servers, app_is_api: bool, path: str
) -> None:
    answer = send_to(
        servers,
        RawRequest(
            "GET", path, (("Authorization", "Bearer a"), ("Authorization", "Bearer b"))
        ),
        api=app_is_api,
    )
    # RFC 6750 3.1: "uses more than one method for including an access token,
    # or is otherwise malformed" -> 400 invalid_request.
    assert answer.status == 400
    assert json.loads(answer.body)["error"] == "invalid_request"
    assert 'error="invalid_request"' in (answer.header("WWW-Authenticate") or "")


def test_client_assertion_with_a_crit_header_is_invalid_client(
    servers: Servers,
) -> None:
    key = servers.deployment.client_keys["print-shop-service"]
    claims = json.loads(
        base64.urlsafe_b64decode(client_assertion(servers).split(".")[1] + "==")
    )
    import jwt  # the real key signs it: only the crit header is wrong

    assertion = jwt.encode(
        claims,
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid, "crit": [1]},
    )
    response = servers.auth.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ),
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The client assertion's crit header names extensions "
        "this server does not support (RFC 7515 4.1.11).",
    }


# -- the authorization endpoint and the resource owner's pages --------------------


def test_redirect_uri_with_cr_lf_is_refused_on_the_error_page(servers: Servers) -> None:
    response = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": WEB_CLIENT[0],
                "redirect_uri": WEB_REDIRECT + "\r\nX-Injected: yes",
                **PKCE,
            }
        )
    )
    # RFC 6749 4.1.2.1: never redirect to an unverified redirect URI.
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "x-injected" not in response.headers
    assert form_error(response.text) == (
        "invalid_request",
        "Redirect URI https://photoprint.test/callback??X-Injected: yes "
        "is not supported by client.",
    )


def test_loopback_redirect_uri_with_cr_lf_inside_never_matches(
    servers: Servers,
) -> None:
    # urlsplit drops CR and LF, so "/call\r\nback" parsed as "/callback" and
    # matched the native app's loopback URI: the Location then split.
    response = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "photo-uploader-native",
                "redirect_uri": "http://127.0.0.1:4000/call\r\nback",
                **PKCE,
            }
        )
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_response_type_with_a_quote_is_unsupported_response_type(
    servers: Servers,
) -> None:
    response = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": 'code"',
                "client_id": WEB_CLIENT[0],
                "redirect_uri": WEB_REDIRECT,
                "state": "s",
            }
        )
    )
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["location"]).query)
    assert params["error"] == ["unsupported_response_type"]
    assert params["error_description"] == ["response_type=code' is not supported"]


def test_prompt_with_a_quote_is_invalid_request_at_the_client(servers: Servers) -> None:
    response = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": WEB_CLIENT[0],
                "redirect_uri": WEB_REDIRECT,
                "scope": "basic",
                "state": "s",
                "prompt": 'login"',
                **PKCE,
            }
        )
    )
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["location"]).query)
    assert params["error"] == ["invalid_request"]
    assert params["error_description"] == [
        "Unsupported prompt value login'; this server supports none, login, "
        "consent, select_account."
    ]


def sign_in_page(servers: Servers):
    return servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": WEB_CLIENT[0],
                "redirect_uri": WEB_REDIRECT,
                "scope": "basic",
                **PKCE,
            }
        )
    )


def form_error(html: str) -> tuple[str, str]:
    code = html.split('id="error-code"><code>')[1].split("<")[0]
    description = html.split('id="error-description">')[1].split("<")[0]
    return code, description.replace("&#39;", "'")


def test_sign_in_with_a_non_ascii_csrf_token_is_refused(servers: Servers) -> None:
    page = sign_in_page(servers)
    response = servers.auth.post(
        "/login",
        data={
            "username": "alice",
            "password": "wonderland",
            "interaction": form_value(page.text, "interaction"),
            "csrf_token": "é",
        },
    )
    assert response.status_code == 400
    assert form_error(response.text) == (
        "invalid_request",
        "The sign-in form's CSRF token is missing or wrong.",
    )


def test_consent_with_a_non_ascii_csrf_token_keeps_the_request(
    servers: Servers,
) -> None:
    page = sign_in_page(servers)
    signed_in = servers.sign_in(page)
    consent = servers.auth.get(signed_in.headers["location"])
    interaction = form_value(consent.text, "interaction")
    response = servers.auth.post(
        "/consent",
        data={"interaction": interaction, "csrf_token": "é\x00", "decision": "approve"},
    )
    assert response.status_code == 400
    assert form_error(response.text) == (
        "invalid_request",
        "The consent form's CSRF token is missing or wrong.",
    )
    # The right token still works: the pending request was kept.
    assert servers.decide(consent).status_code == 302


@pytest.mark.parametrize(
    "interaction", ["%ff%00", "a&interaction=b", "\u202e" * 50, "[::1"]
)
def test_resume_with_a_hostile_interaction_is_refused(
    servers: Servers, interaction: str
) -> None:
    sign_in_page(servers)  # this browser has a real request waiting
    response = servers.auth.get(f"/authorize/resume?interaction={interaction}")
    assert response.status_code == 400
    assert form_error(response.text)[0] == "invalid_request"


# -- Host, sizes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "description"),
    [
        ("[::1", "The Host header is not a host name or address (RFC 9112 3.2)."),
        ("", "The Host header is not a host name or address (RFC 9112 3.2)."),
        (
            "auth.photos.test:99999",
            "The Host header is not a host name or address (RFC 9112 3.2).",
        ),
        (None, "The request has no Host header (RFC 9112 3.2)."),
    ],
)
def test_missing_or_malformed_host_is_400(
    servers: Servers, host: str | None, description: str
) -> None:
    answer = send_to(servers, RawRequest("GET", "/authorize", host=host))
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "error": "invalid_request",
        "error_description": description,
    }


def test_http_1_0_without_host_is_answered(servers: Servers) -> None:
    answer = send_to(servers, RawRequest("GET", "/", version="HTTP/1.0", host=None))
    assert answer.status == 200


def test_body_larger_than_the_limit_is_413_before_it_is_read(servers: Servers) -> None:
    # The Content-Length promises 100 MB; the app refuses without reading.
    request = RawRequest(
        "POST",
        "/token",
        (("Content-Length", "100000000"),),
        b"grant_type=client_credentials",
    )
    answer = send_to(servers, request)
    assert answer.status == 413
    assert json.loads(answer.body) == {
        "error": "invalid_request",
        "error_description": (
            f"The request body is larger than {MAX_BODY_BYTES} bytes."
        ),
    }


def test_chunked_body_larger_than_the_limit_is_413(servers: Servers) -> None:
    environ = environ_for(
        RawRequest(
            "POST",
            "/token",
            (("Content-Type", "application/x-www-form-urlencoded"),),
            b"a=" + b"x" * (MAX_BODY_BYTES + 1),
        ),
        ISSUER.removeprefix("https://"),
    )
    # A chunked body: no Content-Length, the server marks the stream ended.
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    answer = call_app(servers.deployment.authorization_server, environ)
    assert answer.status == 413


def test_header_fields_larger_than_the_limit_are_431(servers: Servers) -> None:
    answer = send_to(
        servers,
        RawRequest("GET", "/api/user", (("X-Big", "a" * MAX_HEADER_BYTES),)),
        api=True,
    )
    assert answer.status == 431
    assert json.loads(answer.body)["error_description"] == (
        f"The header fields add up to more than {MAX_HEADER_BYTES} bytes."
    )


def test_request_target_longer_than_the_limit_is_414(servers: Servers) -> None:
    answer = send_to(
        servers, RawRequest("GET", "/authorize?state=" + "a" * MAX_TARGET_BYTES)
    )
    assert answer.status == 414


# -- the API: JWTs whose unverified parts have the wrong type -----------------------


def test_jwt_whose_typ_is_a_list_is_401_invalid_token(servers: Servers) -> None:
    token = f"{b64url_json({'alg': 'RS256', 'typ': ['at+jwt']})}.{b64url_json({})}.c2ln"
    response = servers.call_api(token)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": ("typ is ['at+jwt'], not 'at+jwt': not an access token"),
    }


def unsigned(**claims: object) -> str:
    payload = {
        "iss": ISSUER,
        "aud": API_URL,
        "sub": "u-1001",
        "client_id": "photoprint",
        "scope": "basic",
        "iat": 1,
        "exp": 9_999_999_999,
        "jti": "j",
        **claims,
    }
    header = b64url_json({"alg": "none", "typ": "at+jwt"})
    return f"{header}.{b64url_json(payload)}."


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"exp": "soon"}, "InvalidClaimError: exp is not a number"),
        ({"exp": float("nan")}, "InvalidClaimError: exp is not a number"),
        ({"exp": True}, "InvalidClaimError: exp is not a number"),
        ({"sub": ["u-1001"]}, "InvalidClaimError: sub is not a string"),
        ({"client_id": {"a": 1}}, "InvalidClaimError: client_id is not a string"),
        ({"scope": ["basic"]}, "InvalidClaimError: scope is not a string"),
    ],
)
def test_unsigned_jwt_with_a_claim_of_the_wrong_type_is_401_even_with_alg_none_on(
    make, claims: dict[str, object], description: str
) -> None:
    servers = make(weaknesses=["rs.accept_alg_none"])
    assert servers.call_api(unsigned()).status_code == 200  # the weakness is on
    response = servers.call_api(unsigned(**claims))
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }


@pytest.mark.parametrize(
    "authorization",
    ["Bearer a b", "Bearer a, Bearer b", "Bearer é", "Bearer  ", "Bearer a\tb"],
)
def test_bearer_credentials_that_are_not_a_b64token_are_invalid_request(
    servers: Servers, authorization: str
) -> None:
    answer = send_to(
        servers,
        RawRequest("GET", "/api/user", (("Authorization", authorization),)),
        True,
    )
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "error": "invalid_request",
        "error_description": HEADER_ONLY,
    }
