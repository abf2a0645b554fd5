"""The device authorization grant (RFC 8628), through real HTTP requests.

The TV polls the token endpoint on the world's clock; a person signs in on
another browser, types the user code and decides. Every RFC 8628 3.5 answer
is asserted exactly, with the RFC 6749 5.2 ones for a bad device code.
"""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
import jwt
import pytest

from mock_servers.clock import Clock
from mock_servers.deployment import ISSUER
from mock_servers.device_authorization import (
    USER_CODE_CHARSET,
    normalize_user_code,
)
from tests.mock_servers.servers import Servers, form_value, make_servers

TV = "photoframe-tv"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START = 1_798_761_600
TV_ADDRESS = "198.51.100.7"


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=START)


@pytest.fixture
def servers(clock: Clock) -> Servers:
    return make_servers(clock=clock, seed="device")


def device_client(servers: Servers, address: str = TV_ADDRESS) -> httpx.Client:
    """The TV: its own network address, as the AS sees it."""
    transport = httpx.WSGITransport(
        app=servers.deployment.authorization_server, remote_addr=address
    )
    return httpx.Client(
        transport=transport,
        base_url=ISSUER,
        headers={"User-Agent": "PhotoFrameTV/2.1"},
    )


def start(tv: httpx.Client, **data: str) -> dict:
    form = {"client_id": TV, "scope": "basic photos.read", **data}
    response = tv.post("/device_authorization", data=form)
    assert response.status_code == 200, response.text
    return response.json()


def poll(tv: httpx.Client, device_code: str, client_id: str = TV) -> httpx.Response:
    return tv.post(
        "/token",
        data={
            "grant_type": DEVICE_GRANT,
            "device_code": device_code,
            "client_id": client_id,
        },
    )


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body.get("error_description", "")


def enter_code(
    browser: httpx.Client, user_code: str, username: str = "alice"
) -> httpx.Response:
    """Sign in at the verification URI and submit the code: the consent page."""
    page = browser.get("/device")
    assert 'id="device-login"' in page.text
    signed_in = browser.post(
        "/device/login",
        data={
            "csrf_token": form_value(page.text, "csrf_token"),
            "username": username,
            "password": {"alice": "wonderland", "bob": "builder"}[username],
            "user_code": "",
        },
    )
    assert signed_in.status_code == 303
    code_page = browser.get(signed_in.headers["location"])
    assert 'id="device-code-form"' in code_page.text
    return browser.post(
        "/device",
        data={
            "csrf_token": form_value(code_page.text, "csrf_token"),
            "user_code": user_code,
        },
    )


def decide(browser: httpx.Client, consent: httpx.Response, decision: str):
    return browser.post(
        "/device/consent",
        data={
            "csrf_token": form_value(consent.text, "csrf_token"),
            "user_code": form_value(consent.text, "user_code"),
            "decision": decision,
        },
    )


def test_device_authorization_response_has_every_rfc_8628_field(servers):
    tv = device_client(servers)
    response = tv.post(
        "/device_authorization", data={"client_id": TV, "scope": "photos.read"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert body["verification_uri"] == f"{ISSUER}/device"
    assert body["verification_uri_complete"] == (
        f"{ISSUER}/device?user_code={body['user_code']}"
    )
    assert (body["expires_in"], body["interval"]) == (600, 5)
    # RFC 8628 6.1: two groups of four from the base-20 set, a dash between.
    assert re.fullmatch(
        rf"[{USER_CODE_CHARSET}]{{4}}-[{USER_CODE_CHARSET}]{{4}}", body["user_code"]
    )
    assert len(body["device_code"]) >= 40


def test_user_code_entry_ignores_case_and_dashes():
    assert normalize_user_code("wdjb-mjht") == "WDJBMJHT"
    assert normalize_user_code(" WdJb MjHt ") == "WDJBMJHT"


def test_metadata_advertises_the_device_endpoint_and_grant(servers):
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert metadata["device_authorization_endpoint"] == (
        f"{ISSUER}/device_authorization"
    )
    assert DEVICE_GRANT in metadata["grant_types_supported"]


def test_poll_before_the_user_decides_is_authorization_pending(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "authorization_pending",
        "The user has not yet approved or denied the request; poll again in 5 s.",
    )


def test_polling_too_fast_is_slow_down_and_the_interval_grows_by_5_s(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"]))[1] == "authorization_pending"
    clock.advance(2)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "slow_down",
        "Polled 2 s after the last request: wait at least 10 s between "
        "requests from now on.",
    )
    # "for this and all subsequent requests": 5 s is now too soon.
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"]))[:2] == (400, "slow_down")
    clock.advance(15)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "authorization_pending",
        "The user has not yet approved or denied the request; poll again in 15 s.",
    )
    [*_, last] = servers.deployment.events.named("device_code.slow_down")
    assert last.detail == "polled 5 s after the last request; interval now 15 s"


def test_approved_device_gets_tokens_for_the_user_once(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    phone = servers.new_browser()
    consent = enter_code(phone, device["user_code"].lower().replace("-", ""))
    assert consent.status_code == 200
    done = decide(phone, consent, "approve")
    assert "your device is connected" in done.text
    clock.advance(5)
    response = poll(tv, device["device_code"])
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "basic photos.read"
    assert "refresh_token" in tokens  # registered for refresh_token
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["client_id"], claims["aud"]) == (
        "u-1001",
        TV,
        servers.deployment.rs_settings.url,
    )
    assert servers.call_api(tokens["access_token"], "/api/photos").status_code == 200
    # One device code, one set of tokens (RFC 6749 5.2).
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "invalid_grant",
        "The device code was already used.",
    )


