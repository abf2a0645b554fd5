"""Token exchange (RFC 8693) and a personal access token, over `serve`'s real
sockets, with clients nobody here wrote.

No Python OAuth client library ships RFC 8693: requests-oauthlib's
`OAuth2Session.fetch_token` takes any grant through an oauthlib `Client`,
whose one job is to write the request body. `TokenExchangeClient` below is
that (the same four lines as oauthlib's own `BackendApplicationClient`, with
the grant type of RFC 8693 2.1); requests-oauthlib sends the request,
authenticates with HTTP Basic and parses the answer, errors included
(oauthlib raises `invalid_target` as a `CustomOAuth2Error`).

The personal access token is made the way a person makes one: the account
page's forms, by plain HTTP (a browser), then used by `requests` as a bearer
token, like a script would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import jwt
import pytest
import requests
from oauthlib.oauth2 import Client, OAuth2Error
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error
from oauthlib.oauth2.rfc6749.parameters import prepare_token_request
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from .resource_owner import ResourceOwner, forms
from .served import HTTP_TIMEOUT, Served, served

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
PHOTOS_WEB = ("photos-web", "photos-web-secret")
PHOTOS_WEB_REDIRECT = "https://photos.test/callback"
PHOTOS_API = ("photos-api", "photos-api-secret")


class TokenExchangeClient(Client):
    """An oauthlib client whose token request is RFC 8693's."""

    grant_type = TOKEN_EXCHANGE

    def prepare_request_body(
        self,
        body: str = "",
        scope: Any = None,
        include_client_id: bool = False,
        **kwargs: Any,
    ) -> str:
        kwargs["client_id"] = self.client_id
        kwargs["include_client_id"] = include_client_id
        scope = self.scope if scope is None else scope
        return prepare_token_request(self.grant_type, body=body, scope=scope, **kwargs)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback only
    with served() as running:
        yield running


@pytest.fixture
def alice() -> Iterator[ResourceOwner]:
    owner = ResourceOwner("alice", "wonderland")
    yield owner
    owner.close()


def alices_token(servers: Served, alice: ResourceOwner) -> str:
    """Photos (first-party, confidential) signs Alice in: code flow with PKCE,
    built and redeemed by requests-oauthlib."""
    session = OAuth2Session(
        PHOTOS_WEB[0],
        redirect_uri=PHOTOS_WEB_REDIRECT,
        scope=["basic", "photos.read", "prints.order"],
        pkce="S256",
    )
    url, _ = session.authorization_url(f"{servers.issuer}/authorize")
    callback = alice.authorize(url)
    assert alice.forms_filled == ["login-form"]  # first-party: no consent page
    token = session.fetch_token(
        f"{servers.issuer}/token",
        authorization_response=callback,
        auth=HTTPBasicAuth(*PHOTOS_WEB),
        timeout=HTTP_TIMEOUT,
    )
    return token["access_token"]


def exchange_session(scope: list[str]) -> OAuth2Session:
    return OAuth2Session(client=TokenExchangeClient(PHOTOS_API[0]), scope=scope)


def test_token_exchange_with_requests_oauthlib_then_a_print_job(
    servers: Served, alice: ResourceOwner
) -> None:
    subject = alices_token(servers, alice)
    session = exchange_session(["prints.order"])
    token = session.fetch_token(
        f"{servers.issuer}/token",
        auth=HTTPBasicAuth(*PHOTOS_API),
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        resource=servers.print_lab,
        timeout=HTTP_TIMEOUT,
    )
    assert token["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert token["token_type"] == "Bearer"
    assert token["scope"] == ["prints.order"]
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["aud"] == servers.print_lab
    assert claims["act"] == {"sub": "photos-api"}
    assert claims["sub"] == "u-1001"
    job = session.post(
        f"{servers.print_lab}/api/print-jobs",
        json={
            "photo": {"id": "p-1", "title": "Tea party"},
            "ship_to": {"name": "Alice Liddell", "city": "Oxford"},
        },
        timeout=HTTP_TIMEOUT,
    )
    assert job.status_code == 201, job.text
    assert job.json()["job"]["ordered_by"] == "photos-api"
    # Alice's own token is no good at the print lab: its aud is the photos API.
    refused = requests.get(
        f"{servers.print_lab}/api/print-jobs",
        headers={"Authorization": f"Bearer {subject}"},
        timeout=HTTP_TIMEOUT,
    )
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_the_photos_api_exchanges_over_the_sockets_to_order_a_print(
    servers: Served, alice: ResourceOwner
) -> None:
    subject = alices_token(servers, alice)
    response = requests.post(
        f"{servers.api}/api/prints",
        json={"photo_id": "p-2"},
        headers={"Authorization": f"Bearer {subject}"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert order["photo"]["title"] == "Croquet lawn"
    assert (order["for"], order["ordered_by"]) == ("u-1001", "photos-api")


def test_an_audience_the_client_may_not_ask_for_is_invalid_target(
    servers: Served, alice: ResourceOwner
) -> None:
    subject = alices_token(servers, alice)
    with pytest.raises(CustomOAuth2Error) as refused:
        exchange_session(["prints.order"]).fetch_token(
            f"{servers.issuer}/token",
            auth=HTTPBasicAuth(*PHOTOS_API),
            subject_token=subject,
            subject_token_type=ACCESS_TOKEN_TYPE,
            resource=servers.api,
            timeout=HTTP_TIMEOUT,
        )
    assert refused.value.error == "invalid_target"
    assert refused.value.status_code == 400


def test_a_missing_subject_token_is_invalid_request(servers: Served) -> None:
    with pytest.raises(OAuth2Error) as refused:
        exchange_session(["prints.order"]).fetch_token(
            f"{servers.issuer}/token",
            auth=HTTPBasicAuth(*PHOTOS_API),
            subject_token_type=ACCESS_TOKEN_TYPE,
            resource=servers.print_lab,
            timeout=HTTP_TIMEOUT,
        )
    # oauthlib names its exception class after its first invalid_request.
    assert refused.value.error == "invalid_request"
    assert refused.value.description == "Missing 'subject_token' in request."


def _submit(owner: ResourceOwner, url: str, form_id: str, **values: str):
    page = owner.open(url)
    form = forms(page.text)[form_id]
    return owner.browser.post(urljoin(url, form.action), data={**form.fields, **values})


def test_a_personal_access_token_from_the_account_page_works_with_requests(
    servers: Served, alice: ResourceOwner
) -> None:
    account = f"{servers.issuer}/account"
    signed_in = _submit(
        alice, account, "login-form", username="alice", password="wonderland"
    )
    assert signed_in.status_code == 303
    made = _submit(
        alice,
        account,
        "new-token-form",
        name="backup",
        scope="basic photos.read",
        expires_in_days="30",  # the <select>, as a person leaves it
    )
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token">(photos_pat_\w+)<', made.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    user = requests.get(f"{servers.api}/api/user", headers=bearer, timeout=5)
    assert user.status_code == 200, user.text
    assert user.json() == {"id": "u-1001", "name": "Alice Liddell", "city": "Oxford"}
    photos = requests.get(f"{servers.api}/api/photos", headers=bearer, timeout=5)
    assert photos.status_code == 200
    revoked = _submit(alice, account, "revoke-token-pat-1")
    assert revoked.status_code == 303
    after = requests.get(f"{servers.api}/api/user", headers=bearer, timeout=5)
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
