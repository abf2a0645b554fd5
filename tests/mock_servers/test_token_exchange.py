"""Token exchange (RFC 8693) at the token endpoint: what is issued, and each
refusal with RFC 8693 2.2.2's (and RFC 6749 5.2's) error, over real HTTP."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import jwt
import pytest

from mock_servers.clock import Clock
from mock_servers.deployment import API_URL, ISSUER, PRINT_LAB_URL
from mock_servers.models import Client
from mock_servers.token_exchange import (
    ACCESS_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    ExchangeRule,
    TokenExchangePolicy,
)
from tests.mock_servers.servers import WEB_CLIENT, Servers

PHOTOS_API = ("photos-api", "photos-api-secret")
SCOPE = "basic photos.read prints.order"


@pytest.fixture
def servers(make) -> Servers:
    return make(clock=Clock(frozen_at=1_798_761_600))


def alice_token(servers: Servers, scope: str = SCOPE) -> dict:
    """PhotoPrint's tokens for Alice: aud the photos API."""
    response = servers.redeem(servers.code_for(scope=scope))
    assert response.status_code == 200, response.text
    return response.json()


def exchange(
    servers: Servers,
    auth: tuple[str, str] | None = PHOTOS_API,
    **params: str | None,
) -> httpx.Response:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "resource": PRINT_LAB_URL,
        "scope": "prints.order",
    }
    form.update(params)
    return servers.token({k: v for k, v in form.items() if v is not None}, auth=auth)


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def assert_error(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["Cache-Control"] == "no-store"


def print_lab(servers: Servers) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=servers.deployment.print_lab),
        base_url=PRINT_LAB_URL,
    )


# -- what is issued ---------------------------------------------------------------


def test_exchange_issues_a_print_lab_token_with_act_and_a_subset_of_the_scope(
    servers,
):
    subject = alice_token(servers)["access_token"]
    response = exchange(servers, subject_token=subject)
    assert response.status_code == 200, response.text
    body = response.json()
    # RFC 8693 2.2.1: access_token, issued_token_type, token_type REQUIRED.
    assert set(body) == {
        "access_token",
        "issued_token_type",
        "token_type",
        "expires_in",
        "scope",
    }
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "prints.order"
    assert body["expires_in"] == 300
    assert response.headers["Cache-Control"] == "no-store"
    issued = claims(body["access_token"])
    assert issued["aud"] == PRINT_LAB_URL
    assert issued["sub"] == "u-1001"
    assert issued["client_id"] == "photos-api"
    assert issued["act"] == {"sub": "photos-api"}
    assert issued["iss"] == ISSUER
    assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
    [event] = [
        e
        for e in servers.deployment.events.named("access_token.issued")
        if "token exchange" in e.detail
    ]
    assert event.client_id == "photos-api" and event.user == "u-1001"


def test_exchanged_token_verifies_with_the_published_keys(servers):
    subject = alice_token(servers)["access_token"]
    token = exchange(servers, subject_token=subject).json()["access_token"]
    jwks = servers.auth.get("/jwks.json").json()
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    verified = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=PRINT_LAB_URL,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert verified["scope"] == "prints.order"


def test_audience_parameter_names_the_target_like_resource(servers):
    subject = alice_token(servers)["access_token"]
    response = exchange(
        servers, subject_token=subject, resource=None, audience=PRINT_LAB_URL
    )
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["aud"] == PRINT_LAB_URL


def test_without_scope_the_target_scopes_the_subject_holds_are_issued(servers):
    subject = alice_token(servers)["access_token"]
    response = exchange(servers, subject_token=subject, scope=None)
    assert response.json()["scope"] == "prints.order"


def test_exchanged_token_never_outlives_its_subject_token(servers):
    subject = alice_token(servers)["access_token"]
    servers.deployment.clock.advance(3600 - 100)
    body = exchange(servers, subject_token=subject).json()
    assert body["expires_in"] == 100
    assert claims(body["access_token"])["exp"] == claims(subject)["exp"]


def test_introspection_of_an_exchanged_token_names_its_audience_and_actor(servers):
    subject = alice_token(servers)["access_token"]
    token = exchange(servers, subject_token=subject).json()["access_token"]
    answer = servers.auth.post(
        "/introspect", data={"token": token}, auth=PHOTOS_API
    ).json()
    assert answer["active"] is True
    assert answer["aud"] == PRINT_LAB_URL
    assert answer["act"] == {"sub": "photos-api"}
    assert answer["client_id"] == "photos-api"
    assert answer["scope"] == "prints.order"


def test_revoking_the_subjects_grant_revokes_the_exchanged_token(servers):
    tokens = alice_token(servers)
    token = exchange(servers, subject_token=tokens["access_token"]).json()[
        "access_token"
    ]
    revoked = servers.auth.post(
        "/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=WEB_CLIENT,
    )
    assert revoked.status_code == 200
    answer = servers.auth.post(
        "/introspect", data={"token": token}, auth=PHOTOS_API
    ).json()
    assert answer == {"active": False}