def test_denied_request_is_access_denied(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    phone = servers.new_browser()
    denied = decide(phone, enter_code(phone, device["user_code"]), "deny")
    assert "You denied the request" in denied.text
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "access_denied",
        "The user denied the request.",
    )


def test_expired_device_code_is_expired_token(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    clock.advance(600)
    assert error_of(poll(tv, device["device_code"])) == (
        400,
        "expired_token",
        f"The device code expired at {START + 600} (now {START + 600}). Start "
        "again with a new device authorization request.",
    )
    # An expired code can no longer be entered either.
    phone = servers.new_browser()
    refused = enter_code(phone, device["user_code"])
    assert refused.status_code == 400
    assert "That code is wrong or has expired" in refused.text


def test_device_code_of_another_client_is_invalid_grant(servers, clock):
    tv = device_client(servers)
    device = start(tv)
    clock.advance(5)
    response = tv.post(
        "/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device["device_code"]},
        auth=("photoprint", "photoprint-secret"),
    )
    # PhotoPrint is not registered for the device grant at all.
    assert error_of(response) == (
        400,
        "unauthorized_client",
        "The client photoprint is not registered for the device authorization grant.",
    )


def test_device_code_issued_to_another_device_client_is_invalid_grant(servers, clock):
    store = servers.deployment.store
    tv_client = store.client(TV)
    assert tv_client is not None
    store.add_client(replace(tv_client, client_id="other-tv", client_name="Other TV"))
    tv = device_client(servers)
    device = start(tv)
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"], client_id="other-tv")) == (
        400,
        "invalid_grant",
        "The device code was issued to another client.",
    )


def test_unknown_device_code_is_invalid_grant_and_missing_is_invalid_request(
    servers,
):
    tv = device_client(servers)
    assert error_of(poll(tv, "no-such-code")) == (
        400,
        "invalid_grant",
        "Invalid 'device_code' in request.",
    )
    response = tv.post("/token", data={"grant_type": DEVICE_GRANT, "client_id": TV})
    assert error_of(response) == (
        400,
        "invalid_request",
        "Missing 'device_code' in request.",
    )


def test_unknown_client_at_device_authorization_is_invalid_client(servers):
    tv = device_client(servers)
    response = tv.post("/device_authorization", data={"client_id": "nobody"})
    # RFC 6749 5.2: 401 is a MUST only for a client that tried the
    # Authorization header; this one sent only its client_id.
    assert error_of(response) == (
        400,
        "invalid_client",
        "The client does not exist on this server.",
    )
    with_basic = tv.post("/device_authorization", auth=("nobody", "secret"))
    assert with_basic.status_code == 401
    assert with_basic.json()["error"] == "invalid_client"
    assert with_basic.headers["www-authenticate"].startswith("Basic ")


def test_client_without_the_device_grant_is_unauthorized_client(servers):
    tv = device_client(servers)
    response = tv.post(
        "/device_authorization",
        data={"client_id": "photo-gallery-spa", "scope": "basic"},
    )
    assert error_of(response) == (
        400,
        "unauthorized_client",
        "The client photo-gallery-spa is not registered for the device "
        "authorization grant.",
    )


def test_scope_beyond_the_registration_is_invalid_scope(servers):
    tv = device_client(servers)
    response = tv.post(
        "/device_authorization", data={"client_id": TV, "scope": "photos.read email"}
    )
    assert error_of(response) == (
        400,
        "invalid_scope",
        "The client photoframe-tv may not ask for: email",
    )


