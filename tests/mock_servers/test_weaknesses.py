"""Every named weakness, as a pair: the attack it lets through when on, and the
same request refused, with the exact error, when off (the secure default).
"""

from __future__ import annotations

import importlib

import pytest

from mock_servers.clock import Clock
from mock_servers.deployment import ISSUER
from mock_servers.weaknesses import (
    BY_NAME,
    REGISTRY,
    UnknownWeaknessError,
    Weakness,
    Weaknesses,
)
from tests.mock_servers.servers import (
    CHALLENGE,
    SPA_CLIENT,
    SPA_REDIRECT,
    VERIFIER,
    WEB_CLIENT,
    WEB_REDIRECT,
    Servers,
    location_params,
)
from tests.mock_servers.test_resource_server import (
    FROZEN_AT,
    access_token_for,
    assert_invalid_token,
    claims_of,
    good_claims,
    other_audience_token,
    tamper,
    unsigned,
)

# -- the registry ---------------------------------------------------------------


@pytest.mark.parametrize("weakness", REGISTRY, ids=lambda weakness: weakness.name)
def test_registry_entry_is_fully_described(weakness: Weakness):
    party, _, switch = weakness.name.partition(".")
    assert party in {"client", "as", "rs"} and switch
    assert weakness.description.strip() == weakness.description
    assert "\n" not in weakness.description and weakness.description.endswith(".")
    assert weakness.read_at
    assert "RFC" in weakness.spec


@pytest.mark.parametrize(
    "weakness",
    [w for w in REGISTRY if w.read_at.startswith("mock_servers.")],
    ids=lambda weakness: weakness.name,
)
def test_registry_read_at_names_real_code(weakness: Weakness):
    # "mock_servers.<module>.<Class>[.<method>]": the one place that reads it.
    parts = weakness.read_at.split(".")
    target = importlib.import_module(".".join(parts[:2]))
    for attribute in parts[2:]:
        target = getattr(target, attribute)
    assert callable(target) or isinstance(target, property)


def test_unknown_weakness_name_is_refused_naming_the_known_ones():
    with pytest.raises(UnknownWeaknessError) as raised:
        Weaknesses(["nope"])
    assert raised.value.name == "nope"
    message = str(raised.value)
    assert message.startswith("unknown weakness 'nope'; known weaknesses: ")
    for name in BY_NAME:
        assert name in message


def test_unknown_weakness_is_refused_when_building_servers(make):
    with pytest.raises(UnknownWeaknessError):
        make(weaknesses=["as.loose_redirect"])


def test_weaknesses_are_off_by_default(servers):
    assert len(servers.deployment.weaknesses) == 0
    assert all(w.name not in servers.deployment.weaknesses for w in REGISTRY)


# -- as.loose_redirect_uri (RFC 9700 4.1) ----------------------------------------

PREFIX_MATCHES = [
    WEB_REDIRECT + ".evil",
    WEB_REDIRECT + "/../x",
]


@pytest.mark.parametrize("redirect_uri", PREFIX_MATCHES)
def test_loose_redirect_uri_leaks_code_to_prefix_match(make, redirect_uri):
    servers = make(weaknesses=["as.loose_redirect_uri"])
    response = servers.authorize(redirect_uri=redirect_uri)
    assert response.status_code == 302
    assert response.headers["location"].startswith(redirect_uri + "?")
    params = location_params(response)
    assert params["code"] and params["state"] == "xyz-state"


@pytest.mark.parametrize("redirect_uri", PREFIX_MATCHES)
def test_redirect_uri_prefix_match_is_refused_by_default(servers, redirect_uri):
    response = servers.authorize(redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "<code>invalid_request</code>" in response.text
    assert f"Redirect URI {redirect_uri} is not supported by client." in response.text
    (refused,) = servers.deployment.events.named("authorization_request.refused")
    assert refused.detail == f"Redirect URI {redirect_uri} is not supported by client."


# -- as.allow_code_reuse (RFC 6749 4.1.2) -----------------------------------------


def refresh(servers: Servers, refresh_token: str, auth=WEB_CLIENT):
    return servers.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=auth
    )


