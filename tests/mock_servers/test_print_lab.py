"""The print lab's API (a second resource server) and the photos API's
`POST /api/prints`, which calls it with a token from a token exchange."""

from __future__ import annotations

import httpx
import jwt
import pytest

from mock_servers.clock import Clock
from mock_servers.deployment import ISSUER, PRINT_LAB_URL
from playground.tools import jwt_forge
from tests.mock_servers.servers import Servers

ORDER = {
    "photo": {"id": "p-1", "title": "Tea party"},
    "ship_to": {"name": "Alice Liddell", "city": "Oxford"},
}


@pytest.fixture
def servers(make) -> Servers:
    return make(clock=Clock(frozen_at=1_798_761_600))


def lab(servers: Servers) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=servers.deployment.print_lab),
        base_url=PRINT_LAB_URL,
    )


def alice_token(servers: Servers, scope: str = "basic photos.read prints.order"):
    return servers.redeem(servers.code_for(scope=scope)).json()["access_token"]


def lab_claims(servers: Servers, **changes: object) -> dict:
    now = servers.deployment.clock.now()
    claims = {
        "iss": ISSUER,
        "sub": "u-1001",
        "aud": PRINT_LAB_URL,
        "client_id": "photos-api",
        "scope": "prints.order",
        "iat": now,
        "exp": now + 300,
        "jti": "j-1",
        "act": {"sub": "photos-api"},
    }
    claims.update(changes)
    return claims


def signed(servers: Servers, **changes: object) -> str:
    """A token signed with the authorization server's key (as it would issue)."""
    return jwt_forge.sign(
        lab_claims(servers, **changes), servers.deployment.as_settings.signing_key
    )


def post_job(servers: Servers, token: str | None, body: object = ORDER):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return lab(servers).post("/api/print-jobs", json=body, headers=headers)


def assert_invalid_token(response: httpx.Response, description: str) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="print-lab", error="invalid_token", '
        f'error_description="{description}"'
    )


# -- the print lab's own checks (RFC 6750, RFC 9068 4) ------------------------------


def test_no_credentials_is_401_with_a_bare_challenge(servers):
    response = post_job(servers, None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="print-lab"'
    assert response.content == b""


def test_a_token_for_the_print_lab_queues_the_job(servers):
    response = post_job(servers, signed(servers))
    assert response.status_code == 201
    job = response.json()["job"]
    assert job["for"] == "u-1001" and job["ordered_by"] == "photos-api"
    listing = lab(servers).get(
        "/api/print-jobs", headers={"Authorization": f"Bearer {signed(servers)}"}
    )
    assert [j["id"] for j in listing.json()["jobs"]] == [job["id"]]


def test_a_token_for_the_photos_api_is_refused_for_its_audience(servers):
    assert_invalid_token(
        post_job(servers, alice_token(servers)),
        "InvalidAudienceError: Audience doesn't match",
    )


def test_expired_token_is_refused(servers):
    token = signed(servers)
    servers.deployment.clock.advance(300)
    now = servers.deployment.clock.now()
    assert_invalid_token(
        post_job(servers, token),
        f"ExpiredSignatureError: the token expired at exp {now} (now {now})",
    )


def test_token_without_prints_order_is_403_insufficient_scope(servers):
    response = post_job(servers, signed(servers, scope="basic"))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'scope="prints.order"' in response.headers["WWW-Authenticate"]


def test_id_token_typed_jwt_is_not_an_access_token(servers):
    token = jwt.encode(
        lab_claims(servers),
        servers.deployment.as_settings.signing_key.private_key,
        algorithm="RS256",
        headers={"kid": servers.deployment.as_settings.signing_key.kid, "typ": "JWT"},
    )
    assert_invalid_token(
        post_job(servers, token), "typ is 'JWT', not 'at+jwt': not an access token"
    )


def test_opaque_token_is_refused_as_malformed(servers):
    response = post_job(servers, "photos_pat_not-a-jwt")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ([], "Send the print order as a JSON object."),
        ({"ship_to": ORDER["ship_to"]}, "The order needs photo.id."),
        ({"photo": {"id": "p-1"}}, "The order needs ship_to.name and ship_to.city."),
        ({**ORDER, "copies": 0}, "copies must be 1 to 20."),
        ({**ORDER, "copies": True}, "copies must be a whole number."),
    ],
)
def test_bad_order_is_400_invalid_request(servers, body, description):
    response = post_job(servers, signed(servers), body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": description,
    }


# -- the photos API orders prints (POST /api/prints) -------------------------------


def order(servers: Servers, token: str, body: object | None = None):
    return servers.api.post(
        "/api/prints",
        json=body if body is not None else {"photo_id": "p-1"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_order_goes_to_the_print_lab_with_an_exchanged_token(servers):
    token = alice_token(servers)
    response = order(servers, token, {"photo_id": "p-2", "copies": 3})
    assert response.status_code == 201, response.text
    placed = response.json()["order"]
    assert placed["photo"] == {"id": "p-2", "title": "Croquet lawn"}
    assert placed["ship_to"] == {"name": "Alice Liddell", "city": "Oxford"}
    assert placed["copies"] == 3
    assert placed["ordered_by"] == "photos-api"
    [job] = servers.deployment.print_lab_settings.jobs.all()
    assert job.acting == "photos-api" and job.client_id == "photos-api"
    events = [e.name for e in servers.deployment.events]
    assert "print_order.placed" in events
    assert "access_token.forwarded" not in events


def test_order_needs_the_prints_order_scope(servers):
    response = order(servers, alice_token(servers, scope="basic photos.read"))
    assert response.status_code == 403
    assert 'scope="prints.order"' in response.headers["WWW-Authenticate"]


def test_order_of_another_users_photo_is_404(servers):
    response = order(servers, alice_token(servers), {"photo_id": "p-3"})
    assert response.status_code == 404


def test_order_without_photo_id_is_400(servers):
    response = order(servers, alice_token(servers), {"copies": 1})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_forwarding_alone_fails_at_a_print_lab_that_checks_its_audience(make):
    """rs.forward_user_token without rs.print_lab_any_audience: the lab's
    audience check refuses the forwarded token, and the order fails (502)."""
    servers = make(weaknesses=["rs.forward_user_token"])
    response = order(servers, alice_token(servers))
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "print_order_failed"
    assert body["upstream_status"] == 401
    assert body["upstream_answer"]["error_description"] == (
        "InvalidAudienceError: Audience doesn't match"
    )
    assert [e.name for e in servers.deployment.events.named("access_token.forwarded")]
