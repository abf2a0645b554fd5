"""Code leakage through the Referer header: the page an authorization response
lands on loads a third-party image under a lax referrer policy, and the
browser sends the page's address, code included (RFC 9700 4.2, 4.3)."""

from playground import Lesson

PIXEL_HOST = "stats.pixelstats.test"
PIXEL = f"https://{PIXEL_HOST}/p.gif"

lesson = Lesson(
    "Referer leakage: the callback page tells a third party the code",
    level="intermediate",
    kind="attack",
    weakness=("client.unsafe_referrer_policy", "as.pkce_optional"),
    summary=(
        "Photo Gallery's callback page, served from PhotoPrint's site, counts "
        "visits with a PixelStats image. PixelStats is Mallory's. PhotoPrint "
        "sets Referrer-Policy: no-referrer-when-downgrade on its pages, so "
        "the image request carries the page's full address, authorization "
        "code included, before the gallery's script has redeemed it. The "
        "leak alone gets Mallory a code; the authorization server treating "
        "PKCE as optional (as.pkce_optional) lets her redeem it first."
    ),
    defence="""
**Keep the authorization response's address to the page itself.**

- RFC 9700 4.2.4: "The page rendered as a result of the OAuth authorization
  response and the authorization endpoint SHOULD NOT include third-party
  resources or links to external sites", and: "Suppress the Referer header
  by applying an appropriate Referrer Policy ... the header
  `Referrer-Policy: no-referrer` in the response completely suppresses the
  Referer header in all requests originating from the resulting document."
  Here the callback page sends `Referrer-Policy: no-referrer` and the image
  request carries no `Referer` at all.
- Without any header, today's browsers apply `strict-origin-when-cross-origin`
  (Chrome since version 85, Firefox since 87): a cross-site request gets
  only the origin, `https://photoprint.test/`, never the path or query. The
  leak needs a page that loosens the policy (`no-referrer-when-downgrade`,
  the old default, or `unsafe-url`) or an old browser.
- A leaked code must be worth nothing: PKCE enforced by the server (the
  verifier never leaves the app, RFC 9700 2.1.1 and 4.2.4), codes single-use
  and short-lived (RFC 6749 4.1.2). With PKCE enforced, the leak is still a
  leak (the `state` goes with it, RFC 9700 4.2.3) but the code cannot be
  redeemed without the verifier (lesson 09a shows that refusal).
- Browser history (RFC 9700 4.3.1): the address with the code stays there.
  Remove it once read (a single-page app replaces the address with
  `history.replaceState`; a server answers with a redirect to a code-free
  page), or use the form post response mode; by then the code must be
  spent.
""",
)


@lesson.step("Photo Gallery asks for a code")
def ask_for_a_code(run):
    """
    Photo Gallery, the single-page app served from PhotoPrint's site, asks
    for a code with PKCE (S256). Alice signs in and approves; the server
    answers **302** to `https://photoprint.test/spa/callback?code=...&state=...&iss=...`.

    PhotoPrint embeds **PixelStats**, a third-party analytics service, on
    that page. PixelStats, at `stats.pixelstats.test`, is Mallory's.
    """
    run.attacker.take_over_host(PIXEL_HOST)
    run.browser.open(run.spa.authorization_url("basic photos.read", pkce_method="S256"))
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.check(
        "the server answers 302 to the gallery's callback with a code",
        (run.browser.redirect_location or "").startswith(
            f"{run.client_url}/spa/callback?code="
        ),
    )


@lesson.step("The callback page loads")
def callback_page(run):
    """
    The browser follows the redirect. Look at the response's headers and
    body: the page says "Finishing sign-in in your browser" and embeds
    `<img src="https://stats.pixelstats.test/p.gif">`. The code is in the
    address bar; the gallery's script has not redeemed it yet.

    - **Weakness on**: `Referrer-Policy: no-referrer-when-downgrade`, which
      PhotoPrint sets on every page so its analytics see full addresses: the
      browser sends the whole URL, query included, to any https site.
    - **Defended**: `Referrer-Policy: no-referrer` on the pages an
      authorization response lands on (RFC 9700 4.2.4).
    """
    run.browser.follow_redirect()
    run.code = run.browser.query_params.get("code", "")
    policy = run.browser.response.headers.get("referrer-policy")
    run.check(
        "the page embeds the PixelStats image",
        f'<img src="{PIXEL}"' in run.browser.response.text,
    )
    if run.weakness_on:
        run.check(
            "Referrer-Policy: no-referrer-when-downgrade",
            policy == "no-referrer-when-downgrade",
        )
    else:
        run.check("Referrer-Policy: no-referrer", policy == "no-referrer")


