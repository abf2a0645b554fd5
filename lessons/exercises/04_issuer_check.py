"""Exercise: check `iss` on the authorization response, against mix-up
(RFC 9207 2.4, RFC 9700 4.4)."""

from urllib.parse import urlencode

from playground import Exercise

exercise = Exercise(
    "Check iss on the authorization response",
    level="intermediate",
    spec="RFC 9207 2, 2.4, 3; RFC 9700 4.4",
    # As in the mix-up lesson: without PKCE, the code Mallory gets is worth a
    # whole session, so the iss check is what stands between her and Alice.
    weakness=("client.no_pkce", "as.pkce_optional"),
    summary=(
        "PhotoPrint works with two authorization servers: the photo "
        "service's own, and `as.attacker.test`, which Mallory runs (for its "
        "own users it is an ordinary server). PhotoPrint remembers in the "
        "browser's session which server a sign-in started at, and redeems "
        "the code there. Your function decides whether the `iss` of the "
        "response that comes back fits that server. Mallory's link starts "
        "Alice's sign-in at her server, which quietly passes Alice on to the "
        "honest one (a mix-up). Here PhotoPrint sends no PKCE, so a code "
        "Mallory gets is a session she can open as Alice."
    ),
)


@exercise.student
def issuer_matches(expected: str, iss: str | None, server_sends_iss: bool) -> bool:
    """
    Return True only if PhotoPrint may go on with this authorization
    response (send its code to the token endpoint of `expected`).

    - `expected`: the issuer identifier of the authorization server this
      browser's sign-in was sent to.
    - `iss`: the response's `iss` parameter (already URL-decoded), None
      when it has none.
    - `server_sends_iss`: that server's metadata says
      `authorization_response_iss_parameter_supported: true` (RFC 9207 3).

    RFC 9207 2.4: clients "MUST then decode the value ... and compare the
    result to the issuer identifier of the authorization server where the
    authorization request was sent to. This comparison MUST use simple
    string comparison"; "If the value does not match the expected issuer
    identifier, clients MUST reject the authorization response and MUST
    NOT proceed with the authorization grant". And: "Clients MUST reject
    authorization responses without the iss parameter from authorization
    servers that do support the parameter according to the client's
    configuration".

    A server that sends `iss` without saying so in its metadata: "Clients
    SHOULD discard authorization responses with the iss parameter from
    authorization servers that do not indicate their support for the
    parameter. However, there might be legitimate authorization servers
    that provide the iss parameter without indicating their support in
    their metadata. Local policy or configuration can determine whether to
    accept such responses". PhotoPrint's policy: it accepts them when `iss`
    matches, because one of its servers is such a server.
    """
    # TODO: compare iss with the server this sign-in started at.
    return True


@exercise.setup
def install(run):
    """PhotoPrint's callback checks `iss` with `issuer_matches`."""
    run.use_issuer_check(issuer_matches)


def sign_in_at_photo_service(browser, client_url, username, password):
    browser.open(f"{client_url}/login")
    browser.follow_redirect()
    if browser.page.form("login-form") is not None:
        browser.sign_in(username, password)
        browser.follow_redirect()
    if browser.page.form("consent-form") is not None:
        browser.approve()
    browser.follow_redirect()


@exercise.scenario(
    "Alice signs in to PhotoPrint at the photo service",
    hints=(
        "The photo service's response carries "
        "iss=https://auth.photos.test: the issuer this sign-in started at.",
        "Compare the two strings exactly.",
    ),
)
def honest_photo_service(run):
    """
    Alice clicks *Sign in* on PhotoPrint, which sends her to the photo
    service's authorization server. She signs in and approves; the answer
    comes back with `iss=https://auth.photos.test` (RFC 9207 2), the issuer
    the sign-in started at.
    """
    user, password, name = run.pick(
        [("alice", "wonderland", "Alice Liddell"), ("bob", "builder", "Bob Builder")]
    )
    sign_in_at_photo_service(run.browser, run.client_url, user, password)
    run.check(
        "PhotoPrint signs the user in (200, their photos)",
        run.browser.status == 200 and f"Hello {name}" in run.browser.page.text,
        run.browser.page.text[:200],
    )


