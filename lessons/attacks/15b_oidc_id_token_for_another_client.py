"""An ID token issued to another client: a server that opens sessions for
ID tokens its app posts, without checking `aud`, lets any client that holds
one of the user's ID tokens sign in as the user (OIDC Core 3.1.3.7)."""

from playground import Lesson

SCOPE = "openid profile"

lesson = Lesson(
    "OpenID Connect: an ID token issued to another app",
    level="intermediate",
    kind="attack",
    weakness="client.skip_id_token_audience_check",
    summary=(
        "Photo Gallery signs Alice in with OpenID Connect in the browser and "
        "posts the ID token to PhotoPrint's server, which opens a session for "
        "the account it names. Alice also signs in to PhotoPrintz, Mallory's "
        "look-alike, with the same provider: an ordinary sign-in that hands "
        "PhotoPrintz an ID token of Alice's, issued to PhotoPrintz. Mallory "
        "posts it to the gallery's server. Without an audience check, it "
        "opens Alice's account for her."
    ),
    defence="""
**An ID token is for the client named in its `aud`, and no one else.**

- OIDC Core 3.1.3.7 step 3: "The Client MUST validate that the aud
  (audience) Claim contains its client_id value registered at the Issuer
  ... The ID Token MUST be rejected if the ID Token does not list the
  Client as a valid audience". RFC 8725 3.9: a relying party "MUST validate
  the audience value"; otherwise a token meant for one party is
  "substituted by an attacker at an unintended party". Here the gallery's
  server answers **401**: "This ID token was issued to photo-printz, not to
  Photo Gallery (photo-gallery-spa)."
- If the token has several audiences, also check `azp` (OIDC Core 3.1.3.7
  steps 4 and 5). The signature, `iss` and `exp` checks all passed here:
  the token is genuine, just not for this app.
- Better still, let the app's server run the OpenID Connect flow itself
  (a backend for the front end), so no token arrives from outside and the
  server can check the `nonce` it sent too.
- The same rule for access tokens at an API is `aud` (RFC 9068 4; lesson
  08e). An access token is never proof of sign-in, not even with a
  `client_id` check: a client cannot tell an injected one from its own
  (RFC 9700 4.6.1; lesson 05).
""",
)


@lesson.step("Photo Gallery signs Alice in with OpenID Connect")
def gallery_signs_in(run):
    """
    Photo Gallery, the single-page app, runs the code flow in Alice's
    browser with PKCE and `scope=openid profile`. Alice signs in and
    approves; the app's script redeems the code and gets an **ID token**:
    `aud: photo-gallery-spa`, `sub: u-1001` (JWT panel).
    """
    url = run.spa.authorization_url(SCOPE, pkce_method="S256", nonce=True)
    run.browser.open(url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    response = run.spa.exchange_code(run.browser.query_params.get("code", ""))
    run.gallery_id_token = response.json().get("id_token", "")
    claims = run.show_jwt(run.gallery_id_token, "the gallery's ID token").claims
    run.check(
        "an ID token for Alice, issued to photo-gallery-spa",
        claims.get("sub") == "u-1001" and claims.get("aud") == ["photo-gallery-spa"],
    )


@lesson.step("The gallery's script posts the ID token to its server")
def gallery_session(run):
    """
    To reach Alice's PhotoPrint account (her address, her orders), the
    gallery's script posts the ID token to `POST /spa/session` on
    PhotoPrint's site. The server verifies it: the issuer's signature, `iss`,
    `exp` and, unless the weakness is on, `aud`. Then it opens a session
    for the account of (`iss`, `sub`): "Signed in as Alice Liddell." This is
    the door Mallory will knock on.
    """
    response = run.browser.fetch(
        f"{run.client_url}/spa/session",
        method="POST",
        data={"id_token": run.gallery_id_token},
    )
    run.check(
        "PhotoPrint's server answers 200: Signed in as Alice Liddell",
        response is not None
        and response.status_code == 200
        and "Signed in as Alice Liddell." in response.text,
    )


@lesson.step("Alice signs in to PhotoPrintz with the same provider")
def printz_gets_an_id_token(run):
    """
    Alice tries PhotoPrintz, Mallory's registered look-alike, and signs in
    with the photo service (OpenID Connect, with PKCE). Her session at the
    server is still open; the consent page names PhotoPrintz and she
    approves `openid profile`. The code goes to PhotoPrintz's redirect URI
    on Mallory's site, and PhotoPrintz redeems it with its own secret.

    Nothing here is an attack: PhotoPrintz now legitimately holds an ID
    token of Alice's, signed by the real server, with `aud: photo-printz`.
    """
    printz = run.oauth_client("photo-printz")
    run.browser.open(printz.authorization_url(SCOPE, pkce_method="S256", nonce=True))
    run.browser.approve()
    code = run.browser.redirect_params.get("code", "")
    response = run.attacker.redeem_code(
        code,
        client_id=printz.client_id,
        redirect_uri=printz.redirect_uri,
        client_secret=printz.client_secret,
        code_verifier=printz.pending.code_verifier,
    )
    run.printz_id_token = response.json().get("id_token", "")
    claims = run.show_jwt(run.printz_id_token, "PhotoPrintz's ID token").claims
    run.check(
        "PhotoPrintz holds an ID token for Alice, issued to photo-printz",
        claims.get("sub") == "u-1001" and claims.get("aud") == ["photo-printz"],
    )


@lesson.step("Mallory posts PhotoPrintz's ID token to the gallery's server")
def mallory_presents_it(run):
    """
    Mallory sends `POST /spa/session` herself, with the ID token PhotoPrintz
    received. Its signature is the real server's, `iss` is right, it has not
    expired.

    - **Weakness on** (`client.skip_id_token_audience_check`): **200**,
      "Signed in as Alice Liddell.", Alice's delivery address and her order,
      and a session cookie for Mallory.
    - **Defended**: **401** "Sign-in refused": "This ID token was issued to
      photo-printz, not to Photo Gallery (photo-gallery-spa)."
    """
    response = run.attacker.http.post(
        f"{run.client_url}/spa/session", data={"id_token": run.printz_id_token}
    )
    if run.weakness_on:
        run.check("the gallery's server answers 200", response.status_code == 200)
        run.check(
            "Signed in as Alice Liddell, with her address",
            "Signed in as Alice Liddell." in response.text
            and "7 Rabbit Hole Lane, Oxford" in response.text,
        )
    else:
        refusal = (
            "This ID token was issued to photo-printz, not to Photo Gallery "
            "(photo-gallery-spa)."
        )
        run.check("the gallery's server answers 401", response.status_code == 401)
        run.check(f'the page says "{refusal}"', refusal in response.text)
        run.check(
            "the audience check stopped it (id_token_for_another_client)",
            run.web_client.last_error == "id_token_for_another_client",
        )