def test_code_reuse_weakness_redeems_a_code_twice_without_revoking(make):
    servers = make(weaknesses=["as.allow_code_reuse"])
    code = servers.code_for()
    first = servers.redeem(code)
    second = servers.redeem(code)
    assert first.status_code == 200 and second.status_code == 200, second.text
    assert first.json()["access_token"] != second.json()["access_token"]

    record = servers.deployment.store.token_by_access_token(
        first.json()["access_token"]
    )
    assert record is not None and not record.access_token_revoked
    assert servers.call_api(first.json()["access_token"]).status_code == 200
    assert refresh(servers, first.json()["refresh_token"]).status_code == 200
    assert not servers.deployment.events.named("authorization_code.reused")


def test_reused_code_revokes_issued_tokens(servers):
    code = servers.code_for()
    first = servers.redeem(code).json()
    replay = servers.redeem(code)
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": (
            "The code was already used; the tokens issued from it are revoked."
        ),
    }
    record = servers.deployment.store.token_by_access_token(first["access_token"])
    assert record is not None
    assert record.access_token_revoked and record.refresh_token_revoked
    assert refresh(servers, first["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token has been revoked.",
    }
    (reused,) = servers.deployment.events.named("authorization_code.reused")
    assert reused.detail == (
        "1 access token and 1 refresh token issued from this code revoked"
    )


# -- as.pkce_optional (RFC 7636 4.6, RFC 9700 2.1.1) ------------------------------


def spa_authorize(servers: Servers, **pkce: str):
    """The SPA's authorization request with exactly these PKCE parameters."""
    return servers.authorize(
        client_id=SPA_CLIENT,
        redirect_uri=SPA_REDIRECT,
        scope="basic",
        extra=pkce,
        pkce=False,
    )


def spa_authorization_code(servers: Servers, **pkce: str) -> str:
    response = spa_authorize(servers, **pkce)
    assert response.status_code == 302, response.text
    return location_params(response)["code"]


def spa_token(servers: Servers, code: str, verifier: str | None = None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SPA_REDIRECT,
        "client_id": SPA_CLIENT,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return servers.token(data)


def test_pkce_optional_lets_public_client_skip_pkce(make):
    servers = make(weaknesses=["as.pkce_optional"])
    code = spa_authorization_code(servers)
    assert servers.deployment.store.code(code).code_challenge is None
    response = spa_token(servers, code)
    assert response.status_code == 200, response.text
    assert servers.call_api(response.json()["access_token"]).status_code == 200


def test_pkce_optional_redeems_challenged_code_without_verifier(make):
    # An attacker who stole the code does not have the verifier, and need not.
    servers = make(weaknesses=["as.pkce_optional"])
    code = spa_authorization_code(
        servers, code_challenge=CHALLENGE, code_challenge_method="S256"
    )
    response = spa_token(servers, code)
    assert response.status_code == 200, response.text


def test_public_client_without_code_challenge_is_refused(servers):
    response = spa_authorize(servers)
    assert response.status_code == 302
    assert response.headers["location"].startswith(SPA_REDIRECT + "?")
    params = location_params(response)
    assert params == {
        "error": "invalid_request",
        "error_description": (
            "Missing 'code_challenge': public clients must use PKCE (RFC 9700 2.1.1)."
        ),
        "state": "xyz-state",
        "iss": ISSUER,
    }


def test_challenged_code_without_verifier_is_refused(servers):
    code = spa_authorization_code(
        servers, code_challenge=CHALLENGE, code_challenge_method="S256"
    )
    response = spa_token(servers, code)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing 'code_verifier'",
    }
    assert spa_token(servers, code, VERIFIER).status_code == 200


# -- as.allow_plain_pkce (RFC 7636 4.2) -------------------------------------------


def test_allow_plain_pkce_accepts_and_verifies_plain_challenge(make):
    servers = make(weaknesses=["as.allow_plain_pkce"])
    # plain: the challenge *is* the verifier, readable by whoever sees the URL.
    code = spa_authorization_code(
        servers, code_challenge=VERIFIER, code_challenge_method="plain"
    )
    assert spa_token(servers, code, VERIFIER).status_code == 200

    code = spa_authorization_code(
        servers, code_challenge=VERIFIER, code_challenge_method="plain"
    )
    wrong = spa_token(servers, code, CHALLENGE)
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "invalid_grant",
        "error_description": "Code challenge failed.",
    }

    # RFC 7636 4.3: no method means plain.
    code = spa_authorization_code(servers, code_challenge=VERIFIER)
    assert servers.deployment.store.code(code).code_challenge_method is None
    assert spa_token(servers, code, VERIFIER).status_code == 200