@exercise.scenario(
    "Someone signs in to PhotoPrint at the other server",
    hints=(
        "This sign-in started at as.attacker.test, and its answer says "
        "iss=https://as.attacker.test: they match. PhotoPrint works with "
        "more than one server.",
        "Do not compare with one fixed issuer: compare with `expected`, the "
        "server this very sign-in started at. This server's metadata does "
        "not promise iss, yet it sends it: RFC 9207 2.4 leaves such "
        "responses to local policy, and PhotoPrint's accepts them when iss "
        "matches.",
    ),
)
def honest_other_server(run):
    """
    PhotoPrint also lets people sign in with `as.attacker.test`. For the
    people who have an account there it is an ordinary authorization
    server: it answers with a code and `iss=https://as.attacker.test`, and
    PhotoPrint redeems the code at that server's token endpoint. (Its
    metadata does not promise `iss`, but it sends it: RFC 9207 2.4 says
    clients SHOULD discard such responses, and lets local policy accept
    them; PhotoPrint's policy accepts a matching `iss`.)
    """
    identity = run.pick(
        [
            ("m-7", "Mallory Hatter", "mallory@attacker.test"),
            ("d-3", "Dormouse", "dormouse@attacker.test"),
        ]
    )
    run.attacker.authorization_server.vouch_for(
        sub=identity[0], name=identity[1], email=identity[2]
    )
    browser = run.new_browser()
    browser.open(f"{run.client_url}/login?as=attacker")
    browser.follow_redirect()
    browser.follow_redirect()
    tokens = run.exchanges_to(f"{run.attacker.as_url}/token")
    run.check(
        "PhotoPrint redeems the code at as.attacker.test's token endpoint",
        bool(tokens) and tokens[-1].response.status == 200,
    )
    run.check(
        "and signs the user in (200)",
        browser.status == 200 and run.web_client.last_error is None,
        browser.page.text[:200],
    )


@exercise.scenario(
    "Mallory's link starts Alice's sign-in at her server (mix-up)",
    attack=True,
    hints=(
        "The sign-in started at as.attacker.test, yet the response says "
        "iss=https://auth.photos.test: another server answered. PhotoPrint "
        "would send that server's code to Mallory's token endpoint.",
        "Compare `iss` with `expected`, the server the sign-in started at, "
        "whatever that server's metadata says (RFC 9207 2.4).",
        "if iss is None: return not server_sends_iss; "
        "return hmac.compare_digest(iss.encode(), expected.encode())",
    ),
)
def mix_up(run):
    """
    Mallory's page links to `https://photoprint.test/login?as=attacker`:
    PhotoPrint starts an ordinary sign-in at Mallory's server and keeps a
    `state` in Alice's session. Mallory's authorization endpoint authorizes
    nothing: it sends the browser on to the photo service's, with the same
    `client_id`, `redirect_uri` and `state` (RFC 9700 4.4.1). Alice signs in
    and approves at the real server, which answers with a code and
    `iss=https://auth.photos.test`.

    PhotoPrint's session says the sign-in started at Mallory's server. If it
    goes on, it sends Alice's code to *Mallory's* token endpoint; Mallory
    then injects it into a PhotoPrint session of her own (RFC 9700 4.5).
    """
    user, password, name = "alice", "wonderland", "Alice Liddell"
    run.browser.open(f"{run.attacker.url}/free-prints")
    run.browser.click(f"{run.client_url}/login?as=attacker")
    run.browser.follow_redirect()  # to Mallory's /authorize
    run.browser.follow_redirect()  # passed on to the photo service's
    run.browser.sign_in(user, password)
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()  # back to PhotoPrint's /callback
    codes = run.attacker.loot("code")
    if codes:  # Mallory spends it through a PhotoPrint session of her own
        mallory = run.attacker.browser
        mallory.open(f"{run.client_url}/login")
        state = mallory.redirect_params.get("state", "")
        forged = {"code": codes[-1], "state": state, "iss": run.issuer}
        mallory.open(f"{run.client_url}/callback?{urlencode(forged)}")
    run.refused(
        "PhotoPrint refuses the response before sending its code anywhere",
        run.browser.status == 400 and not codes,
        attacker_gets=f"{name}'s authorization code at her token endpoint, then "
        f"a PhotoPrint session of her own signed in as {name}",
        evidence=run.exchanges_to(f"{run.attacker.as_url}/token")
        + [e for e in run.exchanges if e.sender == "Attacker"][-1:],
    )
    sign_in_at_photo_service(run.browser, run.client_url, user, password)
    run.check(
        f"and {name}'s own sign-in at the photo service still works (200)",
        run.browser.status == 200 and f"Hello {name}" in run.browser.page.text,
    )