@lesson.step("The browser loads the analytics image")
def the_image(run):
    """
    The browser fetches the image (a no-cors `GET`) and says, in `Referer`,
    which page it is for, as the page's policy allows.

    - **Weakness on**: `Referer:
      https://photoprint.test/spa/callback?code=...&state=...&iss=...`.
      Mallory's server reads the code out of it.
    - **Defended**: no `Referer` header at all. (Without PhotoPrint's
      header, a current browser's default, `strict-origin-when-cross-origin`,
      would send only `https://photoprint.test/`.)
    """
    run.browser.load_image(PIXEL)
    referer = run.last_request.header("Referer")
    if run.weakness_on:
        run.check(
            "the Referer is the callback page's full address, code included",
            referer == run.browser.address and f"code={run.code}" in (referer or ""),
            str(referer),
        )
        run.check(
            "Mallory's server has the code", run.attacker.loot("code") == [run.code]
        )
    else:
        run.check("the image request has no Referer", referer is None, str(referer))
        run.check(
            "Mallory's server has no secret", run.attacker.secrets_received() == []
        )


@lesson.step("Mallory redeems the code first")
def mallory_redeems(run):
    """
    Photo Gallery is a public client: redeeming its code needs no secret,
    only the code, the redirect URI and the **code verifier**, which never
    left the app. Mallory's server sends the code at once, without one.

    - **Weakness on** (`as.pkce_optional`): the server does not insist on
      the verifier: **200**, an access token for Alice. Mallory reads her
      photos. Had the server enforced PKCE, she would hold a code she cannot
      use (`invalid_request`, "Missing 'code_verifier'", lesson 09a).
    - **Defended**: Mallory got no code; there is nothing to send.
    """
    codes = run.attacker.loot("code")
    if not run.weakness_on:
        run.check("Mallory has no code to redeem", codes == [])
        return
    response = run.attacker.redeem_code(
        codes[-1] if codes else "",
        client_id=run.spa.client_id,
        redirect_uri=run.spa.redirect_uri,
    )
    run.check("the token endpoint answers Mallory 200", response.status_code == 200)
    token = run.attacker.stolen.get("access_token", "")
    claims = run.show_jwt(token, "Mallory's access token").claims
    run.check(
        "an access token for Alice, as Photo Gallery",
        claims.get("sub") == "u-1001"
        and claims.get("client_id") == "photo-gallery-spa",
    )
    photos = run.attacker.call_api("/api/photos", token)
    titles = [photo["title"] for photo in photos.json().get("photos", [])]
    run.check(
        "the photos API gives Mallory Alice's photos",
        photos.status_code == 200 and titles == ["Tea party", "Croquet lawn"],
    )


@lesson.step("The gallery's script redeems the code, second")
def gallery_redeems(run):
    """
    The page's script reads the code from the address and sends it, with
    its verifier, to the token endpoint.

    - **Weakness on**: the code is spent: **400** `invalid_grant`, "The code
      was already used; the tokens issued from it are revoked." Mallory's
      refresh token dies with it; her access token, a JWT the API checks
      alone, works until it expires, and she has read the photos already.
    - **Defended**: **200**; Alice is signed in to the gallery.

    Either way the address with the code stays in the browser's **history**
    (RFC 9700 4.3.1); by now the code in it is spent.
    """
    response = run.spa.exchange_code(run.code)
    if run.weakness_on:
        run.check(
            "the token endpoint answers 400 invalid_grant: already used",
            response.status_code == 400
            and response.json().get("error_description")
            == "The code was already used; the tokens issued from it are revoked.",
        )
    else:
        run.check("the token endpoint answers 200", response.status_code == 200)
    callback = f"{run.client_url}/spa/callback?"
    run.check(
        "the history holds the callback address with the code",
        any(
            url.startswith(callback) and run.code in url for url in run.browser.history
        ),
    )
    run.check("the code is spent", run.store.code(run.code).used)
