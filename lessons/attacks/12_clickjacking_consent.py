"""Clickjacking: Alice's click lands on a consent page she cannot see."""

from urllib.parse import urlencode

from playground import Lesson

lesson = Lesson(
    "Clickjacking the consent page",
    level="intermediate",
    kind="attack",
    summary=(
        "Mallory's prize page hides the authorization server's consent page, "
        "invisible, on top of a 'Win free prints' button. If the browser "
        "sends the server's session cookie into the frame and agrees to show "
        "the framed page, Alice's click approves Mallory's app. Two defences, "
        "each enough in this scenario: the framing headers RFC 9700 4.16 "
        "requires, and, as defence in depth, a SameSite=Lax session cookie, "
        "which a browser never sends into a frame on another site. The attack "
        "run turns both off: "
        "`as.allow_framing`, and `as.cross_site_session_cookie` (SameSite=None, "
        "as identity providers set it for silent sign-in in iframes; Chrome "
        "still sends such cookies to third-party frames by default, Firefox "
        "and Safari partition or block them)."
    ),
    weakness=("as.allow_framing", "as.cross_site_session_cookie"),
    defence="""
**Forbid framing of every page where the resource owner decides something.**

- The authorization server sends `Content-Security-Policy: frame-ancestors
  'none'` (or a list of its own origins) with its sign-in and consent pages,
  and `X-Frame-Options: DENY` for older browsers (RFC 9700 4.16,
  RFC 6749 10.13). The browser then refuses to render the page inside
  anyone's frame, so there is nothing invisible to click.
- These are response headers: only the framed site can send them. Nothing
  the client or the user does replaces them, and a CSRF token does not help
  (the form in the frame is the real one, in the user's own browser).
- As defence in depth, keep the session cookie `SameSite=Lax`: a browser
  does not send it into a frame on another site (RFC 6265bis 8.8), so a
  framed page sees a visitor who is not signed in. It still goes with the
  top-level redirect a client sends the user on, which is all OAuth needs
  (`Strict` would not, and every arrival from a client would need a fresh
  sign-in). It does not replace the headers: a framed sign-in form is a
  clickjacking target too (RFC 9700 4.16).
- Consent pages should also name the client clearly and can ask for a
  second, deliberate interaction for sensitive scopes.
""",
)

REFUSED = (
    "Refused to frame 'https://auth.photos.test/authorize' because an "
    "ancestor violates the following Content Security Policy directive: "
    "\"frame-ancestors 'none'\"."
)


@lesson.step("Alice is signed in at the authorization server")
def signed_in(run):
    """
    Earlier today Alice used PhotoPrint, so her browser holds a session
    cookie of the authorization server: it will show her consent pages
    without asking for her password. Read its `Set-Cookie` in the sign-in
    answer: `SameSite=None` in the attack run, `SameSite=Lax` defended.
    """
    run.browser.open(f"{run.client_url}/login?scope=basic")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    run.check("Alice is signed in at PhotoPrint", run.browser.status == 200)
    cookie = run.browser.cookies.get("as_session")
    run.check(
        "her browser holds the authorization server's session cookie",
        cookie is not None,
    )
    expected = "None" if run.weakness_on else "Lax"
    run.check(
        f"it is SameSite={expected}",
        cookie is not None and cookie.effective_same_site == expected,
    )


@lesson.step("Alice opens Mallory's prize page")
def prize_page(run):
    """
    Mallory registered **PhotoPrintz**, a look-alike client whose redirect URI
    is on her own site. She builds an ordinary authorization request for it
    (`client_id=photo-printz`, `scope=basic photos.read`) and puts it in an
    `<iframe>` on her page, with `opacity:0`, exactly on top of a big **Win
    free prints** button.

    Read the page's HTML in the response: the frame is there, Alice cannot
    see it.
    """
    printz = run.oauth_client("photo-printz")
    run.printz = printz
    run.url = printz.authorization_url("basic photos.read", pkce_method="S256")
    run.browser.open(f"{run.attacker.url}/frame?{urlencode({'url': run.url})}")
    run.check(
        "the page shows the bait button",
        run.browser.page.form("prize-form") is not None,
    )
    run.check(
        "and frames the consent request for PhotoPrintz",
        run.browser.iframe_sources == [run.url],
    )