@pytest.mark.parametrize(
    ("pkce", "description"),
    [
        (
            {"code_challenge": VERIFIER, "code_challenge_method": "plain"},
            "Unsupported 'code_challenge_method': this server accepts only "
            "S256 (RFC 7636 4.4.1; RFC 9700 2.1.1 asks clients to use S256).",
        ),
        (
            {"code_challenge": VERIFIER},
            "Unsupported 'code_challenge_method': this server accepts only "
            "S256 (RFC 7636 4.4.1; RFC 9700 2.1.1 asks clients to use S256).",
        ),
    ],
    ids=["explicit-plain", "method-missing-means-plain"],
)
def test_plain_pkce_is_refused_by_default(servers, pkce, description):
    response = spa_authorize(servers, **pkce)
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "invalid_request"
    assert params["error_description"] == description
    assert "code" not in params
    assert not servers.deployment.events.named("authorization_code.issued")


# -- as.refresh_no_rotation (RFC 9700 4.14.2) -------------------------------------


def tokens_for(servers: Servers) -> dict:
    response = servers.redeem(servers.code_for())
    assert response.status_code == 200, response.text
    return response.json()


def introspect(servers: Servers, token: str) -> dict:
    response = servers.auth.post(
        "/introspect", data={"token": token}, auth=("photos-api", "photos-api-secret")
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_refresh_no_rotation_lets_old_refresh_token_work_again(make):
    servers = make(weaknesses=["as.refresh_no_rotation"])
    stolen = tokens_for(servers)["refresh_token"]
    first = refresh(servers, stolen)
    second = refresh(servers, stolen)
    assert first.status_code == 200 and second.status_code == 200, second.text
    assert "refresh_token" not in first.json()
    assert "refresh_token" not in second.json()
    assert first.json()["access_token"] != second.json()["access_token"]
    assert not servers.deployment.events.named("refresh_token.reused")


def test_reused_refresh_token_revokes_the_whole_family(servers):
    original = tokens_for(servers)
    rotated = refresh(servers, original["refresh_token"])
    assert rotated.status_code == 200
    newest = rotated.json()
    assert newest["refresh_token"] != original["refresh_token"]

    replay = refresh(servers, original["refresh_token"])
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": (
            "The refresh token was already used; every token of this grant "
            "is now revoked."
        ),
    }
    (reused,) = servers.deployment.events.named("refresh_token.reused")
    assert reused.detail == (
        "2 access tokens and 2 refresh tokens of this grant revoked"
    )
    assert reused.client_id == "photoprint" and reused.user == "u-1001"

    # The newest tokens, possibly the legitimate client's, are revoked too.
    assert refresh(servers, newest["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token has been revoked.",
    }
    assert introspect(servers, newest["access_token"]) == {"active": False}
    assert introspect(servers, original["access_token"]) == {"active": False}


# -- rs.* : the resource server's JWT checks (RFC 8725, RFC 9068 4) ---------------


def forged_by_tampering(servers: Servers) -> str:
    return tamper(access_token_for(servers), sub="u-1002")


def forged_unsigned(servers: Servers) -> str:
    return unsigned(good_claims(servers))


def expired(servers: Servers) -> str:
    token = access_token_for(servers)
    servers.deployment.clock.advance(3601)
    return token


def expired_description(servers: Servers, token: str) -> str:
    now = servers.deployment.clock.now()
    exp = claims_of(token)["exp"]
    return f"ExpiredSignatureError: the token expired at exp {exp} (now {now})"


RS_CASES = {
    "rs.skip_signature_check": (
        forged_by_tampering,
        "InvalidSignatureError: Signature verification failed",
    ),
    "rs.accept_alg_none": (
        forged_unsigned,
        "The token is unsigned (alg: none); accepted algorithms: RS256",
    ),
    "rs.skip_audience_check": (
        other_audience_token,
        "InvalidAudienceError: Audience doesn't match",
    ),
    "rs.skip_expiry_check": (expired, None),
}


def rs_servers(make, weaknesses: list[str]) -> Servers:
    return make(weaknesses=weaknesses, clock=Clock(frozen_at=FROZEN_AT))


@pytest.mark.parametrize("weakness", sorted(RS_CASES))
def test_rs_weakness_on_accepts(make, weakness):
    servers = rs_servers(make, [weakness])
    forge, _ = RS_CASES[weakness]
    response = servers.call_api(forge(servers))
    assert response.status_code == 200, response.text
    expected_user = "u-1002" if weakness == "rs.skip_signature_check" else "u-1001"
    assert response.json()["id"] == expected_user
    assert not servers.deployment.events.named("access_token.rejected")


@pytest.mark.parametrize("weakness", sorted(RS_CASES))
def test_rs_weakness_off(make, weakness):
    servers = rs_servers(make, [])
    forge, description = RS_CASES[weakness]
    token = forge(servers)
    response = servers.call_api(token)
    assert_invalid_token(response, description or expired_description(servers, token))


def test_skip_signature_check_does_not_accept_alg_none(make):
    servers = make(weaknesses=["rs.skip_signature_check"])
    assert_invalid_token(
        servers.call_api(forged_unsigned(servers)),
        "The token is unsigned (alg: none); accepted algorithms: RS256",
    )


def test_skip_signature_check_lets_a_forged_scope_through(make):
    servers = make(weaknesses=["rs.skip_signature_check"])
    token = tamper(access_token_for(servers, scope="basic"), scope="basic photos.read")
    assert servers.call_api(token, "/api/photos").status_code == 200


def test_enabling_a_weakness_on_a_live_deployment_takes_effect_next_request(make):
    servers = rs_servers(make, [])
    token = expired(servers)
    description = expired_description(servers, token)
    assert_invalid_token(servers.call_api(token), description)

    servers.deployment.weaknesses.enable("rs.skip_expiry_check")
    assert servers.call_api(token).status_code == 200

    servers.deployment.weaknesses.disable("rs.skip_expiry_check")
    assert_invalid_token(servers.call_api(token), description)


def test_enabling_loose_redirect_uri_on_a_live_deployment(servers):
    uri = WEB_REDIRECT + ".evil"
    assert servers.authorize(redirect_uri=uri).status_code == 400
    servers.deployment.weaknesses.enable("as.loose_redirect_uri")
    response = servers.authorize(redirect_uri=uri)
    assert response.status_code == 302
    assert "code" in location_params(response)


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        (
            {"aud": "https://other-api.photos.test"},
            "InvalidAudienceError: Audience doesn't match",
        ),
        (
            {"iss": "https://attacker.test"},
            "InvalidIssuerError: Invalid issuer",
        ),
        ({"jti": None}, "MissingRequiredClaimError: Token is missing the 'jti' claim"),
    ],
    ids=["audience", "issuer", "required-claim"],
)
@pytest.mark.parametrize("weakness", ["rs.skip_signature_check", "rs.accept_alg_none"])
def test_signature_weaknesses_leave_the_claim_checks_on(
    make, weakness, changes, description
):
    servers = make(weaknesses=[weakness])
    if weakness == "rs.skip_signature_check":
        token = tamper(access_token_for(servers), **changes)
    else:
        token = unsigned(good_claims(servers, **changes))
    assert_invalid_token(servers.call_api(token), description)


