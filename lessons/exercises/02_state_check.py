"""Exercise: check `state` on the callback (RFC 6749 10.12)."""

from urllib.parse import urlencode

from playground import Exercise

exercise = Exercise(
    "Check state on the callback",
    level="beginner",
    spec="RFC 6749 4.1.2, 10.12; RFC 9700 4.7",
    # PKCE would stop these attacks too (RFC 9700 4.7.1): PhotoPrint sends
    # none here, so `state` is its only defence against CSRF.
    weakness=("client.no_pkce", "as.pkce_optional"),
    summary=(
        "PhotoPrint sends a fresh, unguessable `state` with every "
        "authorization request and keeps it in the browser's session. When "
        "the browser comes back to `/callback`, your function decides "
        "whether the `state` it brings is the one this session sent. Mallory "
        "wants Alice's browser signed in to PhotoPrint with Mallory's own "
        "account (login CSRF), so that what Alice uploads or orders lands "
        "where Mallory can read it. In this exercise PhotoPrint sends no "
        "PKCE, which would otherwise stop her too (RFC 9700 4.7.1)."
    ),
)


@exercise.student
def state_matches(expected: str | None, received: str | None) -> bool:
    """
    Return True only if the callback may go on.

    - `expected`: the `state` PhotoPrint sent in this browser's authorization
      request and kept in its session; None when this browser has no sign-in
      under way.
    - `received`: the `state` parameter of the request to `/callback`; None
      when it has none.

    RFC 6749 10.12: "The client MUST implement CSRF protection for its
    redirection URI", by requiring "a value that binds the request to the
    user-agent's authenticated state". RFC 6749 4.1.2: the authorization
    server returns `state` as "the exact value received from the client".
    """
    # TODO: accept only the state this browser's session sent.
    return True


@exercise.setup
def install(run):
    """PhotoPrint's callback checks `state` with `state_matches`."""
    run.use_state_check(state_matches)


def sign_in(browser, client_url, username, password):
    """A whole sign-in at PhotoPrint: /login, the authorization server's
    sign-in and consent pages (when shown), back to /callback."""
    browser.open(f"{client_url}/login")
    browser.follow_redirect()
    if browser.page.form("login-form") is not None:
        browser.sign_in(username, password)
        browser.follow_redirect()
    if browser.page.form("consent-form") is not None:
        browser.approve()
    browser.follow_redirect()


def mallorys_callback(run):
    """Mallory signs in to PhotoPrint with her own account (the demo's `bob`)
    in her own browser, and keeps the redirect to /callback instead of
    following it: its code is for her account, its state for her session."""
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/login")
    mallory.follow_redirect()
    if mallory.page.form("login-form") is not None:
        mallory.sign_in("bob", "builder")
        mallory.follow_redirect()
    if mallory.page.form("consent-form") is not None:
        mallory.approve()
    return dict(mallory.redirect_params)


def forged_link(run, params, state):
    """The link on Mallory's page: PhotoPrint's callback with her code, and
    `state` as given (left out when None)."""
    query = {"code": params.get("code", ""), "iss": params.get("iss", "")}
    if state is not None:
        query["state"] = state
    return f"{run.client_url}/callback?{urlencode(query)}"


def signed_in_as_mallory(run):
    return run.browser.status == 200 and "Bob Builder" in run.browser.page.text


@exercise.scenario(
    "Alice signs in to PhotoPrint",
    hints=(
        "PhotoPrint calls your function with the state it sent and the one "
        "that came back; in an honest sign-in they are the same string.",
        "Compare the two strings; a constant-time comparison "
        "(hmac.compare_digest) does not leak how much of a guess was right.",
    ),
)
def honest_sign_in(run):
    """
    Alice clicks *Sign in* on PhotoPrint, signs in at the authorization
    server and approves. The server sends her browser back to `/callback`
    with a code and the very `state` PhotoPrint sent: PhotoPrint redeems the
    code and shows her photos. She signs in a second time later: a new
    request, a new `state`.
    """
    user, password, name = run.pick(
        [("alice", "wonderland", "Alice Liddell"), ("bob", "builder", "Bob Builder")]
    )
    for attempt in ("first", "second"):
        sign_in(run.browser, run.client_url, user, password)
        run.check(
            f"the {attempt} sign-in ends on PhotoPrint's photos page (200)",
            run.browser.status == 200 and f"Hello {name}" in run.browser.page.text,
            run.browser.page.text[:200],
        )


