"""Exercise: close the client's open redirector (RFC 9700 4.11.1, RFC 6749
10.15)."""

from urllib.parse import urlencode

from playground import Exercise

exercise = Exercise(
    "Close PhotoPrint's open redirector",
    level="intermediate",
    spec="RFC 9700 4.1.2, 4.11.1; RFC 6749 10.15; RFC 9110 10.2.2",
    # The authorization server matches redirect URIs by prefix here (RFC 9700
    # 4.1.2's setting): PhotoPrint's /go is then the last door between
    # Mallory and Alice's access token.
    weakness="as.loose_redirect_uri",
    summary=(
        "After sign-in PhotoPrint sends people back to where they were: "
        "`/go?to=/orders` answers 302 to that page. Your function decides "
        "which targets `/go` may send a browser to. An open redirector is "
        "the accomplice of RFC 9700 4.1.2's attack: in this exercise the "
        "authorization server accepts any redirect URI that starts with a "
        "registered one, so Mallory's link sends Alice's access token to "
        "PhotoPrint's `/go`, and only your function decides whether the "
        "browser carries it on to Mallory's page."
    ),
)


@exercise.student
def is_own_page(target: str) -> bool:
    """
    Return True only if `/go?to=TARGET` may send the browser to `target`: a
    page of PhotoPrint's own site (`https://photoprint.test`), written as
    a path such as `/orders?id=7`.

    RFC 9700 4.11.1: "Clients MUST NOT expose open redirectors. Attackers
    may use open redirectors to produce URLs pointing to the client and
    utilize them to exfiltrate authorization codes and access tokens". RFC
    6749 10.15: an open redirector is "an endpoint using a parameter to
    automatically redirect a user-agent to the location specified by the
    parameter value without any validation".

    Mind how a browser reads the `Location` it is sent (RFC 3986 5.2):
    `//host/path` is another host, `https://photoprint.test.example/` is
    not PhotoPrint, and neither is `https://photoprint.test@example/`; and
    browsers drop tabs and newlines from a URL (WHATWG URL), so `/<tab>/host`
    is `//host`.
    """
    # TODO: allow PhotoPrint's own pages only.
    return target.startswith("/") or "photoprint.test" in target


@exercise.setup
def install(run):
    """PhotoPrint's `/go` asks `is_own_page` before it redirects."""
    run.use_redirect_target_check(is_own_page)


OWN_PAGES = ("/", "/login", "/login?scope=basic+photos.read", "/spa/callback")
ELSEWHERE = (
    "https://attacker.test/landing",
    "//attacker.test/landing",
    "https://photoprint.test.attacker.test/landing",
    "https://photoprint.test@attacker.test/landing",
    # A tab: PhotoPrint's server (Werkzeug) drops it from the Location it
    # sends, as browsers drop tabs and newlines from URLs (WHATWG URL), so
    # the browser is sent to //attacker.test/landing.
    "/\t/attacker.test/landing",
)


def legacy_sign_in(run):
    """Alice uses Legacy Gallery (the implicit grant) and approves it, so its
    later requests are answered at once."""
    legacy = run.legacy_app
    run.browser.open(
        legacy.authorization_url("basic photos.read", response_type="token")
    )
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()


@exercise.scenario(
    "PhotoPrint sends people back to its own pages",
    hints=(
        "A target that is a path on PhotoPrint's site starts with a single '/'.",
        "urllib.parse.urlsplit(target): no scheme, no netloc, and a path "
        "that starts with '/'.",
    ),
)
def own_pages(run):
    """
    After sign-in PhotoPrint links to `/go?to=<the page you came from>`.
    Each of its own pages must work: `/go` answers 302 with that path.
    """
    for target in run.random.sample(OWN_PAGES, len(OWN_PAGES)):
        run.browser.open(f"{run.client_url}/go?{urlencode({'to': target})}")
        run.check(
            f"/go?to={target} answers 302 to {target}",
            run.browser.status == 302
            and run.browser.redirect_location == f"{run.client_url}{target}",
            str(run.browser.status),
        )


@exercise.scenario(
    "Mallory's link sends Alice's token through /go",
    attack=True,
    hints=(
        "Every one of Mallory's targets sends the browser away from "
        "photoprint.test, though some mention it, and some start with '/'.",
        "Parse the target (urllib.parse.urlsplit): a scheme or a netloc means "
        "another site; '//attacker.test/x' has netloc 'attacker.test', and so "
        "has '/\\t/attacker.test/x' (urlsplit drops tabs, as browsers do). "
        "Checking the string alone misses that one.",
        "parts = urlsplit(target); return not parts.scheme and not "
        "parts.netloc and target.startswith('/') and '\\\\' not in target",
    ),
)
def token_through_go(run):
    """
    Alice uses Legacy Gallery, an old app on the implicit grant; she is
    signed in at the authorization server and approved it before. Mallory's
    page links to the authorization endpoint for Legacy Gallery with
    `redirect_uri=https://photoprint.test/legacy/callback/../../go?to=...`:
    it starts with the registered URI, which is all this server checks
    (RFC 9700 4.1.2). The server answers at once with the token in the
    fragment; the browser resolves the `..` and asks PhotoPrint's `/go`; if
    `/go` forwards, the browser keeps the fragment (RFC 9110 10.2.2) and
    Mallory's page reads it. She tries each of her look-alike targets.
    """
    legacy_sign_in(run)
    registered = run.legacy_app.redirect_uri
    for target in run.random.sample(ELSEWHERE, len(ELSEWHERE)):
        crafted = f"{registered}/../../go?{urlencode({'to': target})}"
        query = {
            "response_type": "token",
            "client_id": "legacy-gallery",
            "redirect_uri": crafted,
            "scope": "basic photos.read",
        }
        before = len(run.attacker.loot("access_token"))
        run.browser.open(f"{run.attacker.url}/free-prints")
        run.browser.click(f"{run.issuer}/authorize?{urlencode(query)}")
        for _ in range(3):
            if run.browser.redirect_location:
                run.browser.follow_redirect()
        if run.party_at(run.browser.address) == "Attacker":  # her page's script
            run.attacker.exfiltrate(run.browser)
        stolen = run.attacker.loot("access_token")[before:]
        shown = target.encode("unicode_escape").decode("ascii")  # the tab as \t
        run.refused(
            f"/go refuses to={shown}",
            not stolen,
            attacker_gets="Alice's access token for Legacy Gallery, read from "
            "the address bar of her own page",
            evidence=[e for e in run.exchanges if "/go?" in e.request.url][-1:]
            + [e for e in run.exchanges if e.receiver == "Attacker"][-1:],
        )
    run.browser.open(f"{run.client_url}/go?to=/login")
    run.check(
        "and /go still sends people to PhotoPrint's own pages (302 to /login)",
        run.browser.redirect_location == f"{run.client_url}/login",
    )