# -- rs.allow_hs256_key_confusion (RFC 8725 2.1) ---------------------------------


def key_confusion_token(servers: Servers, **changes: object) -> str:
    import hashlib
    import hmac

    from tests.mock_servers.test_resource_server import b64url, b64url_json

    key = servers.deployment.as_settings.signing_key
    header = b64url_json({"alg": "HS256", "typ": "at+jwt", "kid": key.kid})
    payload = b64url_json(good_claims(servers, **changes))
    mac = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{b64url(mac.digest())}"


def test_key_confusion_accepts_hmac_keyed_with_the_public_key(make):
    servers = make(weaknesses=["rs.allow_hs256_key_confusion"])
    response = servers.call_api(key_confusion_token(servers, sub="u-1002"))
    assert response.status_code == 200
    assert response.json()["name"] == "Bob Builder"
    wrong_key = key_confusion_token(servers)[:-4] + "AAAA"
    assert servers.call_api(wrong_key).status_code == 401


def test_key_confusion_token_is_refused_by_default(servers):
    assert_invalid_token(
        servers.call_api(key_confusion_token(servers)),
        "InvalidAlgorithmError: The specified alg value is not allowed",
    )


# -- as.refresh_scope_upgrade (RFC 6749 6) ---------------------------------------


def test_refresh_scope_upgrade_widens_the_granted_scope(make):
    servers = make(weaknesses=["as.refresh_scope_upgrade"])
    tokens = servers.redeem(servers.code_for(scope="basic")).json()
    wider = refresh_with_scope(
        servers, tokens["refresh_token"], "basic email photos.read"
    )
    assert wider.status_code == 200
    assert wider.json()["scope"] == "basic email photos.read"
    assert (
        servers.call_api(wider.json()["access_token"], "/api/photos").status_code == 200
    )