def test_the_print_lab_accepts_the_exchanged_token(servers):
    subject = alice_token(servers)["access_token"]
    token = exchange(servers, subject_token=subject).json()["access_token"]
    response = print_lab(servers).post(
        "/api/print-jobs",
        json={
            "photo": {"id": "p-1", "title": "Tea party"},
            "ship_to": {"name": "Alice Liddell", "city": "Oxford"},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    job = response.json()["job"]
    assert (job["for"], job["ordered_by"]) == ("u-1001", "photos-api")


def test_an_actor_token_of_the_clients_own_is_accepted(servers):
    # A client-credentials token of photos-api's own, made for this test.
    own = _client_token(servers, "photos-api")
    subject = alice_token(servers)["access_token"]
    response = exchange(
        servers,
        subject_token=subject,
        actor_token=own,
        actor_token_type=ACCESS_TOKEN_TYPE,
    )
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["act"] == {"sub": "photos-api"}


def test_a_chain_of_delegation_nests_act(servers):
    """RFC 8693 4.1: the outermost act is the current actor, nested ones the
    earlier actors. The print lab, allowed here to exchange its own tokens
    for a shipping service, passes one on."""
    deployment = servers.deployment
    deployment.store.add_client(
        Client(
            client_id="print-lab",
            client_name="Print lab",
            client_type="confidential",
            redirect_uris=(),
            grant_types=(TOKEN_EXCHANGE,),
            response_types=(),
            scope="",
            token_endpoint_auth_methods=("client_secret_basic",),
            client_secret="print-lab-secret",
        )
    )
    shipping = "https://api.shipping.test"
    deployment.as_settings.token_exchange = TokenExchangePolicy(
        rules=(
            *deployment.as_settings.token_exchange.rules,
            ExchangeRule("print-lab", PRINT_LAB_URL, {shipping: ("prints.order",)}),
        )
    )
    subject = alice_token(servers)["access_token"]
    lab_token = exchange(servers, subject_token=subject).json()["access_token"]
    response = exchange(
        servers,
        auth=("print-lab", "print-lab-secret"),
        subject_token=lab_token,
        resource=shipping,
    )
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["act"] == {
        "sub": "print-lab",
        "act": {"sub": "photos-api"},
    }


# -- refusals: RFC 8693 2.2.2 and RFC 6749 5.2 -------------------------------------


def test_missing_subject_token_is_invalid_request(servers):
    assert_error(
        exchange(servers), "invalid_request", "Missing 'subject_token' in request."
    )


def test_missing_subject_token_type_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, subject_token_type=None),
        "invalid_request",
        "Missing 'subject_token_type' in request.",
    )


@pytest.mark.parametrize(
    ("token_type", "description"),
    [
        (
            "urn:example:token",
            "Unknown subject_token_type 'urn:example:token' (RFC 8693 3).",
        ),
        (
            "urn:ietf:params:oauth:token-type:id_token",
            "This server exchanges access tokens it issued (subject_token_type "
            "urn:ietf:params:oauth:token-type:access_token).",
        ),
    ],
)
def test_subject_token_type_other_than_access_token_is_invalid_request(
    servers, token_type, description
):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, subject_token_type=token_type),
        "invalid_request",
        description,
    )


def test_unknown_subject_token_is_invalid_request(servers):
    assert_error(
        exchange(servers, subject_token="not-a-token-of-ours"),
        "invalid_request",
        "The subject_token is not an access token issued by this server.",
    )


def test_revoked_subject_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    servers.auth.post("/revoke", data={"token": subject}, auth=WEB_CLIENT)
    assert_error(
        exchange(servers, subject_token=subject),
        "invalid_request",
        "The subject_token has been revoked.",
    )


def test_expired_subject_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    servers.deployment.clock.advance(3600)
    assert_error(
        exchange(servers, subject_token=subject),
        "invalid_request",
        "The subject_token has expired.",
    )


def test_subject_token_for_another_audience_is_invalid_request(servers):
    """The photos API may exchange tokens sent to it, not the print lab's."""
    subject = alice_token(servers)["access_token"]
    lab_token = exchange(servers, subject_token=subject).json()["access_token"]
    assert_error(
        exchange(servers, subject_token=lab_token),
        "invalid_request",
        f"The subject_token was issued for {PRINT_LAB_URL}; the client photos-api "
        f"may exchange only tokens sent to {API_URL}.",
    )


def test_client_credentials_subject_token_is_invalid_request(servers):
    service = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=("print-shop-service", "print-shop-secret"),
    ).json()["access_token"]
    assert_error(
        exchange(servers, subject_token=service),
        "invalid_request",
        "The subject_token has no resource owner (client credentials): there is "
        "nobody to act for.",
    )


def test_audience_the_client_may_not_ask_for_is_invalid_target(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, resource=API_URL),
        "invalid_target",
        f"The client photos-api may not ask for a token for {API_URL} (it may ask "
        f"for: {PRINT_LAB_URL}).",
    )
    [event] = servers.deployment.events.named("token_exchange.refused")
    assert event.client_id == "photos-api"
    assert event.detail.startswith("invalid_target: ")


