"""Exercise: validate a redirect URI at the authorization server (RFC 9700
4.1.3, RFC 8252 7.3)."""

from urllib.parse import urlencode, urlsplit

from playground import Exercise

exercise = Exercise(
    "Validate the redirect URI",
    level="intermediate",
    spec="RFC 6749 3.1.2.3, 10.6; RFC 9700 4.1; RFC 8252 7.3",
    # PhotoPrint's /go forwards to any site here: the accomplice of RFC 9700
    # 4.1.2, so a redirect URI that merely starts right is a real hole.
    weakness="client.open_redirect",
    summary=(
        "The authorization server sends the authorization code (or, in the "
        "implicit grant, the access token) to the redirect URI the request "
        "names, if your function says it is registered for that client. "
        "Mallory puts links on her page that name her own site, or a URI "
        "that only looks like PhotoPrint's; Alice, signed in at the "
        "authorization server and having approved these apps before, is "
        "sent on without a single click (Photo Uploader, a native app, meets "
        "the consent page again, RFC 8252 8.6, and she approves it). Native "
        "apps are the one "
        "exception to exact matching: they listen on whatever loopback "
        "port the OS gives them. Here PhotoPrint's `/go` also forwards to "
        "any site (an open redirector, RFC 9700 4.11)."
    ),
)


@exercise.student
def redirect_uri_allowed(requested: str, registered: tuple[str, ...]) -> bool:
    """
    Return True only if the authorization server may send the response to
    `requested`, the `redirect_uri` of an authorization request, given the
    client's `registered` redirect URIs.

    - RFC 9700 4.1.3: the authorization server "MUST ensure that the two
      URIs are equal", by simple string comparison (RFC 3986 6.2.1): no
      prefixes, no patterns, no normalisation.
    - "The only exception is native apps using a localhost URI: In this
      case, the authorization server MUST allow variable port numbers as
      described in Section 7.3 of [RFC8252]". RFC 8252 7.3: loopback
      redirect URIs are `http://127.0.0.1:{port}/{path}` or
      `http://[::1]:{port}/{path}`, and "the authorization server MUST allow
      any port to be specified at the time of the request for loopback IP
      redirect URIs". Everything else (scheme, host, path, query) must
      still be exactly the registered URI's.
    """
    # TODO: this only checks that the URI mentions a registered host.
    return any(urlsplit(uri).netloc in requested for uri in registered)


@exercise.setup
def install(run):
    """The authorization server asks `redirect_uri_allowed` about every
    client's redirect URIs."""
    run.use_redirect_uri_check(redirect_uri_allowed)


def follow(browser, hops=4):
    """Follow redirects as a browser does, up to a few hops."""
    for _ in range(hops):
        if not browser.redirect_location:
            return
        browser.follow_redirect()


def mallory_lands(run, browser):
    """If the browser ended on Mallory's site, her page's script sends the
    address (fragment included) home; what her site holds now."""
    if run.party_at(browser.address) == "Attacker":
        run.attacker.exfiltrate(browser)
    return run.attacker.secrets_received()


@exercise.scenario(
    "Alice signs in to the photo gallery and to PhotoPrint",
    hints=(
        "An honest request names a registered redirect URI exactly: the "
        "same string, character for character.",
        "return requested in registered   # and the loopback exception",
    ),
)
def honest_web_sign_ins(run):
    """
    Photo Gallery (a single-page app) and PhotoPrint (a web server) each
    send Alice to the authorization server with their one registered
    redirect URI, `https://photoprint.test/spa/callback` and
    `https://photoprint.test/callback`. The server must send the code back
    there.
    """
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.check("Photo Gallery gets its tokens (200)", response.status_code == 200)
    run.browser.open(f"{run.client_url}/login")
    run.browser.follow_redirect()
    run.browser.approve()  # signed in already; PhotoPrint is new to her
    follow(run.browser)
    run.check(
        "PhotoPrint signs Alice in (200, her photos)",
        run.browser.status == 200 and "Hello Alice Liddell" in run.browser.page.text,
        run.browser.page.text[:200],
    )