def test_refresh_cannot_widen_scope_by_default(servers):
    tokens = servers.redeem(servers.code_for(scope="basic")).json()
    wider = refresh_with_scope(servers, tokens["refresh_token"], "basic photos.read")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


def refresh_with_scope(servers: Servers, refresh_token: str, scope: str):
    return servers.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scope},
        auth=WEB_CLIENT,
    )


# -- as.allow_framing (RFC 6749 10.13) -------------------------------------------


def consent_url() -> str:
    return (
        "/authorize?response_type=code&client_id=photoprint&scope=basic"
        "&redirect_uri=https%3A%2F%2Fphotoprint.test%2Fcallback"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )


def test_allow_framing_drops_the_anti_framing_headers(make):
    servers = make(weaknesses=["as.allow_framing"])
    page = servers.auth.get(consent_url())
    assert page.status_code == 200
    assert "x-frame-options" not in page.headers
    assert "content-security-policy" not in page.headers


def test_pages_forbid_framing_by_default(servers):
    page = servers.auth.get(consent_url())
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"


# -- as.password_grant_any_client (RFC 9700 2.4) ---------------------------------

LOOK_ALIKE = ("photo-printz", "photoprintz-secret")
PASSWORD_FORM = {
    "grant_type": "password",
    "username": "alice",
    "password": "wonderland",
}


def test_password_grant_any_client_lets_a_look_alike_collect_passwords(make):
    servers = make(weaknesses=["as.password_grant_any_client"])
    response = servers.token({**PASSWORD_FORM, "scope": "basic"}, auth=LOOK_ALIKE)
    assert response.status_code == 200
    assert servers.call_api(response.json()["access_token"]).json()["id"] == "u-1001"


def test_password_grant_refused_to_unregistered_clients_by_default(servers):
    response = servers.token(PASSWORD_FORM, auth=LOOK_ALIKE)
    assert response.status_code == 400
    description = "The client is not authorized to use 'grant_type=password'"
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": description,
    }
