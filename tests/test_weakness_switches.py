"""Every weakness switch really changes what the servers or the client do.

One probe per registry entry drives the careless behaviour through real HTTP in
a fresh world: with the switch on the probe must see it happen, with every
switch off it must not. A new weakness without a probe fails here, so the
registry cannot promise a switch that nothing exercises.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
import pytest

from mock_servers.weaknesses import REGISTRY
from playground.tools import jwt_forge
from playground.world import World, WorldKeys

Probe = Callable[[World], bool]
PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[name] = function
        return function

    return register


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


# -- helpers: the honest flows the probes start from --------------------------


def photoprint_callback(world: World) -> str:
    """Alice signs in through PhotoPrint and approves: the callback URL the AS
    sends her browser to, not yet followed."""
    browser = world.browser
    browser.open(f"{world.client_url}/login")
    browser.follow_redirect()
    browser.sign_in("alice", "wonderland")
    browser.follow_redirect()
    browser.approve()
    location = browser.redirect_location
    assert location and "code=" in location, location
    return location


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    params[name] = value
    return urlunsplit(parts._replace(query=urlencode(params)))


def spa_code(world: World, scope: str = "basic", **options: object) -> str:
    """The SPA's code after Alice signs in and approves (PKCE S256 by default)."""
    options.setdefault("pkce_method", "S256")
    browser = world.browser
    browser.open(world.spa.authorization_url(scope, **options))  # type: ignore[arg-type]
    browser.sign_in("alice", "wonderland")
    browser.follow_redirect()
    browser.approve()
    return browser.redirect_params["code"]


def authorization_page_status(world: World, url: str) -> int:
    """What the AS answers an authorization request: 200 (its sign-in page)
    when it accepts the request, an error otherwise."""
    response = world.browser.open(url)
    return response.status_code


def alices_claims(world: World) -> dict[str, object]:
    """The claims of a real access token of Alice's (from the SPA's flow)."""
    world.spa.exchange_code(spa_code(world))
    token = world.spa.tokens["access_token"]
    return jwt.decode(token, options={"verify_signature": False})


def api_accepts(world: World, token: str) -> bool:
    return world.attacker.call_api("/api/user", token).status_code == 200


# -- the probes ----------------------------------------------------------------


@probe("client.skip_state_check")
def callback_with_foreign_state(world: World) -> bool:
    callback = with_param(photoprint_callback(world), "state", "not-the-one-sent")
    return world.browser.open(callback).status_code == 200


@probe("client.skip_iss_check")
def callback_naming_another_issuer(world: World) -> bool:
    callback = with_param(photoprint_callback(world), "iss", world.attacker.as_url)
    return world.browser.open(callback).status_code == 200


@probe("client.no_pkce")
def authorization_request_without_pkce(world: World) -> bool:
    world.browser.open(f"{world.client_url}/login")
    return "code_challenge" not in world.browser.redirect_params


@probe("client.open_redirect")
def redirect_to_another_site(world: World) -> bool:
    response = world.browser.open(f"{world.client_url}/go?to={world.attacker_url}/x")
    return response.status_code == 302


@probe("client.accept_any_token")
def sign_in_with_another_clients_token(world: World) -> bool:
    response = world.first_party_app.password("alice", "wonderland", "basic")
    token = response.json()["access_token"]  # issued to photoprint-mobile
    answer = world.new_browser().http.post(
        f"{world.client_url}/legacy/session", data={"access_token": token}
    )
    return answer.status_code == 200


@probe("as.loose_redirect_uri")
def redirect_uri_that_only_starts_right(world: World) -> bool:
    registered = world.legacy_app.redirect_uri
    url = world.legacy_app.authorization_url(
        "basic", response_type="token", redirect_uri=f"{registered}/../../go"
    )
    return authorization_page_status(world, url) == 200


@probe("as.allow_code_reuse")
def code_redeemed_twice(world: World) -> bool:
    code = spa_code(world)
    world.spa.exchange_code(code)
    return world.spa.exchange_code(code).status_code == 200


@probe("as.pkce_optional")
def public_client_without_pkce(world: World) -> bool:
    url = world.spa.authorization_url("basic")
    return authorization_page_status(world, url) == 200


@probe("as.allow_plain_pkce")
def plain_code_challenge(world: World) -> bool:
    url = world.spa.authorization_url("basic", pkce_method="plain")
    return authorization_page_status(world, url) == 200


@probe("as.refresh_no_rotation")
def refresh_token_used_twice(world: World) -> bool:
    world.spa.exchange_code(spa_code(world))
    refresh_token = world.spa.tokens["refresh_token"]
    world.spa.refresh(refresh_token)
    return world.spa.refresh(refresh_token).status_code == 200


@probe("as.refresh_scope_upgrade")
def refresh_for_more_than_granted(world: World) -> bool:
    world.spa.exchange_code(spa_code(world, "basic"))
    response = world.spa.refresh(scope="basic photos.read")
    return response.status_code == 200


