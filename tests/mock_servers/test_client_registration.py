"""Open dynamic client registration (RFC 7591) at /register: the server issues
the client_id in its own namespace (RFC 7591 3.2.1, RFC 9700 4.15.1), and a
registered client is not verified (RFC 9700 4.11.2)."""

from __future__ import annotations

import httpx

from mock_servers.deployment import ISSUER
from tests.mock_servers.servers import Servers

BACKUP = {
    "client_id": "u-1001",
    "client_name": "Photo Backup Service",
    "grant_types": ["client_credentials"],
    "scope": "photos.read",
    "token_endpoint_auth_method": "client_secret_basic",
}


def register(servers: Servers, metadata: dict) -> httpx.Response:
    client = httpx.Client(
        transport=httpx.WSGITransport(app=servers.deployment.authorization_server),
        base_url=ISSUER,
    )
    return client.post("/register", json=metadata)


def test_metadata_advertises_the_registration_endpoint(servers):
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert metadata["registration_endpoint"] == f"{ISSUER}/register"


def test_registered_client_id_is_assigned_by_the_server(servers):
    response = register(servers, BACKUP)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["client_id"].startswith("client-") and body["client_id"] != "u-1001"
    assert set(body) == {
        "client_id",
        "client_id_issued_at",
        "client_name",
        "client_secret",
        "client_secret_expires_at",
        "grant_types",
        "scope",
        "token_endpoint_auth_method",
    }
    assert body["client_id_issued_at"] == servers.deployment.clock.now()
    stored = servers.deployment.store.client(body["client_id"])
    assert stored is not None and not stored.verified
    assert stored.grant_types == ("client_credentials",)
    assert servers.deployment.store.client("u-1001") is None
    (event,) = servers.deployment.events.named("client.registered")
    assert (event.client_id, event.detail) == (
        body["client_id"],
        "requested client_id u-1001",
    )


def test_registered_client_gets_a_token_for_itself(servers):
    body = register(servers, BACKUP).json()
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert response.status_code == 200
    photos = servers.api.get(
        "/api/photos",
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
    assert photos.json() == {"owner": body["client_id"], "photos": []}


def test_client_chosen_client_id_names_the_client_as_asked(make):
    servers = make(weaknesses=["as.client_chooses_client_id"])
    response = register(servers, BACKUP)
    assert response.status_code == 201
    assert response.json()["client_id"] == "u-1001"


def test_a_taken_client_id_is_refused_even_with_the_weakness(make):
    servers = make(weaknesses=["as.client_chooses_client_id"])
    response = register(servers, {**BACKUP, "client_id": "photoprint"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client_metadata",
        "error_description": "The client_id photoprint is already registered.",
    }
    assert servers.deployment.store.client("photoprint").client_name == "PhotoPrint"


DESKTOP_APP = {
    "client_name": "PhotoBook",
    "redirect_uris": ["http://127.0.0.1/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "scope": "basic photos.read",
    "token_endpoint_auth_method": "none",
}


def test_public_client_is_registered_without_a_client_secret(servers):
    # RFC 7591 2: "none": "The client is a public client ... and does not
    # have a client secret"; 3.2.1: client_secret_expires_at is "REQUIRED if
    # client_secret is issued", so neither member is in the answer.
    response = register(servers, DESKTOP_APP)
    assert response.status_code == 201
    body = response.json()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["token_endpoint_auth_method"] == "none"
    stored = servers.deployment.store.client(body["client_id"])
    assert stored.client_type == "public" and stored.client_secret is None


def test_omitted_auth_method_means_client_secret_basic_and_a_secret(servers):
    # RFC 7591 2: token_endpoint_auth_method "If unspecified or omitted, the
    # default is client_secret_basic".
    metadata = {k: v for k, v in BACKUP.items() if k != "token_endpoint_auth_method"}
    body = register(servers, metadata).json()
    assert body["client_secret"] and body["client_secret_expires_at"] == 0
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert response.status_code == 200
