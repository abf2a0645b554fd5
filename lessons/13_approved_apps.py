"""The apps Alice let in: remembered consent, first-party apps, taking access back."""

from playground import Lesson

ALICE = "u-1001"

lesson = Lesson(
    "The apps you approved: remembered consent, first-party apps, revoking one",
    level="intermediate",
    kind="advanced",
    summary=(
        "The authorization server remembers which apps Alice approved, so it "
        "asks only once (for an app whose identity it can be sure of); its "
        "own (first-party) apps it never asks about, as "
        "Google does not for its own. Her account page lists both and lets her "
        "remove one: the refresh tokens die at once, the access tokens already "
        "handed out live on where an API checks JWTs by itself."
    ),
)


def photoprint_sign_in(run):
    """Alice starts a sign-in at PhotoPrint; the browser lands at the AS."""
    run.browser.open(f"{run.client_url}/login")
    run.browser.follow_redirect()


@lesson.step("Alice approves PhotoPrint, a third-party app")
def approve_photoprint(run):
    """
    The authorization code flow of lesson 02: PhotoPrint sends Alice to the
    authorization server, she signs in and sees the **consent page**:
    PhotoPrint, another company's app, would like to see her name and city
    and her photos. She approves; PhotoPrint gets an access token and a
    refresh token and shows her photos.

    The server **remembers** her approval, per app and per scope (look at
    `run.store.consents`): she will not be asked again for the same scopes.
    """
    photoprint_sign_in(run)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.check(
        "the consent page names PhotoPrint",
        run.browser.page.form("consent-form") is not None
        and "PhotoPrint" in run.browser.page.text,
    )
    run.browser.approve()
    run.browser.follow_redirect()
    run.photoprint = run.web_client.oauth
    run.photoprint_tokens = dict(run.photoprint.tokens)
    run.check("PhotoPrint shows Alice's photos", "Tea party" in run.browser.page.text)
    run.check(
        "the server remembers her approval of PhotoPrint",
        run.store.has_consent(ALICE, "photoprint", "basic photos.read"),
    )


@lesson.step("Next time, no consent page: the approval is remembered")
def remembered(run):
    """
    Later Alice signs in to PhotoPrint again. Her browser still has its
    session at the authorization server, and her approval is on record,
    so `/authorize` answers **at once**: a redirect straight back to
    PhotoPrint with a code, no sign-in and no consent page (the request is
    the same as before: same app, same scopes). PhotoPrint is a confidential
    client: whoever receives the code must still authenticate as PhotoPrint
    to redeem it, which is what lets the server answer without asking again
    (RFC 6749 10.2, quoted in the next step). A public client gets this only
    when its redirect URI proves who it is: the single-page app's registered
    https redirect URI, matched exactly, does (RFC 8252 8.6 lets a server
    accept that as proof), but a native app's loopback port could be any
    app on the device, so the server asks Alice again every time.
    """
    photoprint_sign_in(run)
    run.check(
        "/authorize answers with a redirect to PhotoPrint, no page",
        run.browser.status == 302
        and run.browser.redirect_location.startswith(f"{run.client_url}/callback"),
    )
    run.browser.follow_redirect()
    run.photoprint_tokens = dict(run.photoprint.tokens)
    run.check("PhotoPrint shows her photos again", "Tea party" in run.browser.page.text)


@lesson.step("The photo service's own app asks no consent at all")
def first_party(run):
    """
    Alice opens **Photos**, the photo service's own web app at `photos.test`
    (the same company, the same site as the authorization server). It sends
    her to `/authorize` too, asking for her photos, and she has never
    approved it; yet the server answers at once, no consent page.

    The app is registered as **first-party**: the server's own company
    wrote it, so asking Alice "may the photo service see your photos?" would
    be a question with one answer. Google does the same for its own apps.
    The server does this only for a **confidential** first-party client,
    whose code is useless without its secret: RFC 6749 10.2 says the server
    "SHOULD NOT process repeated authorization requests automatically
    (without active resource owner interaction) without authenticating the
    client or relying on other measures to ensure that the repeated request
    comes from the original client and not an impersonator".
    """
    response = run.code_flow(
        run.photos_web, run.browser, "alice", "wonderland", scope="basic photos.read"
    )
    first = run.exchanges[0]
    run.check(
        "/authorize answers at once with a redirect to photos.test",
        first.response.status == 302
        and (first.response.header("Location") or "").startswith(
            "https://photos.test/callback"
        ),
    )
    run.check(
        "and Photos gets its tokens",
        response.status_code == 200 and "refresh_token" in response.json(),
    )
    run.check(
        "no approval of Photos is on record: none was asked",
        not run.store.has_consent(ALICE, "photos-web", "basic"),
    )