@probe("as.allow_framing")
def consent_page_in_a_frame(world: World) -> bool:
    url = world.spa.authorization_url("basic", pkce_method="S256")
    return world.browser.frame(url, embedding_origin=world.attacker_url).rendered


@probe("as.cross_site_session_cookie")
def session_cookie_sent_into_a_frame(world: World) -> bool:
    url = world.spa.authorization_url("basic", pkce_method="S256")
    world.browser.open(url)
    world.browser.sign_in("alice", "wonderland")  # Alice has a session at the AS
    world.browser.frame(url, embedding_origin=world.attacker_url)
    framed = world.transcript.exchanges[-1].request
    return framed.header("Cookie") is not None


@probe("as.password_grant_any_client")
def password_grant_for_a_look_alike(world: World) -> bool:
    look_alike = world.oauth_client("photo-printz")
    response = look_alike.password("alice", "wonderland", "basic")
    return response.status_code == 200


@probe("rs.skip_signature_check")
def token_with_changed_claims(world: World) -> bool:
    world.spa.exchange_code(spa_code(world))
    token = world.spa.tokens["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    return api_accepts(world, jwt_forge.with_claims(token, {**claims, "sub": "u-1002"}))


@probe("rs.accept_alg_none")
def unsigned_token(world: World) -> bool:
    return api_accepts(world, jwt_forge.unsigned(alices_claims(world)))


@probe("rs.allow_hs256_key_confusion")
def hmac_keyed_with_the_public_key(world: World) -> bool:
    jwk = world.token_trust().jwks["keys"][0]
    forged = jwt_forge.hs256_with_public_key(
        alices_claims(world), jwt_forge.public_pem_from_jwk(jwk), {"kid": jwk["kid"]}
    )
    return api_accepts(world, forged)


@probe("rs.skip_audience_check")
def token_for_another_api(world: World) -> bool:
    claims = {**alices_claims(world), "aud": "https://api.other.test"}
    return api_accepts(world, jwt_forge.sign(claims, world.keys.authorization_server))


@probe("rs.skip_expiry_check")
def token_after_its_exp(world: World) -> bool:
    world.spa.exchange_code(spa_code(world))
    world.clock.advance(world.spa.tokens["expires_in"] + 1)
    return api_accepts(world, world.spa.tokens["access_token"])


@probe("as.pkce_downgrade")
def verifier_for_a_code_issued_without_challenge(world: World) -> bool:
    # RFC 9700 2.1.1's minimum: PKCE required of public clients only, so
    # PhotoPrint (confidential) may ask for a code without a challenge.
    world.deployment.as_settings.require_pkce_for_all_clients = False
    oauth = world.web_client.oauth
    browser = world.browser
    browser.open(oauth.authorization_url("basic"))
    browser.sign_in("alice", "wonderland")
    browser.follow_redirect()
    browser.approve()
    code = browser.redirect_params["code"]
    return oauth.exchange_code(code, code_verifier="v" * 43).status_code == 200


@probe("as.redirect_errors_to_any_client")
def error_sent_to_an_unverified_clients_redirect_uri(world: World) -> bool:
    # photo-printz came from open registration; the scope is one nobody may ask.
    url = f"{world.issuer}/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": "photo-printz",
            "redirect_uri": "https://attacker.test/callback",
            "scope": "account.verify",
        }
    )
    response = world.browser.open(url)
    location = response.headers.get("location", "")
    return location.startswith("https://attacker.test/callback?error=invalid_scope")


@probe("as.redirect_307")
def sign_in_answered_with_307(world: World) -> bool:
    spa_code(world)  # Alice signs in and approves: consent on record
    url = world.spa.authorization_url(
        "basic", pkce_method="S256", extra={"prompt": "login"}
    )
    world.browser.open(url)
    return world.browser.sign_in("alice", "wonderland").status_code == 307


@probe("client.unsafe_referrer_policy")
def callback_address_in_a_third_party_referer(world: World) -> bool:
    world.attacker.take_over_host("stats.pixelstats.test")
    spa_code(world)
    world.browser.follow_redirect()  # the gallery's callback page, code in the URL
    world.browser.load_image("https://stats.pixelstats.test/p.gif")
    return bool(world.attacker.loot("code"))


def photoprint_openid_code(world: World) -> str:
    """Alice's OpenID Connect code for PhotoPrint, not yet delivered."""
    world.browser.open(f"{world.client_url}/login?scope=openid+basic")
    world.browser.follow_redirect()
    world.browser.sign_in("alice", "wonderland")
    world.browser.follow_redirect()
    world.browser.approve()
    return world.browser.redirect_params["code"]


