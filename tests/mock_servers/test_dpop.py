"""DPoP (RFC 9449) at the token endpoint, the PAR endpoint, introspection and
the photos API: real proofs signed with real keys, each rule of RFC 9449 4.3
broken once, with the exact status, error code and header."""

from __future__ import annotations

import jwt as pyjwt
import pytest

from mock_servers.clock import Clock
from mock_servers.dpop import (
    PROOF_WINDOW,
    ProofRejected,
    ReplayCache,
    access_token_hash,
)
from mock_servers.keys import generate_ec_signing_key
from tests.mock_servers.dpop_helpers import (
    FAPI_CLIENT,
    FAPI_REDIRECT,
    OMIT,
    approve_in_browser,
    fapi_assertion,
    fapi_push,
    hs256_proof,
    new_key,
    private_jwk_proof,
    proof,
)
from tests.mock_servers.servers import (
    ISSUER,
    SPA_CLIENT,
    SPA_REDIRECT,
    VERIFIER,
    WEB_CLIENT,
    make_servers,
    spa_code,
)

TOKEN_URL = f"{ISSUER}/token"
API = "https://api.photos.test"
SERVICE = ("print-shop-service", "print-shop-secret")
CREDENTIALS = {"grant_type": "client_credentials", "scope": "photos.read"}


# A frozen clock: what a test advances is all the time that passes.
START = 1_798_761_600


@pytest.fixture
def servers():
    return make_servers(clock=Clock(frozen_at=START))


@pytest.fixture
def make():
    return lambda **kwargs: make_servers(clock=Clock(frozen_at=START), **kwargs)


def now(servers) -> int:
    return servers.deployment.clock.now()


def token_with(servers, dpop=None, data=None, auth=SERVICE, headers=None):
    sent = dict(headers or {})
    if dpop is not None:
        sent["DPoP"] = dpop
    return servers.new_browser().post(
        "/token", data=data or CREDENTIALS, auth=auth, headers=sent
    )


def bound_token(servers, key=None) -> tuple[str, object]:
    key = key or new_key()
    response = token_with(servers, proof(key, "POST", TOKEN_URL, now(servers)))
    assert response.status_code == 200, response.text
    return response.json()["access_token"], key


def api_call(
    servers, token, dpop=None, path="/api/photos", method="GET", scheme="DPoP"
):
    headers = {"Authorization": f"{scheme} {token}"}
    if dpop is not None:
        headers["DPoP"] = dpop
    return servers.api.request(method, path, headers=headers)


# -- the token endpoint (RFC 9449 5) ---------------------------------------------