def test_missing_target_is_invalid_target(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, resource=None),
        "invalid_target",
        "Name the service the token is for, with 'resource' or 'audience'.",
    )


def test_two_targets_at_once_are_invalid_target(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, audience=API_URL),
        "invalid_target",
        f"This server issues a token for one service at a time, not {API_URL}, "
        f"{PRINT_LAB_URL}.",
    )


def test_resource_with_a_fragment_is_invalid_target(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, resource=f"{PRINT_LAB_URL}#x"),
        "invalid_target",
        f"resource '{PRINT_LAB_URL}#x' is not an absolute URI without a fragment.",
    )


def test_scope_the_subject_token_lacks_is_invalid_scope(servers):
    subject = alice_token(servers, scope="basic prints.order")["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, scope="prints.order email"),
        "invalid_scope",
        "The subject_token was not granted: email",
    )


def test_scope_the_client_may_not_ask_for_at_the_target_is_invalid_scope(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, scope="photos.read"),
        "invalid_scope",
        f"The client photos-api may not ask for photos.read at {PRINT_LAB_URL}.",
    )


def test_subject_token_without_the_targets_scope_is_invalid_scope(servers):
    subject = alice_token(servers, scope="basic photos.read")["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, scope=None),
        "invalid_scope",
        f"The subject_token carries none of the scopes {PRINT_LAB_URL} takes "
        "(prints.order).",
    )


def test_client_not_registered_for_the_grant_is_unauthorized_client(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, auth=WEB_CLIENT, subject_token=subject),
        "unauthorized_client",
        f"The client photoprint is not authorized to use 'grant_type={TOKEN_EXCHANGE}'",
    )


def test_unauthenticated_exchange_is_invalid_client(servers):
    subject = alice_token(servers)["access_token"]
    response = exchange(servers, auth=("photos-api", "wrong"), subject_token=subject)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_public_client_cannot_exchange(servers):
    subject = alice_token(servers)["access_token"]
    response = exchange(
        servers, auth=None, client_id="photo-gallery-spa", subject_token=subject
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_actor_token_without_its_type_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, actor_token="abc"),
        "invalid_request",
        "Missing 'actor_token_type': it is required with 'actor_token'.",
    )


def test_actor_token_type_without_a_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, actor_token_type=ACCESS_TOKEN_TYPE),
        "invalid_request",
        "'actor_token_type' is sent without an 'actor_token'.",
    )


def test_someone_elses_token_as_actor_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(
            servers,
            subject_token=subject,
            actor_token=subject,
            actor_token_type=ACCESS_TOKEN_TYPE,
        ),
        "invalid_request",
        "The actor_token must be an active access token of this client's own "
        "(client credentials of photos-api).",
    )


def test_requested_token_type_other_than_access_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(
            servers,
            subject_token=subject,
            requested_token_type="urn:ietf:params:oauth:token-type:id_token",
        ),
        "invalid_request",
        "This server issues access tokens only (requested_token_type "
        "urn:ietf:params:oauth:token-type:access_token).",
    )


def test_repeated_subject_token_is_invalid_request(servers):
    subject = alice_token(servers)["access_token"]
    body = urlencode(
        [
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", subject),
            ("subject_token", subject),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("resource", PRINT_LAB_URL),
        ]
    )
    response = servers.new_browser().post(
        "/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=PHOTOS_API,
    )
    assert_error(response, "invalid_request", "Multiple 'subject_token' in request.")


def test_an_unknown_urn_resource_is_invalid_target_not_malformed(servers):
    subject = alice_token(servers)["access_token"]
    assert_error(
        exchange(servers, subject_token=subject, resource="urn:example:api"),
        "invalid_target",
        "The client photos-api may not ask for a token for urn:example:api (it may "
        f"ask for: {PRINT_LAB_URL}).",
    )


def test_opaque_subject_tokens_are_exchanged_for_a_jwt_the_print_lab_reads(make):
    servers = make(token_format="opaque")
    subject = alice_token(servers)["access_token"]
    assert subject.count(".") == 0  # an opaque token
    body = exchange(servers, subject_token=subject).json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert claims(body["access_token"])["aud"] == PRINT_LAB_URL
    order = servers.api.post(
        "/api/prints",
        json={"photo_id": "p-1"},
        headers={"Authorization": f"Bearer {subject}"},
    )
    assert order.status_code == 201, order.text


def test_metadata_advertises_the_token_exchange_grant(servers):
    metadata = servers.auth.get("/.well-known/oauth-authorization-server").json()
    assert TOKEN_EXCHANGE in metadata["grant_types_supported"]


def _client_token(servers: Servers, client_id: str) -> str:
    """An access token of a client's own (client credentials), put in the
    store directly: photos-api is not registered for that grant."""
    from mock_servers.models import Token

    deployment = servers.deployment
    client = deployment.store.client(client_id)
    token = Token(
        id="own-1",
        client=client,
        user=None,
        scope="",
        access_token="own-access-token",
        issued_at=deployment.clock.now(),
        expires_in=3600,
        family_id="own-1",
        grant_type="client_credentials",
        clock=deployment.clock,
    )
    deployment.store.save_token(token)
    return token.access_token