@exercise.scenario(
    "Photo Uploader listens on the port its phone gave it",
    hints=(
        "Photo Uploader registered http://127.0.0.1/callback, but listens "
        "on a port the OS picks at each sign-in (RFC 8252 7.3).",
        "For a registered loopback URI (http, host 127.0.0.1 or [::1]), "
        "compare scheme, host, path and query exactly and ignore only the "
        "port: urllib.parse.urlsplit gives each part.",
        "r, q = urlsplit(registered_uri), urlsplit(requested); allow when "
        "r.scheme == q.scheme == 'http' and r.hostname == q.hostname in "
        "('127.0.0.1', '::1') and r.path == q.path and r.query == q.query "
        "and q.netloc in (q.hostname, f'{q.hostname}:{q.port}', "
        "f'[{q.hostname}]:{q.port}')",
    ),
)
def honest_loopback_port(run):
    """
    Photo Uploader registered `http://127.0.0.1/callback`. At each sign-in
    it asks the phone's OS for a free port and listens there, so its
    authorization request names, say, `http://127.0.0.1:53127/callback`.
    The code must reach the app on that port.
    """
    port = run.random.randrange(49152, 65536)
    app = run.native_app_on_port(port)
    response = run.code_flow(app, run.browser, "alice", "wonderland")
    run.check(
        f"the code reaches Photo Uploader on port {port}, and it gets its tokens (200)",
        response.status_code == 200,
    )


LOOK_ALIKES = (
    "https://attacker.test/spa/callback",
    "https://photoprint.test.attacker.test/spa/callback",
    "https://photoprint.test@attacker.test/spa/callback",
    "https://attacker.test/https://photoprint.test/spa/callback",
)


@exercise.scenario(
    "Mallory's links name look-alikes of the gallery's redirect URI",
    attack=True,
    hints=(
        "Each of Mallory's URIs contains, starts with or ends with something "
        "of the registered one, but sends the browser to attacker.test.",
        "Do not search for a host name or a path inside the URI: compare the "
        "whole URI with each registered one.",
        "return requested in registered   # plus the loopback exception",
    ),
)
def look_alikes(run):
    """
    Alice used Photo Gallery before: she is signed in at the authorization
    server and her consent is on record, so an authorization request for
    the gallery is answered at once. Mallory's page links to the
    authorization endpoint as the gallery would, with her own PKCE
    challenge, but with a redirect URI of her choosing: her own site, a
    host name that starts with PhotoPrint's, PhotoPrint's host as a user
    name before hers (`https://photoprint.test@attacker.test/...`), and a
    path on her site that ends with the registered URI. If a code reaches
    her site, she redeems it as the gallery (a public client) with the
    verifier of her challenge.
    """
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    for evil in run.random.sample(LOOK_ALIKES, len(LOOK_ALIKES)):
        mallorys_tool = run.oauth_client("photo-gallery-spa")
        link = mallorys_tool.authorization_url(
            "basic photos.read", pkce_method="S256", redirect_uri=evil
        )
        before = len(run.attacker.loot("code"))
        run.browser.open(link)
        follow(run.browser)
        mallory_lands(run, run.browser)
        codes = run.attacker.loot("code")[before:]
        if codes:  # she redeems it as the gallery: a public client, her verifier
            run.attacker.redeem_code(
                codes[0],
                client_id="photo-gallery-spa",
                redirect_uri=evil,
                code_verifier=mallorys_tool.pending.code_verifier,
            )
        run.refused(
            f"the authorization server refuses redirect_uri={evil}",
            not codes,
            attacker_gets="Alice's authorization code for Photo Gallery, then "
            "her access and refresh tokens (Mallory chose the PKCE challenge)",
        )
    response = run.code_flow(run.spa, run.browser, "alice", "wonderland")
    run.check(
        "and the gallery's own sign-in still works (200)", response.status_code == 200
    )