def test_token_request_with_a_proof_gets_a_dpop_bound_token(servers):
    key = new_key()
    response = token_with(servers, proof(key, "POST", TOKEN_URL, now(servers)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jwk.thumbprint()}


def test_token_request_without_a_proof_gets_a_bearer_token(servers):
    response = token_with(servers)
    assert response.json()["token_type"] == "Bearer"
    claims = pyjwt.decode(
        response.json()["access_token"], options={"verify_signature": False}
    )
    assert "cnf" not in claims


def test_introspection_names_the_key_and_token_type(servers):
    token, key = bound_token(servers)
    answer = servers.new_browser().post(
        "/introspect", data={"token": token}, auth=("photos-api", "photos-api-secret")
    )
    body = answer.json()
    assert body["active"] is True
    assert body["token_type"] == "DPoP"
    assert body["cnf"] == {"jkt": key.jwk.thumbprint()}


def _bad_proofs():
    """(name, build(servers, key) -> headers or proof, description)."""
    return [
        (
            "wrong_htu",
            lambda s, k: proof(k, "POST", f"{ISSUER}/par", now(s)),
            "htu is 'https://auth.photos.test/par', but this request is for "
            "https://auth.photos.test/token.",
        ),
        (
            "wrong_htm",
            lambda s, k: proof(k, "GET", TOKEN_URL, now(s)),
            "htm is 'GET', but this request is a POST.",
        ),
        (
            "stale_iat",
            lambda s, k: proof(k, "POST", TOKEN_URL, now(s) - PROOF_WINDOW - 1),
            "iat 1798761539 is 61 s from this server's clock (1798761600); "
            "proofs are accepted within 60 s.",
        ),
        (
            "future_iat",
            lambda s, k: proof(k, "POST", TOKEN_URL, now(s) + PROOF_WINDOW + 1),
            "iat 1798761661 is -61 s from this server's clock (1798761600); "
            "proofs are accepted within 60 s.",
        ),
        (
            "wrong_typ",
            lambda s, k: proof(k, "POST", TOKEN_URL, now(s), header={"typ": "JWT"}),
            "typ is 'JWT'; a DPoP proof has typ dpop+jwt.",
        ),
        (
            "symmetric_alg",
            lambda s, k: hs256_proof(TOKEN_URL, now(s)),
            "alg 'HS256' is not accepted for DPoP proofs; use one of ES256, PS256.",
        ),
        (
            "private_key_in_jwk",
            lambda s, k: private_jwk_proof(k, TOKEN_URL, now(s)),
            "The jwk header holds a private key; a proof carries only the public key.",
        ),
        (
            "signed_by_another_key",
            lambda s, k: proof(
                k, "POST", TOKEN_URL, now(s), sign_with=generate_ec_signing_key().jwk
            ),
            "The DPoP proof's signature does not verify with its jwk (bad_signature).",
        ),
        (
            "missing_jti",
            lambda s, k: proof(k, "POST", TOKEN_URL, now(s), jti=OMIT),
            "The DPoP proof lacks jti.",
        ),
        (
            "not_a_jwt",
            lambda s, k: "not-a-jwt",
            None,
        ),
    ]


@pytest.mark.parametrize(
    ("build", "description"),
    [(build, description) for _, build, description in _bad_proofs()],
    ids=[name for name, _, _ in _bad_proofs()],
)
def test_bad_proof_at_the_token_endpoint_is_invalid_dpop_proof(
    servers, build, description
):
    response = token_with(servers, build(servers, new_key()))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_dpop_proof"
    if description is not None:
        assert body["error_description"] == description
    assert response.headers["cache-control"] == "no-store"


def test_replayed_proof_at_the_token_endpoint_is_invalid_dpop_proof(servers):
    sent = proof(new_key(), "POST", TOKEN_URL, now(servers), jti="once")
    assert token_with(servers, sent).status_code == 200
    again = token_with(servers, sent)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "jti 'once' was already used for "
        "https://auth.photos.test/token: a replayed proof.",
    }


def test_two_dpop_headers_are_invalid_dpop_proof(servers):
    key = new_key()
    one = proof(key, "POST", TOKEN_URL, now(servers))
    two = proof(key, "POST", TOKEN_URL, now(servers))
    response = servers.new_browser().post(
        "/token",
        data=CREDENTIALS,
        auth=SERVICE,
        # RFC 9110 5.3: two field lines, as a WSGI server combines them.
        headers={"DPoP": f"{one}, {two}"},
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == (
        "More than one DPoP header in the request."
    )


def test_server_nonce_is_asked_for_with_use_dpop_nonce(servers):
    servers.deployment.as_settings.dpop.nonce_required = True
    key = new_key()
    first = token_with(servers, proof(key, "POST", TOKEN_URL, now(servers)))
    assert first.status_code == 400
    assert first.json() == {
        "error": "use_dpop_nonce",
        "error_description": "This server requires a nonce in the DPoP proof.",
    }
    nonce = first.headers["dpop-nonce"]
    wrong = token_with(servers, proof(key, "POST", TOKEN_URL, now(servers), nonce="x"))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "use_dpop_nonce"
    second = token_with(
        servers, proof(key, "POST", TOKEN_URL, now(servers), nonce=nonce)
    )
    assert second.status_code == 200, second.text
    assert second.headers["dpop-nonce"] == nonce


def test_client_registered_for_dpop_must_send_a_proof(servers):
    pushed = fapi_push(servers)
    code = approve_in_browser(servers, pushed.json()["request_uri"], FAPI_CLIENT)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": FAPI_REDIRECT,
        "code_verifier": VERIFIER,
        **fapi_assertion(servers),
    }
    response = token_with(servers, data=data, auth=None)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The client photoprint-fapi is registered with "
        "dpop_bound_access_tokens: its token requests must carry a DPoP proof "
        "(RFC 9449 5.2).",
    }
    key = new_key()
    data.update(fapi_assertion(servers))
    ok = token_with(
        servers, proof(key, "POST", TOKEN_URL, now(servers)), data=data, auth=None
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["token_type"] == "DPoP"


# -- codes bound to a key (RFC 9449 10, 10.1) -------------------------------------


def web_redeem(servers, code, dpop=None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://photoprint.test/callback",
        "code_verifier": VERIFIER,
    }
    return token_with(servers, dpop, data=data, auth=WEB_CLIENT)


def test_dpop_jkt_binds_the_code_to_the_key(servers):
    key = new_key()
    code = servers.code_for(extra={"dpop_jkt": key.jwk.thumbprint()})
    without = web_redeem(servers, code)
    assert without.status_code == 400
    assert without.json()["error"] == "invalid_grant"
    other = web_redeem(servers, code, proof(new_key(), "POST", TOKEN_URL, now(servers)))
    assert other.status_code == 400
    assert other.json() == {
        "error": "invalid_grant",
        "error_description": "The DPoP proof's key is not the one the code is "
        "bound to (dpop_jkt, RFC 9449 10).",
    }
    right = web_redeem(servers, code, proof(key, "POST", TOKEN_URL, now(servers)))
    assert right.status_code == 200, right.text


def test_proof_at_the_par_endpoint_binds_the_code(servers):
    key = new_key()
    pushed = fapi_push(servers, dpop_key=key)
    assert pushed.status_code == 201, pushed.text
    code = approve_in_browser(servers, pushed.json()["request_uri"], FAPI_CLIENT)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": FAPI_REDIRECT,
        "code_verifier": VERIFIER,
        **fapi_assertion(servers),
    }
    other = token_with(
        servers, proof(new_key(), "POST", TOKEN_URL, now(servers)), data, auth=None
    )
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_grant"
    data.update(fapi_assertion(servers))
    right = token_with(
        servers, proof(key, "POST", TOKEN_URL, now(servers)), data, auth=None
    )
    assert right.status_code == 200, right.text