@lesson.step("Her account page lists both apps")
def account_lists_apps(run):
    """
    Alice opens `/account` at the authorization server (already signed in:
    the same session). Under *Apps with access to your account*: PhotoPrint,
    with the scopes she approved, and Photos, marked as the photo service's
    own app, each with its active grants (refresh tokens).
    """
    run.browser.open(f"{run.issuer}/account")
    text = run.browser.page.text
    run.check(
        "PhotoPrint is listed with what she approved",
        run.browser.page.form("revoke-app-photoprint") is not None
        and "you approved basic photos.read" in text,
    )
    run.check(
        "Photos is listed as first-party, signed in without a consent screen",
        run.browser.page.form("revoke-app-photos-web") is not None
        and "first-party app of the photo service" in text,
    )


@lesson.step("She removes PhotoPrint's access")
def remove_photoprint(run):
    """
    Alice presses **Remove access** next to PhotoPrint (`POST
    /account/apps/photoprint/revoke`, with the page's CSRF token, answered
    303). The server forgets her approval and revokes every token of
    PhotoPrint's grants for her (read the event `app.access_revoked`):
    RFC 7009 2.1 asks that revoking a refresh token also invalidate "all
    access tokens based on the same authorization grant".

    PhotoPrint finds out the next time it refreshes: **400**
    `invalid_grant`. It can no longer get new access tokens for Alice.
    """
    run.browser.submit("revoke-app-photoprint")
    run.check("the removal is answered 303", run.browser.status == 303)
    run.browser.follow_redirect()
    run.check(
        "PhotoPrint is gone from the list",
        run.browser.page.form("revoke-app-photoprint") is None,
    )
    [event] = run.events_named("app.access_revoked")
    run.check(
        "the server logged app.access_revoked for PhotoPrint",
        event.client_id == "photoprint" and event.user == ALICE,
    )
    refresh = run.photoprint.refresh(run.photoprint_tokens["refresh_token"])
    run.check(
        "PhotoPrint's refresh is refused: 400 invalid_grant",
        refresh.status_code == 400 and refresh.json().get("error") == "invalid_grant",
    )


@lesson.step("The access token it holds: alive where the API checks JWTs itself")
def access_token_lives_on(run):
    """
    PhotoPrint still holds the **access token** it got in step 2. The
    photos API validates JWTs by itself (signature, `iss`, `aud`, `exp`):
    nothing in the token changed, so it answers **200**, and would until
    `exp`, within the hour. That is what the account page says under the
    list, and it is the honest limit of revocation with self-contained
    tokens.

    Switched to introspection, the API asks the authorization server about
    each token, hears `{"active": false}` and answers **401**
    `invalid_token`: revocation at once, for one round trip per call.
    """
    token = run.photoprint_tokens["access_token"]
    local = run.photoprint.call_api("/api/photos", token)
    run.check(
        "the API checking the JWT itself still answers 200",
        local.status_code == 200,
    )
    run.use_introspection()
    asked = run.photoprint.call_api("/api/photos", token)
    run.check(
        "the API asking the server answers 401 invalid_token",
        asked.status_code == 401 and asked.json().get("error") == "invalid_token",
    )


@lesson.step("Next time, PhotoPrint has to ask again")
def asked_again(run):
    """
    When PhotoPrint next sends Alice to the authorization server, there is
    no approval on record any more: she sees the **consent page** again and
    decides afresh.
    """
    photoprint_sign_in(run)
    run.check(
        "the consent page is back for PhotoPrint",
        run.browser.page.form("consent-form") is not None
        and "PhotoPrint" in run.browser.page.text,
    )