@exercise.scenario(
    "Mallory's code arrives while Alice is signing in",
    attack=True,
    hints=(
        "PhotoPrint kept the state it sent in Alice's session; a callback "
        "that brings any other value, or none, did not come from Alice's "
        "request.",
        "Mallory can bring the state of her own session, or no state at all: "
        "neither is the value Alice's session sent. Refuse both.",
        "return expected is not None and received is not None and "
        "hmac.compare_digest(expected.encode(), received.encode())",
    ),
)
def csrf_during_sign_in(run):
    """
    Alice clicks *Sign in* on PhotoPrint: her session now holds a `state`,
    and her browser shows the authorization server's sign-in page. Mallory
    has a code for her own account (she signed in to PhotoPrint in her own
    browser and kept the redirect instead of following it). Alice, still on
    the sign-in page, opens a link on Mallory's page: PhotoPrint's
    `/callback` with Mallory's code, and with the `state` of Mallory's own
    session. Later Mallory tries again without any `state`.

    If PhotoPrint lets either in, it redeems Mallory's code for Alice's
    browser: Alice is signed in to *Mallory's* account.
    """
    for how in ("her own state", "no state"):
        params = mallorys_callback(run)  # a fresh code of Mallory's each time
        state = params.get("state") if how == "her own state" else None
        run.browser.open(f"{run.client_url}/login")  # Alice starts to sign in
        run.browser.follow_redirect()
        run.browser.open(forged_link(run, params, state))
        run.refused(
            f"PhotoPrint refuses Mallory's code with {how}",
            run.browser.status == 400 and not signed_in_as_mallory(run),
            attacker_gets=(
                "Alice's browser signed in to PhotoPrint with Mallory's account "
                "(Bob Builder's photos): what Alice uploads or orders is Mallory's"
            ),
            evidence=[e for e in run.exchanges if "/callback" in e.request.url][-1:]
            + run.exchanges_to(f"{run.issuer}/token")[-1:],
        )
    sign_in(run.browser, run.client_url, "alice", "wonderland")
    run.check(
        "and Alice's own sign-in still works (200, her photos)",
        run.browser.status == 200 and "Hello Alice Liddell" in run.browser.page.text,
    )


@exercise.scenario(
    "Mallory's code arrives when Alice has no sign-in under way",
    attack=True,
    hints=(
        "When Alice's browser has no sign-in under way, PhotoPrint expects no "
        "state at all: `expected` is None.",
        "In Python `None == None` is True: a missing state must never count "
        "as a match.",
        "return expected is not None and received is not None and "
        "hmac.compare_digest(expected.encode(), received.encode())",
    ),
)
def csrf_without_sign_in(run):
    """
    Alice is just browsing: she has not clicked *Sign in* on PhotoPrint, so
    her session holds no `state`. She opens the link on Mallory's page:
    PhotoPrint's `/callback` with Mallory's code and no `state` at all.

    Nothing was expected and nothing came: a check that compares the two
    as they are lets Mallory in.
    """
    params = mallorys_callback(run)
    run.browser.open(forged_link(run, params, None))
    run.refused(
        "PhotoPrint refuses a callback it never asked for",
        run.browser.status == 400 and not signed_in_as_mallory(run),
        attacker_gets=(
            "Alice's browser signed in to PhotoPrint with Mallory's account "
            "(Bob Builder's photos): what Alice uploads or orders is Mallory's"
        ),
        evidence=[e for e in run.exchanges if "/callback" in e.request.url][-1:]
        + run.exchanges_to(f"{run.issuer}/token")[-1:],
    )
    sign_in(run.browser, run.client_url, "alice", "wonderland")
    run.check(
        "and Alice's own sign-in still works (200, her photos)",
        run.browser.status == 200 and "Hello Alice Liddell" in run.browser.page.text,
    )
