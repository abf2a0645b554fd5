"""The device authorization grant (RFC 8628): a TV with no keyboard connects
through a code that Alice types on her phone, and polls until she decides."""

from playground import Lesson

lesson = Lesson(
    "Device authorization grant (PhotoFrame TV)",
    level="intermediate",
    kind="grant",
    summary=(
        "PhotoFrame TV shows Alice's photos as a slideshow, but it has no "
        "keyboard and no browser to sign in with. It asks the authorization "
        "server for a short user code, shows it on screen, and polls the "
        "token endpoint while Alice enters the code on her phone, signs in "
        "and approves (RFC 8628). The world's clock runs between the polls."
    ),
)


@lesson.step("The TV asks for a device code")
def ask_for_codes(run):
    """
    The TV sends its `client_id` and the scope it wants to the **device
    authorization endpoint** (RFC 8628 3.1), `POST /device_authorization`.
    PhotoFrame TV is a **public client**: every TV carries the same app, and
    "users in possession of the device can reverse-engineer it and extract the
    credentials", so device clients "should be treated as public clients"
    (RFC 8628 5.6). It holds no secret, and anyone can send this request in
    its name.

    Read the answer (RFC 8628 3.2):

    - `device_code`: long and random. Only the TV and the authorization
      server ever see it; the TV polls with it.
    - `user_code`: short, for a person to type: eight letters from a set of
      twenty consonants, no vowels and no digits (RFC 8628 6.1), so no words
      and no 0/O or 1/I to confuse.
    - `verification_uri`: where to type it; `verification_uri_complete`
      carries the code too, for a QR code.
    - `expires_in`: 600 s to finish; `interval`: poll no more than every 5 s.
    """
    response = run.tv.start("basic photos.read")
    body = response.json()
    run.check(
        "the device authorization endpoint answers 200", response.status_code == 200
    )
    run.check(
        "the answer has device_code, user_code, verification_uri, "
        "verification_uri_complete, expires_in and interval",
        set(body)
        == {
            "device_code",
            "user_code",
            "verification_uri",
            "verification_uri_complete",
            "expires_in",
            "interval",
        },
    )
    run.check(
        "the verification URI is the authorization server's /device page",
        body.get("verification_uri") == f"{run.issuer}/device",
    )
    run.check(
        "the TV may poll every 5 s, for 600 s",
        (body.get("interval"), body.get("expires_in")) == (5, 600),
    )


@lesson.step("The TV shows the code and polls: authorization_pending")
def first_poll(run):
    """
    The TV's screen now says where to go and which code to type, and the TV
    starts **polling**: it asks the token endpoint for a token with
    `grant_type=urn:ietf:params:oauth:grant-type:device_code` and its
    `device_code` (RFC 8628 3.4).

    It waits the 5 s interval first: the world's clock moves 5 s. Nobody has
    typed the code yet, so the answer is **400** `authorization_pending`
    (RFC 8628 3.5): not a failure, "the client SHOULD repeat the access
    token request".
    """
    run.check(
        "the TV's screen shows the verification URI and the user code",
        run.tv.screen == f"Go to {run.issuer}/device and enter {run.tv.user_code}",
        run.tv.screen,
    )
    run.tv.wait()
    response = run.tv.poll()
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check(
        "the error is authorization_pending",
        response.json().get("error") == "authorization_pending",
    )


@lesson.step("A poll too soon: slow_down")
def too_fast(run):
    """
    This time the TV polls only **2 s** after its last request. The
    authorization server keeps the time of every poll and answers
    `slow_down`: "the interval MUST be increased by 5 seconds for this and
    all subsequent requests" (RFC 8628 3.5). Read the `error_description`:
    the server now expects 10 s between polls, and the TV has raised its own
    interval to 10 s too. A TV that kept hammering would keep getting
    `slow_down`, each time 5 s more.
    """
    run.tv.wait(2)
    response = run.tv.poll()
    body = response.json()
    run.check("the token endpoint answers 400", response.status_code == 400)
    run.check("the error is slow_down", body.get("error") == "slow_down")
    run.check(
        "the server now expects 10 s between polls, and the TV waits 10 s",
        "at least 10 s" in body.get("error_description", "") and run.tv.interval == 10,
        body.get("error_description", ""),
    )