def test_dpop_jkt_that_disagrees_with_the_par_proof_is_invalid_request(servers):
    response = fapi_push(servers, dpop_key=new_key(), dpop_jkt="someone-else")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "dpop_jkt is not the thumbprint of the DPoP proof's key.",
    }


def test_bad_proof_at_the_par_endpoint_is_invalid_dpop_proof(servers):
    key = new_key()
    response = servers.new_browser().post(
        "/par",
        data={"client_id": SPA_CLIENT},
        headers={"DPoP": proof(key, "POST", TOKEN_URL, now(servers))},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


# -- refresh tokens of public clients (RFC 9449 5) --------------------------------


def spa_token(servers, key):
    code = spa_code(servers)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SPA_REDIRECT,
        "client_id": SPA_CLIENT,
        "code_verifier": VERIFIER,
    }
    extra = {"scope": "basic offline_access"}
    del extra
    return token_with(servers, proof(key, "POST", TOKEN_URL, now(servers)), data, None)


def spa_refresh(servers, refresh_token, dpop=None):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": SPA_CLIENT,
    }
    return token_with(servers, dpop, data, auth=None)


def test_public_clients_refresh_token_is_bound_to_the_key(servers):
    key = new_key()
    tokens = spa_token(servers, key)
    assert tokens.status_code == 200, tokens.text
    refresh_token = tokens.json()["refresh_token"]
    without = spa_refresh(servers, refresh_token)
    assert without.status_code == 400
    assert without.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is bound to a DPoP key; refresh "
        "with a DPoP proof made with that key (RFC 9449 5).",
    }
    other = spa_refresh(
        servers, refresh_token, proof(new_key(), "POST", TOKEN_URL, now(servers))
    )
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_grant"
    right = spa_refresh(
        servers, refresh_token, proof(key, "POST", TOKEN_URL, now(servers))
    )
    assert right.status_code == 200, right.text
    assert right.json()["token_type"] == "DPoP"


def test_confidential_clients_refresh_token_is_not_bound_to_the_key(servers):
    code = servers.code_for(scope="basic offline_access")
    first = web_redeem(servers, code, proof(new_key(), "POST", TOKEN_URL, now(servers)))
    assert first.status_code == 200, first.text
    data = {
        "grant_type": "refresh_token",
        "refresh_token": first.json()["refresh_token"],
    }
    again = token_with(
        servers,
        proof(new_key(), "POST", TOKEN_URL, now(servers)),
        data,
        auth=WEB_CLIENT,
    )
    assert again.status_code == 200, again.text


# -- the photos API (RFC 9449 7) --------------------------------------------------

CHALLENGE_START = 'DPoP realm="photos-api", error="invalid_dpop_proof", '
ALGS = 'algs="ES256 PS256"'


