"""oauthlib's DeviceClient against `serve`: the device grant over real sockets.

oauthlib (pinned in the test extra) builds the device authorization request
(`DeviceClient.prepare_request_uri`: client_id, grant_type, scope; sent as
the form body RFC 8628 3.1 asks for), every polling request
(`prepare_request_body`) and parses every answer
(`parse_request_body_response`, which raises on `authorization_pending`,
`slow_down`, `access_denied` and `expired_token`); `add_token` puts the
access token on the API request. Alice's part is plain HTTP on the
verification page, as a browser does it: sign in, type the code, approve.

The servers' clock is one this test advances, so the polling interval passes
without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
import requests
from oauthlib.oauth2 import DeviceClient
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from mock_servers.clock import Clock

from .resource_owner import forms
from .served import HTTP_TIMEOUT, Served, served

TV = "photoframe-tv"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=1_798_761_600)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[Served]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback only
    with served(clock=clock) as running:
        yield running


class TvApp:
    """The device: oauthlib's DeviceClient, requests for the HTTP."""

    def __init__(self, servers: Served) -> None:
        self.servers = servers
        self.client = DeviceClient(TV, scope=["basic", "photos.read"])
        self.http = requests.Session()
        self.device: dict = {}

    def start(self) -> dict:
        uri = self.client.prepare_request_uri(
            f"{self.servers.issuer}/device_authorization"
        )
        url, _, query = uri.partition("?")
        response = self.http.post(url, data=query, headers=FORM, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, response.text
        self.device = response.json()
        return self.device

    def poll(self) -> dict:
        """One token request; oauthlib raises on an error answer."""
        body = self.client.prepare_request_body(
            self.device["device_code"], include_client_id=True
        )
        response = self.http.post(
            f"{self.servers.issuer}/token",
            data=body,
            headers=FORM,
            timeout=HTTP_TIMEOUT,
        )
        return self.client.parse_request_body_response(response.text)

    def poll_error(self) -> tuple[str, str]:
        with pytest.raises(OAuth2Error) as raised:
            self.poll()
        return raised.value.error, raised.value.description

    def photos(self) -> requests.Response:
        uri, headers, _ = self.client.add_token(f"{self.servers.api}/api/photos")
        return self.http.get(uri, headers=headers, timeout=HTTP_TIMEOUT)


def enter_code(verification_uri_complete: str, decision: str = "approve") -> str:
    """Alice on her phone: open the URI from the TV's QR code, sign in (the
    code rides along), check the code, decide. The last page's text."""
    with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False) as phone:
        page = phone.get(verification_uri_complete)
        login = forms(page.text)["login-form"]
        signed_in = phone.post(
            urljoin(str(page.url), login.action),
            data={**login.fields, "username": "alice", "password": "wonderland"},
        )
        assert signed_in.status_code == 303
        page = phone.get(urljoin(str(signed_in.url), signed_in.headers["Location"]))
        code_form = forms(page.text)["device-code-form"]
        page = phone.post(
            urljoin(str(page.url), code_form.action), data=code_form.fields
        )
        assert (
            "PhotoFrame TV" in page.text and "You are connecting a device" in page.text
        )
        consent = forms(page.text)["consent-form"]
        done = phone.post(
            urljoin(str(page.url), consent.action),
            data={**consent.fields, "decision": decision},
        )
        assert done.status_code == 200
        return done.text


def test_device_flow_with_oauthlib_reads_the_photos_api(servers, clock):
    tv = TvApp(servers)
    device = tv.start()
    assert device["verification_uri"] == f"{servers.issuer}/device"
    assert dict(parse_qsl(urlsplit(device["verification_uri_complete"]).query)) == {
        "user_code": device["user_code"]
    }
    clock.advance(device["interval"])
    assert tv.poll_error() == (
        "authorization_pending",
        "The user has not yet approved or denied the request; poll again in 5 s.",
    )
    clock.advance(1)
    assert tv.poll_error() == (
        "slow_down",
        "Polled 1 s after the last request: wait at least 10 s between requests "
        "from now on.",
    )
    assert "your device is connected" in enter_code(device["verification_uri_complete"])
    clock.advance(10)
    token = tv.poll()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == ["basic", "photos.read"]  # oauthlib splits it
    assert "refresh_token" in token
    response = tv.photos()
    assert response.status_code == 200
    assert [p["title"] for p in response.json()["photos"]] == [
        "Tea party",
        "Croquet lawn",
    ]
    # The device code was used: RFC 6749 5.2.
    clock.advance(10)
    assert tv.poll_error() == ("invalid_grant", "The device code was already used.")


def test_denied_and_expired_device_codes_with_oauthlib(servers, clock):
    denied = TvApp(servers)
    device = denied.start()
    assert "You denied the request" in enter_code(
        device["verification_uri_complete"], decision="deny"
    )
    clock.advance(5)
    assert denied.poll_error() == ("access_denied", "The user denied the request.")

    expired = TvApp(servers)
    device = expired.start()
    clock.advance(device["expires_in"])
    error, description = expired.poll_error()
    assert error == "expired_token"
    assert description.endswith("Start again with a new device authorization request.")