def test_consent_page_names_the_client_the_code_and_where_the_request_came_from(
    servers, clock
):
    tv = device_client(servers)
    device = start(tv)
    clock.advance(120)
    phone = servers.new_browser()
    consent = enter_code(phone, device["user_code"])
    page = consent.text
    assert 'id="device-warning"' in page
    assert "You are connecting a device" in page
    assert "<strong>PhotoFrame TV</strong>" in page
    assert f'id="device-user-code">{device["user_code"]}<' in page
    assert f"network address {TV_ADDRESS}, 2 minutes ago" in page
    assert "PhotoFrameTV/2.1" in page
    # The cross-device BCP: "decline" no less prominent than "grant".
    assert page.index('value="deny"') < page.index('value="approve"')
    assert consent.headers["x-frame-options"] == "DENY"


def test_weakness_hides_what_is_being_connected(make, clock):
    servers = make(clock=clock, weaknesses=["as.device_consent_hides_client"])
    tv = device_client(servers)
    device = start(tv)
    phone = servers.new_browser()
    page = enter_code(phone, device["user_code"]).text
    assert "Approve this sign-in?" in page
    # Not even the title and heading speak of a device: no word a person reads.
    assert "<h1>Approve sign-in</h1>" in page
    assert "device" not in re.sub(r"<[^>]*>", " ", page).lower()
    for hidden in ("PhotoFrame TV", TV_ADDRESS, device["user_code"], "device-warning"):
        if hidden == device["user_code"]:
            # Only in the hidden form field, not on the page a person reads.
            assert page.count(hidden) == 1
        else:
            assert hidden not in page


def test_consent_needs_the_csrf_token_and_the_code_entered_in_this_browser(
    servers, clock
):
    tv = device_client(servers)
    device = start(tv)
    phone = servers.new_browser()
    consent = enter_code(phone, device["user_code"])
    forged = phone.post(
        "/device/consent",
        data={"user_code": device["user_code"], "decision": "approve"},
    )
    assert forged.status_code == 400
    non_ascii = phone.post(  # compared as bytes: a refused form, never a 500
        "/device/consent",
        data={
            "csrf_token": "é",
            "user_code": device["user_code"],
            "decision": "approve",
        },
    )
    assert non_ascii.status_code == 400
    other = servers.new_browser()
    enter_code(other, "BCDF-GHJK")  # signs in, enters some other code
    other_page = other.get("/device")
    stolen = other.post(
        "/device/consent",
        data={
            "csrf_token": form_value(other_page.text, "csrf_token"),
            "user_code": device["user_code"],
            "decision": "approve",
        },
    )
    assert stolen.status_code == 400
    assert "Enter the code on this page first" in stolen.text
    # Nothing was decided: the device still waits, and the real page works.
    clock.advance(5)
    assert error_of(poll(tv, device["device_code"]))[1] == "authorization_pending"
    assert "connected" in decide(phone, consent, "approve").text


def test_wrong_user_codes_are_limited_per_browser(servers):
    """RFC 8628 5.1: user codes are short, so guesses are limited."""
    phone = servers.new_browser()
    assert enter_code(phone, "BBBB-BBBB").status_code == 400  # the first wrong code
    csrf = form_value(phone.get("/device").text, "csrf_token")
    statuses = []
    for _ in range(5):
        response = phone.post("/device", data={"csrf_token": csrf, "user_code": "CCCC"})
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 400, 429]
    assert "Too many wrong codes" in response.text


def test_sign_in_keeps_a_code_from_verification_uri_complete(servers):
    tv = device_client(servers)
    device = start(tv)
    phone = servers.new_browser()
    page = phone.get(f"/device?user_code={device['user_code']}")
    signed_in = phone.post(
        "/device/login",
        data={
            "csrf_token": form_value(page.text, "csrf_token"),
            "username": "alice",
            "password": "wonderland",
            "user_code": form_value(page.text, "user_code"),
        },
    )
    assert signed_in.status_code == 303
    code_page = phone.get(signed_in.headers["location"])
    assert form_value(code_page.text, "user_code") == device["user_code"]


def test_what_the_device_says_about_itself_is_escaped_on_the_page(servers):
    tv = device_client(servers)
    tv.headers["User-Agent"] = '<script>alert("owned")</script>'
    device = start(tv)
    page = enter_code(servers.new_browser(), device["user_code"]).text
    assert "<script>alert" not in page
    assert 'the device calls itself "&lt;script&gt;alert(&#34;owned&#34;)' in page


def test_a_second_decision_on_the_same_code_is_refused(servers, clock):
    """Two browsers entered the code; the first decision stands."""
    tv = device_client(servers)
    device = start(tv)
    alice, bob = servers.new_browser(), servers.new_browser()
    alices_page = enter_code(alice, device["user_code"])
    bobs_page = enter_code(bob, device["user_code"], username="bob")
    assert "connected" in decide(alice, alices_page, "approve").text
    late = decide(bob, bobs_page, "deny")
    assert late.status_code == 400
    clock.advance(5)
    token = poll(tv, device["device_code"]).json()
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "u-1001"