def test_dpop_bound_token_with_its_proof_is_accepted(servers):
    token, key = bound_token(servers)
    answer = api_call(
        servers,
        token,
        proof(key, "GET", f"{API}/api/photos", now(servers), access_token=token),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["owner"] == "print-shop-service"


def test_dpop_bound_token_sent_as_bearer_is_refused(servers):
    token, _ = bound_token(servers)
    answer = api_call(servers, token, scheme="Bearer")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="photos-api", error="invalid_token", error_description="The '
        "access token is DPoP-bound (cnf.jkt): send it with 'Authorization: DPoP' "
        'and a DPoP proof, not as a bearer token."'
    )


def test_the_weakness_accepts_a_dpop_bound_token_as_bearer(make):
    servers = make(weaknesses=["rs.accept_bearer_for_dpop_bound"])
    token, _ = bound_token(servers)
    answer = api_call(servers, token, scheme="Bearer")
    assert answer.status_code == 200, answer.text


def test_bearer_token_with_the_dpop_scheme_is_invalid_token(servers):
    token = token_with(servers).json()["access_token"]
    answer = api_call(
        servers,
        token,
        proof(new_key(), "GET", f"{API}/api/photos", now(servers), access_token=token),
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith(
        'DPoP realm="photos-api", error="invalid_token"'
    )


@pytest.mark.parametrize(
    ("name", "description"),
    [
        (
            "no_proof",
            "A DPoP-bound access token needs a DPoP proof in the DPoP header.",
        ),
        (
            "missing_ath",
            "The DPoP proof has no ath: with an access token, a proof must carry "
            "the token's hash.",
        ),
        ("wrong_ath", "ath is not the hash of the access token sent with it."),
        (
            "wrong_htu",
            "htu is 'https://api.photos.test/api/user', but this request is for "
            "https://api.photos.test/api/photos.",
        ),
        ("wrong_htm", "htm is 'GET', but this request is a HEAD."),
        (
            "stale_iat",
            "iat 1798761539 is 61 s from this server's clock (1798761600); proofs "
            "are accepted within 60 s.",
        ),
    ],
)
def test_bad_proof_at_the_api_is_invalid_dpop_proof(servers, name, description):
    token, key = bound_token(servers)
    url = f"{API}/api/photos"
    t = now(servers)
    method = "GET"
    sent = {
        "no_proof": None,
        "missing_ath": proof(key, "GET", url, t),
        "wrong_ath": proof(key, "GET", url, t, ath=access_token_hash("other")),
        "wrong_htu": proof(key, "GET", f"{API}/api/user", t, access_token=token),
        "wrong_htm": proof(key, "GET", url, t, access_token=token),
        "stale_iat": proof(key, "GET", url, t - 61, access_token=token),
    }[name]
    if name == "wrong_htm":
        method = "HEAD"
    answer = api_call(servers, token, sent, method=method)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == (
        f'{CHALLENGE_START}error_description="{description}", {ALGS}'
    )
    if method == "GET":
        assert answer.json() == {
            "error": "invalid_dpop_proof",
            "error_description": description,
        }


def test_replayed_proof_at_the_api_is_invalid_dpop_proof(servers):
    token, key = bound_token(servers)
    sent = proof(
        key, "GET", f"{API}/api/photos", now(servers), access_token=token, jti="j-1"
    )
    assert api_call(servers, token, sent).status_code == 200
    again = api_call(servers, token, sent)
    assert again.status_code == 401
    assert again.json()["error_description"] == (
        "jti 'j-1' was already used for https://api.photos.test/api/photos: a "
        "replayed proof."
    )


def test_proof_signed_by_another_key_is_invalid_token(servers):
    token, key = bound_token(servers)
    mallory = new_key()
    answer = api_call(
        servers,
        token,
        proof(mallory, "GET", f"{API}/api/photos", now(servers), access_token=token),
    )
    assert answer.status_code == 401
    description = (
        f"The DPoP proof is signed by key {mallory.jwk.thumbprint()}, but the "
        f"token is bound to key {key.jwk.thumbprint()} (cnf.jkt)."
    )
    assert answer.headers["www-authenticate"] == (
        f'DPoP realm="photos-api", error="invalid_token", '
        f'error_description="{description}", {ALGS}'
    )


def test_an_installed_proof_check_stands_in_for_the_rfc_9449_checks(servers):
    # ResourceServerSettings.dpop_proof_check (an exercise's student code):
    # it sees the header values, method, URL with its query, and the token.
    token, key = bound_token(servers)
    seen = []

    def installed(proofs, method, url, access_token):
        seen.append((len(proofs), method, url, access_token))
        if not proofs:
            raise ProofRejected("no proof, says the installed check")
        return key.jwk.thumbprint()  # whatever the proof says

    servers.deployment.rs_settings.dpop_proof_check = installed
    stale = proof(key, "GET", f"{API}/api/user", now(servers) - 3600)
    answer = api_call(servers, token, stale, path="/api/photos?page=2")
    # The installed check accepted a proof the checker refuses (htu, iat, ath).
    assert answer.status_code == 200, answer.text
    assert seen == [(1, "GET", f"{API}/api/photos?page=2", token)]
    refused = api_call(servers, token)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == (
        f'{CHALLENGE_START}error_description="no proof, says the installed '
        f'check", {ALGS}'
    )


def test_an_installed_proof_check_cannot_skip_the_key_binding(servers):
    # RFC 9449 7.1: the key it names must still be the token's cnf.jkt.
    token, _ = bound_token(servers)
    mallory = new_key()
    servers.deployment.rs_settings.dpop_proof_check = lambda *_: (
        mallory.jwk.thumbprint()
    )
    answer = api_call(
        servers,
        token,
        proof(mallory, "GET", f"{API}/api/photos", now(servers), access_token=token),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


def test_api_nonce_is_asked_for_with_use_dpop_nonce(servers):
    servers.deployment.rs_settings.dpop.nonce_required = True
    token, key = bound_token(servers)
    url = f"{API}/api/photos"
    first = api_call(
        servers, token, proof(key, "GET", url, now(servers), access_token=token)
    )
    assert first.status_code == 401
    assert first.headers["www-authenticate"] == (
        'DPoP realm="photos-api", error="use_dpop_nonce", error_description="This '
        f'server requires a nonce in the DPoP proof.", {ALGS}'
    )
    nonce = first.headers["dpop-nonce"]
    second = api_call(
        servers,
        token,
        proof(key, "GET", url, now(servers), access_token=token, nonce=nonce),
    )
    assert second.status_code == 200, second.text


def test_dpop_bound_token_checked_by_introspection(make):
    servers = make(validation="introspection")
    token, key = bound_token(servers)
    url = f"{API}/api/photos"
    bearer = api_call(servers, token, scheme="Bearer")
    assert bearer.status_code == 401
    ok = api_call(
        servers, token, proof(key, "GET", url, now(servers), access_token=token)
    )
    assert ok.status_code == 200, ok.text


def test_expired_dpop_token_is_answered_with_a_dpop_challenge(servers):
    token, key = bound_token(servers)
    servers.deployment.clock.advance(3600)
    url = f"{API}/api/photos"
    answer = api_call(
        servers, token, proof(key, "GET", url, now(servers), access_token=token)
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith(
        'DPoP realm="photos-api", error="invalid_token"'
    )


def test_cors_lets_browser_apps_send_dpop_and_read_the_nonce(servers):
    preflight = servers.api.options(
        "/api/photos",
        headers={
            "Origin": "https://photoprint.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, dpop",
        },
    )
    assert preflight.status_code == 204
    assert "DPoP" in preflight.headers["access-control-allow-headers"]
    token, key = bound_token(servers)
    answer = servers.api.get(
        "/api/photos",
        headers={
            "Origin": "https://photoprint.test",
            "Authorization": f"DPoP {token}",
            "DPoP": proof(
                key, "GET", f"{API}/api/photos", now(servers), access_token=token
            ),
        },
    )
    assert "DPoP-Nonce" in answer.headers["access-control-expose-headers"]
    par = servers.auth.options(
        "/par",
        headers={
            "Origin": "https://photoprint.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "dpop, content-type",
        },
    )
    assert par.status_code == 204


def test_replay_cache_is_bounded_and_forgets_expired_proofs():
    cache = ReplayCache(max_entries=2)
    assert cache.use("u", "a", keep_until=100, now=0)
    assert not cache.use("u", "a", keep_until=100, now=0)
    assert cache.use("v", "a", keep_until=100, now=0)  # another URI
    assert cache.use("u", "b", keep_until=100, now=0)
    assert len(cache) == 2
    assert cache.use("u", "a", keep_until=300, now=200)  # the old ones expired
    assert len(cache) == 1


def test_userinfo_refuses_a_dpop_bound_token_as_bearer(servers):
    token, _ = bound_token(servers)
    answer = servers.auth.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="https://auth.photos.test", error="invalid_token", '
        'error_description="The access token is DPoP-bound; /userinfo takes bearer '
        'tokens only."'
    )