@lesson.step("Alice opens the verification page on her phone and signs in")
def phone_signs_in(run):
    """
    Alice picks up her **phone**: another device, with a browser (the
    browser panel shows it). She types the address from the TV screen. The
    authorization server shows its own sign-in page (her password goes only
    to the authorization server, never to the TV), then answers the form with
    **303** back to `/device`, which asks for the code.
    """
    run.browser.open(run.tv.verification_uri)
    run.check(
        "the verification page asks Alice to sign in",
        run.browser.page.form("login-form") is not None,
    )
    run.browser.sign_in("alice", "wonderland")
    run.check("the sign-in is answered with 303", run.browser.status == 303)
    run.browser.follow_redirect()
    run.check(
        "the page now asks for the code on the TV",
        run.browser.page.form("device-code-form") is not None,
    )


@lesson.step("Alice types the code; the page says what she is connecting")
def type_code(run):
    """
    Alice types the code in lower case and without the dash: the server
    compares codes case-insensitively and ignores characters outside the
    code's set, as RFC 8628 6.1 advises.

    Before anything is granted, the page says what is asking (RFC 8628 5.4):
    **you are connecting a device**, the application (**PhotoFrame TV**), the
    code the device should be showing, and where the request came from: the
    network address the TV's request arrived from (Alice's home,
    198.51.100.7) and how long ago. Deny has the same weight as Approve. The
    attack lesson on device code phishing shows why all of this matters.
    """
    typed = run.tv.user_code.lower().replace("-", "")
    run.browser.submit("device-code-form", user_code=typed)
    text = run.browser.page.text
    run.check(
        "the consent page appears", run.browser.page.form("consent-form") is not None
    )
    run.check(
        "it warns that a device is being connected",
        "You are connecting a device" in text,
    )
    run.check("it names PhotoFrame TV", "PhotoFrame TV" in text)
    run.check(
        "it shows the code the TV shows, and the TV's network address",
        run.tv.user_code in text and "network address 198.51.100.7" in text,
    )


@lesson.step("Alice approves")
def approve(run):
    """
    Alice checks that her TV shows the same code (RFC 8628 5.4: "display the
    code during the authorization flow and ask the user to verify that the
    same code is currently being displayed on the device") and presses
    Approve. The phone's part
    is over: the authorization server does not redirect anywhere (a TV has
    no redirect URI); it records the decision and "instructs the user to
    return to their device" (RFC 8628 3.3).
    """
    run.browser.approve()
    run.check(
        "the page says the device is connected",
        "your device is connected" in run.browser.page.text,
    )
    approved = run.events_named("device.approved")
    run.check(
        "the server recorded Alice's approval for photoframe-tv",
        bool(approved) and approved[-1].client_id == "photoframe-tv",
    )


@lesson.step("The TV polls again and gets its tokens")
def tokens(run):
    """
    The TV waits its interval, now **10 s**, and polls once more. This time
    the answer is **200** with an access token and a refresh token (the TV
    will not ask Alice again for a while). Look at the decoded access token:
    `sub` is Alice, `client_id` is `photoframe-tv`, `aud` the photos API.

    The device code is used up: a later poll with it would get
    `invalid_grant`.
    """
    run.tv.wait()
    response = run.tv.poll()
    run.check("the token endpoint answers 200", response.status_code == 200)
    token = run.show_jwt(
        run.tv.tokens.get("access_token", ""), "PhotoFrame TV's access token"
    )
    run.check(
        "the token is Alice's, for PhotoFrame TV, for the photos API",
        (
            token.claims.get("sub"),
            token.claims.get("client_id"),
            token.claims.get("aud"),
        )
        == ("u-1001", "photoframe-tv", run.api_url),
    )
    run.check("a refresh token came too", "refresh_token" in run.tv.tokens)


@lesson.step("The slideshow starts")
def slideshow(run):
    """
    The TV calls the photos API with `Authorization: Bearer <access token>`,
    and Alice's photos come up on screen.
    """
    response = run.tv.call_api("/api/photos")
    run.check("the API answers 200", response.status_code == 200)
    run.check(
        "with Alice's photos",
        [p["title"] for p in response.json().get("photos", [])]
        == ["Tea party", "Croquet lawn"],
    )