@lesson.step("The browser loads the invisible frame")
def load_frame(run):
    """
    The browser fetches the framed page. Which cookies go with it? The
    frame sits on `attacker.test`, another site than the authorization
    server's: a `SameSite=Lax` cookie stays home, a `SameSite=None` one goes
    along (read the request's `Cookie` header, and `Sec-Fetch-Dest: iframe`).

    - **Attack run**: the cookie goes, the authorization server recognizes
      Alice and answers with its real consent page: "PhotoPrintz would like
      to: basic, photos.read", with Approve and Deny. It sends no
      `X-Frame-Options` and no CSP `frame-ancestors`, so the browser renders
      the page inside the frame, invisible but clickable.
    - **Defended**: no cookie, so the server sees nobody signed in and answers
      with its sign-in page; and that page says `frame-ancestors 'none'` and
      `X-Frame-Options: DENY`, so the browser refuses to show it at all and
      the frame stays empty.
    """
    sources = run.browser.iframe_sources
    run.framed = run.browser.frame(
        sources[0] if sources else run.url, embedding_origin=run.attacker.url
    )
    response = run.framed.response
    framed_request = run.last_request
    if run.weakness_on:
        run.check(
            "the frame's request carries the AS's session cookie",
            "as_session=" in (framed_request.header("Cookie") or ""),
        )
        run.check(
            "the authorization server answers with its consent page for PhotoPrintz",
            response.status_code == 200 and 'id="consent-form"' in response.text,
        )
        run.check(
            "no X-Frame-Options, no CSP frame-ancestors",
            "x-frame-options" not in response.headers
            and "content-security-policy" not in response.headers,
        )
        run.check("the browser renders the framed page", run.framed.rendered)
        run.check(
            "its Approve button is there to be clicked",
            run.framed.page.form("consent-form") is not None,
        )
    else:
        run.check(
            "the frame's request carries no cookie: SameSite=Lax stays home",
            framed_request.header("Cookie") is None,
        )
        run.check(
            "so the authorization server answers with its sign-in page",
            response.status_code == 200 and 'id="login-form"' in response.text,
        )
        run.check(
            "the page says X-Frame-Options: DENY",
            response.headers.get("x-frame-options") == "DENY",
        )
        run.check(
            "and Content-Security-Policy: frame-ancestors 'none'",
            response.headers.get("content-security-policy") == "frame-ancestors 'none'",
        )
        run.check("the browser refuses to render it", not run.framed.rendered)
        run.check(f"the browser says: {REFUSED}", run.framed.reason == REFUSED)


@lesson.step("Alice clicks 'Win free prints'")
def click(run):
    """
    Alice clicks the button she sees. The click goes to whatever is on top.

    If the frame was rendered, that is the invisible consent page's
    **Approve**: the browser posts the real consent form, CSRF token and all,
    from Alice's own session. The authorization server records her consent
    for PhotoPrintz and redirects the frame to PhotoPrintz's redirect URI, on
    Mallory's site, with a **code**.

    If the browser refused the frame, the click lands on Mallory's own
    button, which does nothing for her.
    """
    if run.framed.rendered:
        run.after_click = run.browser.submit_in_frame(
            run.framed, "consent-form", decision="approve"
        )
    else:
        run.browser.submit("prize-form")
    consented = run.store.has_consent("u-1001", "photo-printz", "photos.read")
    if run.weakness_on:
        run.check("the authorization server records consent for PhotoPrintz", consented)
        run.check(
            "the frame lands on Mallory's site with a code",
            run.after_click.url.startswith(f"{run.attacker.url}/callback?code="),
        )
        run.check("Mallory's site has the code", len(run.attacker.loot("code")) == 1)
    else:
        run.check("no consent for PhotoPrintz", not consented)
        run.check(
            "no code was issued to PhotoPrintz",
            not [
                event
                for event in run.events_named("authorization_code.issued")
                if event.client_id == "photo-printz"
            ],
        )
        run.check("Mallory's site has no code", run.attacker.loot("code") == [])


@lesson.step("Mallory redeems the code as PhotoPrintz and reads the photos")
def redeem(run):
    """
    PhotoPrintz is Mallory's own confidential client, so she has its secret:
    she redeems the code at the token endpoint like any honest client would,
    and calls the photos API with Alice's access token.

    Without a code there is nothing to redeem.
    """
    codes = run.attacker.loot("code")
    if not run.weakness_on:
        run.check("Mallory has no code to redeem", codes == [])
        run.check("and got no tokens", run.attacker.stolen == {})
        return
    response = run.attacker.redeem_code(
        codes[-1] if codes else "",
        client_id=run.printz.client_id,
        redirect_uri=run.printz.redirect_uri,
        client_secret=run.printz.client_secret,
        code_verifier=run.printz.pending.code_verifier,
    )
    run.check("the token endpoint answers 200", response.status_code == 200)
    token = run.attacker.stolen.get("access_token", "")
    claims = run.show_jwt(token, "Mallory's access token for Alice").claims
    run.check(
        "the access token is Alice's, for PhotoPrintz",
        claims.get("sub") == "u-1001" and claims.get("client_id") == "photo-printz",
    )
    photos = run.attacker.call_api("/api/photos", token)
    run.check("the photos API answers Mallory 200", photos.status_code == 200)
    run.check(
        "Mallory has Alice's photos",
        [p["id"] for p in photos.json().get("photos", [])] == ["p-1", "p-2"],
    )