@probe("client.skip_nonce_check")
def id_token_of_another_sessions_nonce(world: World) -> bool:
    # PhotoPrint binds OpenID Connect sign-ins by the nonce alone (RFC 9700
    # 2.1.1), with a server that lets confidential clients skip PKCE.
    world.deployment.as_settings.require_pkce_for_all_clients = False
    world.web_client.configure(code_binding="nonce")
    code = photoprint_openid_code(world)
    mallory = world.attacker.browser
    mallory.open(f"{world.client_url}/login?scope=openid+basic")
    state = mallory.redirect_params["state"]
    forged = {"code": code, "state": state, "iss": world.issuer}
    return (
        mallory.open(f"{world.client_url}/callback?{urlencode(forged)}").status_code
        == 200
    )


@probe("client.skip_id_token_audience_check")
def id_token_of_another_client_opens_a_session(world: World) -> bool:
    printz = world.oauth_client("photo-printz")
    world.browser.open(printz.authorization_url("openid", pkce_method="S256"))
    world.browser.sign_in("alice", "wonderland")
    world.browser.follow_redirect()
    world.browser.approve()
    tokens = printz.exchange_code(world.browser.redirect_params["code"]).json()
    answer = world.attacker.http.post(
        f"{world.client_url}/spa/session", data={"id_token": tokens["id_token"]}
    )
    return answer.status_code == 200


@probe("client.identify_by_email")
def account_found_by_another_issuers_email(world: World) -> bool:
    world.attacker.authorization_server.vouch_for(
        sub="m-666", name="Mallory", email="alice@example.org"
    )
    mallory = world.attacker.browser
    mallory.open(f"{world.client_url}/login?as=attacker&scope=openid+email")
    mallory.follow_redirect()
    mallory.follow_redirect()
    account = world.web_client.account_for_browser(mallory)
    return account is not None and account.subject == "u-1001"


@probe("as.client_chooses_client_id")
def client_registered_under_a_users_subject(world: World) -> bool:
    response = world.attacker.http.post(
        f"{world.issuer}/register",
        json={"client_id": "u-1001", "grant_types": ["client_credentials"]},
    )
    return response.json().get("client_id") == "u-1001"


@probe("as.device_consent_hides_client")
def device_page_hides_what_is_connected(world: World) -> bool:
    world.attacker_tv.start("basic photos.read")
    phone = world.new_browser()
    phone.open(world.attacker_tv.verification_uri)
    phone.sign_in("alice", "wonderland")
    phone.follow_redirect()
    phone.submit("device-code-form", user_code=world.attacker_tv.user_code)
    text = phone.page.text
    assert phone.page.form("consent-form") is not None
    return "PhotoFrame TV" not in text and "203.0.113.66" not in text


@probe("rs.accept_bearer_for_dpop_bound")
def dpop_bound_token_sent_as_bearer(world: World) -> bool:
    """The FAPI client's DPoP-bound token, copied and sent as a bearer token."""
    client = world.fapi_client
    assert client.push_authorization_request("basic").status_code == 201
    browser = world.browser
    browser.open(client.pending.url)  # type: ignore[union-attr]
    browser.sign_in("alice", "wonderland")
    browser.follow_redirect()
    browser.approve()
    tokens = client.exchange_code(browser.redirect_params["code"])
    assert tokens.json()["token_type"] == "DPoP", tokens.text
    return (
        world.attacker.call_api("/api/user", client.tokens["access_token"]).status_code
        == 200
    )


def photos_web_token(world: World) -> str:
    """Alice's token from Photos (first-party: the sign-in answers at once),
    with the scope the print lab takes."""
    app = world.photos_web
    world.browser.open(
        app.authorization_url("basic photos.read prints.order", pkce_method="S256")
    )
    world.browser.sign_in("alice", "wonderland")
    app.exchange_code(world.browser.redirect_params["code"])
    return app.tokens["access_token"]


@probe("rs.forward_user_token")
def user_token_sent_on_to_the_print_lab(world: World) -> bool:
    token = photos_web_token(world)
    world.photos_web.call_api("/api/prints", method="POST", json={"photo_id": "p-1"})
    sent = [
        e.request.header("Authorization")
        for e in world.transcript.exchanges
        if e.request.target == "/api/print-jobs"
    ]
    return sent == [f"Bearer {token}"]


@probe("rs.print_lab_any_audience")
def print_lab_takes_a_photos_api_token(world: World) -> bool:
    token = photos_web_token(world)
    response = world.photos_web.http.post(
        f"{world.print_lab_url}/api/print-jobs",
        json={"photo": {"id": "p-1"}, "ship_to": {"name": "A", "city": "O"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code == 201


# -- the test --------------------------------------------------------------------


@pytest.mark.parametrize("weakness", [w.name for w in REGISTRY])
def test_switch_turns_the_defence_off_and_only_then(
    weakness: str, keys: WorldKeys
) -> None:
    assert weakness in PROBES, f"no probe exercises {weakness}"
    check = PROBES[weakness]
    assert check(World(weaknesses=[weakness], keys=keys)), f"{weakness} on: defended"
    assert not check(World(keys=keys)), f"{weakness} off: the careless behaviour"


def test_every_probe_belongs_to_a_registered_weakness() -> None:
    assert set(PROBES) == {w.name for w in REGISTRY}