@exercise.scenario(
    "Mallory's link starts with the registered URI and ends at /go",
    attack=True,
    hints=(
        "The URI starts with the registered one, so a prefix check passes; "
        "the browser resolves `..` and lands on PhotoPrint's open "
        "redirector, which forwards the token in the fragment to Mallory.",
        "RFC 9700 4.1.3: no prefixes. The whole string must equal a registered URI.",
        "return requested in registered   # plus the loopback exception",
    ),
)
def prefix_and_open_redirect(run):
    """
    Alice used Legacy Gallery, an old app on the implicit grant, before.
    Mallory's link asks for a token for it with
    `redirect_uri=https://photoprint.test/legacy/callback/../../go?to=https://attacker.test/landing`:
    it *starts with* the registered URI. If the server lets it through, it
    sends the token in the fragment; the browser resolves the `..`
    (RFC 3986 5.2.4) and asks PhotoPrint's `/go`, which forwards to
    Mallory's page, fragment and all (RFC 9700 4.1.2). Her page's script
    reads the address bar.
    """
    legacy = run.legacy_app
    legacy_request = legacy.authorization_url(
        "basic photos.read", response_type="token"
    )
    run.browser.open(legacy_request)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    follow(run.browser)
    crafted = f"{legacy.redirect_uri}/../../go?to={run.attacker.url}/landing"
    query = {
        "response_type": "token",
        "client_id": "legacy-gallery",
        "redirect_uri": crafted,
        "scope": "basic photos.read",
    }
    run.browser.open(f"{run.attacker.url}/free-prints")
    run.browser.click(f"{run.issuer}/authorize?{urlencode(query)}")
    follow(run.browser)
    mallory_lands(run, run.browser)
    run.refused(
        "the authorization server refuses the crafted redirect URI",
        not run.attacker.loot("access_token"),
        attacker_gets="Alice's access token for Legacy Gallery (from the "
        "fragment, via PhotoPrint's /go)",
    )
    legacy_request = legacy.authorization_url(
        "basic photos.read", response_type="token"
    )
    run.browser.open(legacy_request)
    run.check(
        "and Legacy Gallery's own request is still answered with a token",
        "access_token=" in (run.browser.redirect_location or ""),
    )


@exercise.scenario(
    "Mallory's links name loopback look-alikes for Photo Uploader",
    attack=True,
    hints=(
        "A URI that starts with http://127.0.0.1 is not necessarily on "
        "127.0.0.1: look at the host the URI really names.",
        "Parse both URIs (urllib.parse.urlsplit) and compare the parsed "
        "scheme, hostname, path and query; allow a different port only.",
        "Beware the authority: in http://127.0.0.1:8000@attacker.test/ the "
        "host is attacker.test; check that the netloc is exactly host:port.",
    ),
)
def loopback_look_alikes(run):
    """
    Alice used Photo Uploader before. Mallory's links name redirect URIs
    that look like the app's loopback URI but reach her site:
    `http://127.0.0.1.attacker.test:PORT/callback` (a host name that starts
    with the loopback address), `http://127.0.0.1:PORT@attacker.test/callback`
    (the loopback address as a user name) and
    `http://attacker.test:PORT/callback`. The authorization server asks
    Alice to approve Photo Uploader again (a native app's approval is not
    remembered, RFC 8252 8.6), and she does: it is the app she uses. Photo
    Uploader is a public client: with Mallory's own PKCE challenge in the
    link, a caught code is as good as Alice's tokens.
    """
    port = run.random.randrange(49152, 65536)
    app = run.native_app_on_port(port)
    run.code_flow(app, run.browser, "alice", "wonderland")
    evil_uris = (
        f"http://127.0.0.1.attacker.test:{port}/callback",
        f"http://127.0.0.1:{port}@attacker.test/callback",
        f"http://attacker.test:{port}/callback",
    )
    for evil in evil_uris:
        mallorys_tool = run.oauth_client("photo-uploader-native")
        link = mallorys_tool.authorization_url(
            "basic photos.read", pkce_method="S256", redirect_uri=evil
        )
        before = len(run.attacker.loot("code"))
        run.browser.open(link)
        if run.browser.page.form("consent-form") is not None:
            run.browser.approve()  # the app she knows, asking again
        follow(run.browser)
        codes = run.attacker.loot("code")[before:]
        if codes:
            run.attacker.redeem_code(
                codes[0],
                client_id="photo-uploader-native",
                redirect_uri=evil,
                code_verifier=mallorys_tool.pending.code_verifier,
            )
        run.refused(
            f"the authorization server refuses redirect_uri={evil}",
            not codes,
            attacker_gets="Alice's authorization code for Photo Uploader, then "
            "her access and refresh tokens",
        )
    response = run.code_flow(app, run.browser, "alice", "wonderland")
    run.check(
        "and Photo Uploader's own sign-in still works (200)",
        response.status_code == 200,
    )
