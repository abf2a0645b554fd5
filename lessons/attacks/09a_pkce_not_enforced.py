"""PKCE not enforced: a leaked code, issued with a code challenge, redeemed
without its code verifier (RFC 7636 4.6, RFC 9700 2.1.1 and 4.5)."""

from playground import Lesson

lesson = Lesson(
    "PKCE not enforced: a leaked code without its verifier",
    level="intermediate",
    kind="attack",
    summary=(
        "Photo Gallery does PKCE by the book, but the authorization server "
        "treats it as optional. Mallory reads Alice's authorization code from "
        "a leaked address and redeems it with no code verifier at all."
    ),
    weakness="as.pkce_optional",
    defence="""
**Enforce PKCE at the token endpoint, not only at the client.**

- A code issued with a `code_challenge` is redeemed only with the matching
  `code_verifier` (RFC 7636 4.6). RFC 9700 2.1.1: "If a client sends a
  valid PKCE `code_challenge` parameter in the authorization request, the
  authorization server MUST enforce the correct usage of `code_verifier` at
  the token endpoint." Here a token request **without** one is refused with
  `invalid_request`, `Missing 'code_verifier'` (a required parameter is
  missing, RFC 6749 5.2); a **wrong** one would get `invalid_grant`,
  `Code challenge failed.` (RFC 7636 4.6).
- Require PKCE of every public client, and accept it from confidential
  clients too (RFC 9700 2.1.1; OAuth 2.1 requires it for all clients).
- Refuse the mirror image as well: a token request that brings a
  `code_verifier` for a code issued *without* a challenge (RFC 9700 4.8.2,
  the PKCE downgrade of lesson 09c).
- A client cannot defend itself here: its own PKCE is worthless if the server
  does not check it. Treat codes as leakable (Referer, browser history, logs:
  RFC 9700 4.2 and 4.3) and keep them single-use and short-lived
  (RFC 6749 4.1.2).
""",
)


@lesson.step("Photo Gallery asks for a code, with a PKCE challenge")
def ask_with_challenge(run):
    """
    Photo Gallery, the single-page app of lesson 03, does everything right:
    it keeps a random **code verifier** to itself and puts only its SHA-256
    hash, the **code challenge**, in the authorization request
    (`code_challenge_method=S256`, RFC 7636 4.2).

    The point of PKCE: whoever redeems the code must show the verifier, which
    never appears in any URL.
    """
    run.url = run.spa.authorization_url("basic photos.read", pkce_method="S256")
    pending = run.spa.pending
    run.verifier = pending.code_verifier
    run.show_pkce(run.verifier)
    run.check(
        "the authorization request carries the S256 challenge",
        f"code_challenge={pending.code_challenge}" in run.url
        and "code_challenge_method=S256" in run.url,
    )
    run.check("the verifier is not in the URL", run.verifier not in run.url)


@lesson.step("Alice signs in and approves; the code comes back in the address")
def approve(run):
    """
    Alice signs in at the authorization server and approves. The server
    stores the challenge with the code and sends the browser back to
    `https://photoprint.test/spa/callback?code=...`.

    The code is now in the **address bar**, and in everything that sees
    addresses: the browser's history, extensions, `Referer` headers, proxy
    and server logs (RFC 9700 4.2, 4.3).
    """
    run.browser.open(run.url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    run.code = run.browser.query_params.get("code", "")
    run.check("the callback address carries a code", run.code != "")
    run.check(
        "the server stored the challenge with the code",
        run.store.code(run.code).code_challenge == run.spa.pending.code_challenge,
    )


@lesson.step("A browser extension reports the address to Mallory")
def leak(run):
    """
    Alice installed *Coupon Finder*, a browser extension that reports the
    address of every page she opens to its server. Mallory runs that server.
    The extension sees addresses, not the app's memory: it gets the **code**,
    the `state` and `iss`, but the verifier never was in an address.

    Look at the request to `attacker.test/report`: it is sent by
    Alice's own browser.
    """
    run.attacker.extension_reports(run.browser)
    run.check("Mallory has the code", run.attacker.loot("code") == [run.code])
    run.check(
        "Mallory does not have the code verifier",
        run.verifier not in [item.value for item in run.attacker.site.loot],
    )


@lesson.step("Mallory redeems the code with no code verifier")
def redeem_without_verifier(run):
    """
    Mallory's server races Photo Gallery to the token endpoint. Photo Gallery
    is a public client, so Mallory needs no secret to pose as it: she sends
    `client_id`, the code and the redirect URI, and simply **leaves out
    `code_verifier`**.

    - **Weakness on** (`as.pkce_optional`): the authorization server treats
      PKCE as optional and issues tokens anyway.
    - **Defended**: the server stored a challenge with this code, so it wants
      the verifier (RFC 7636 4.6, RFC 9700 2.1.1) and refuses the request:
      **400** `invalid_request`, `Missing 'code_verifier'`. The refused
      attempt does not use up the code.
    """
    codes = run.attacker.loot("code")
    response = run.attacker.redeem_code(
        codes[-1] if codes else "",
        client_id=run.spa.client_id,
        redirect_uri=run.spa.redirect_uri,
    )
    run.check(
        "Mallory's token request has no code_verifier",
        "code_verifier" not in run.last_request.form,
    )
    if run.weakness_on:
        run.check("the token endpoint answers 200", response.status_code == 200)
        claims = run.show_jwt(
            run.attacker.stolen.get("access_token", ""), "Mallory's access token"
        ).claims
        run.check(
            "Mallory holds an access token for Alice, as Photo Gallery",
            claims.get("sub") == "u-1001"
            and claims.get("client_id") == "photo-gallery-spa",
        )
        run.check("and a refresh token", "refresh_token" in run.attacker.stolen)
    else:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            "the error is invalid_request: Missing 'code_verifier'",
            response.json()
            == {
                "error": "invalid_request",
                "error_description": "Missing 'code_verifier'",
            },
        )
        run.check("Mallory got no tokens", run.attacker.stolen == {})


@lesson.step("Mallory reads Alice's photos")
def use_token(run):
    """
    With a token, Mallory calls the photos API directly: it has no way to
    tell her request from Photo Gallery's. A bearer token works for whoever
    holds it (RFC 6750 1.2).

    Without one, there is nothing to send.
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


@lesson.step("Photo Gallery redeems its code, second")
def app_arrives_second(run):
    """
    Photo Gallery's own script now sends the code **with** its verifier.

    If Mallory was first, the code is spent: the server answers
    `invalid_grant` and, seeing a code used twice, revokes what it issued
    for it (RFC 6749 4.1.2). Mallory's refresh token dies; her access token
    is a JWT the API checks by itself, so it keeps working until it expires,
    and she has read the photos already.

    If the server refused Mallory, her attempt did not use up the code, and
    Photo Gallery signs Alice in as usual: the defence costs the real app
    nothing.
    """
    response = run.spa.exchange_code(run.code)
    if run.weakness_on:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            "invalid_grant: the code was already used",
            response.json().get("error") == "invalid_grant"
            and "already used" in response.json().get("error_description", ""),
        )
        run.check(
            "the server logged authorization_code.reused",
            len(run.events_named("authorization_code.reused")) == 1,
        )
    else:
        run.check("the token endpoint answers 200", response.status_code == 200)
        run.check(
            "Photo Gallery's token works at the photos API",
            run.spa.call_api("/api/photos").status_code == 200,
        )
