"""PKCE with the plain method: the verifier travels in the authorization request."""

from playground import Lesson

lesson = Lesson(
    "PKCE plain method: the verifier in plain sight",
    level="intermediate",
    kind="attack",
    summary=(
        "Photo Gallery uses PKCE's plain method, where the challenge is the "
        "verifier itself. Whoever reads the authorization request's address "
        "reads the verifier, and a leaked code is as good as redeemed."
    ),
    weakness="as.allow_plain_pkce",
    defence="""
**Accept only `S256`.**

- With `plain`, `code_challenge = code_verifier` (RFC 7636 4.2): the secret
  the token request proves travels in the front channel, in an address that
  browser history, extensions and logs record. `S256` sends a SHA-256 hash,
  which nobody can turn back into the verifier.
- RFC 9700 2.1.1: clients SHOULD use `S256`. An authorization server may go
  further and refuse `plain` (and a challenge without a method, which RFC
  7636 4.3 says means `plain`), as this one does; it answers
  `invalid_request` at the redirect URI (RFC 7636 4.4.1), so the client
  learns to switch.
- Publish `code_challenge_methods_supported: ["S256"]` in the server's
  metadata (RFC 8414 2) so clients pick the right one from the start.
""",
)

REFUSED = (
    "Unsupported 'code_challenge_method': this server accepts only S256 "
    "(RFC 7636 4.4.1; RFC 9700 2.1.1 asks clients to use S256)."
)


@lesson.step("Photo Gallery picks PKCE's plain method")
def plain_challenge(run):
    """
    PKCE (RFC 7636) has two methods. With `S256` the app sends the SHA-256
    hash of its secret verifier; with **`plain`** it sends the verifier as it
    is: `code_challenge = code_verifier`.

    Look at the PKCE panel: there is no hashing step. Whatever can read the
    authorization request's address can read the verifier.
    """
    run.url = run.spa.authorization_url("basic photos.read", pkce_method="plain")
    run.verifier = run.spa.pending.code_verifier
    explanation = run.show_pkce(run.verifier, "plain")
    run.check(
        "the challenge is the verifier itself",
        explanation.code_challenge == run.verifier,
    )
    run.check(
        "the verifier is in the authorization request's URL",
        f"code_challenge={run.verifier}" in run.url
        and "code_challenge_method=plain" in run.url,
    )


@lesson.step("The browser goes to the authorization server; the address leaks")
def go_and_leak(run):
    """
    Alice installed *Coupon Finder*, a browser extension that reports the
    address of every page she opens to its server, which Mallory runs (read
    the report's `Origin`: the extension's own, `chrome-extension://...`, not
    the page's). The first address it reports is the authorization request,
    verifier and all.

    An authorization server that accepts `plain` shows Alice its sign-in
    page. One that accepts only `S256` (RFC 9700 2.1.1 asks clients to use
    it; this server insists) refuses the request before anyone signs in, and
    sends the browser back to the app with `invalid_request` (RFC 7636
    4.4.1).
    """
    run.browser.open(run.url)
    run.attacker.extension_reports(run.browser)
    run.check(
        "Mallory has the code challenge, which is the verifier",
        run.attacker.loot("code_challenge") == [run.verifier],
    )
    if run.weakness_on:
        run.check(
            "the authorization server shows its sign-in page",
            run.browser.page.form("login-form") is not None,
        )
    else:
        params = run.browser.redirect_params
        run.check("the authorization server redirects back", run.browser.status == 302)
        run.check(
            "the error is invalid_request", params.get("error") == "invalid_request"
        )
        run.check(
            f'error_description: "{REFUSED}"',
            params.get("error_description") == REFUSED,
        )
        run.check("no code was issued", "code" not in params)


@lesson.step("Alice signs in and approves; the callback address leaks too")
def approve_and_leak(run):
    """
    Where there is a sign-in page, Alice signs in and approves, and the
    browser lands on `/spa/callback?code=...`. The extension reports that
    address as well: Mallory now holds a **code** and the **verifier** that
    goes with it.

    Where the request was refused, the browser lands on the callback with
    the error, and the extension reports that; there is no code to report.
    """
    if run.browser.page.form("login-form") is not None:
        run.browser.sign_in("alice", "wonderland")
        run.browser.follow_redirect()
        run.browser.approve()
    run.browser.follow_redirect()
    run.attacker.extension_reports(run.browser)
    if run.weakness_on:
        run.code = run.browser.query_params.get("code", "")
        run.check("the callback address carries a code", run.code != "")
        run.check("Mallory has the code", run.attacker.loot("code") == [run.code])
    else:
        run.check(
            "the callback address carries the error, not a code",
            run.browser.query_params.get("error") == "invalid_request"
            and "code" not in run.browser.query_params,
        )
        run.check("Mallory has no code", run.attacker.loot("code") == [])
        run.check(
            "the authorization server issued no code",
            run.events_named("authorization_code.issued") == [],
        )


@lesson.step("Mallory redeems the code with the verifier copied from the URL")
def redeem(run):
    """
    Photo Gallery is a public client: posing as it takes only its
    `client_id`. Mallory sends the code and, as `code_verifier`, the
    `code_challenge` she copied. The server compares the verifier with the
    stored challenge, `plain` style: equal, so it issues tokens.

    With no code, Mallory has nothing to redeem.
    """
    codes = run.attacker.loot("code")
    if run.weakness_on:
        challenges = run.attacker.loot("code_challenge")
        response = run.attacker.redeem_code(
            codes[-1] if codes else "",
            client_id=run.spa.client_id,
            redirect_uri=run.spa.redirect_uri,
            code_verifier=challenges[-1] if challenges else None,
        )
        run.check(
            "Mallory's code_verifier is the challenge from the URL",
            run.last_request.form.get("code_verifier") == run.verifier,
        )
        run.check("the token endpoint answers 200", response.status_code == 200)
        claims = run.show_jwt(
            run.attacker.stolen.get("access_token", ""), "Mallory's access token"
        ).claims
        run.check(
            "Mallory holds an access token for Alice, as Photo Gallery",
            claims.get("sub") == "u-1001"
            and claims.get("client_id") == "photo-gallery-spa",
        )
    else:
        run.check("Mallory has no code to redeem", codes == [])
        run.check("Mallory got no tokens", run.attacker.stolen == {})


@lesson.step("Mallory reads Alice's photos")
def use_token(run):
    """
    A bearer token works for whoever holds it (RFC 6750 1.2): the photos API
    cannot tell Mallory's request from Photo Gallery's.
    """
    token = run.attacker.stolen.get("access_token")
    if run.weakness_on:
        response = run.attacker.call_api("/api/photos", token or "")
        run.check("the photos API answers Mallory 200", response.status_code == 200)
        run.check(
            "Mallory has Alice's photos",
            [p["id"] for p in response.json().get("photos", [])] == ["p-1", "p-2"],
        )
    else:
        run.check("Mallory holds no access token to call the API with", token is None)
