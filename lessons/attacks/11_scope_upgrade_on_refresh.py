"""Scope upgrade on refresh: more access than the resource owner ever granted."""

from playground import Lesson

lesson = Lesson(
    "Scope upgrade on refresh",
    level="intermediate",
    kind="attack",
    summary=(
        "Alice lets PhotoPrint see only her name and city. Later, server to "
        "server, PhotoPrint refreshes its token asking for her email and "
        "photos as well. A careless authorization server grants it: consent "
        "Alice never gave."
    ),
    weakness="as.refresh_scope_upgrade",
    defence="""
**A refresh can keep or narrow the scope, never widen it.**

- RFC 6749 6: "The requested scope MUST NOT include any scope not originally
  granted by the resource owner, and if omitted is treated as equal to the
  scope originally granted." A wider request is refused with `invalid_scope`
  (RFC 6749 5.2).
- The authorization server checks the request against the scope stored with
  the grant (the refresh token's record), not against everything the client
  is registered for.
- More access needs a new authorization request, where the resource owner
  sees the consent page (incremental authorization).
- Bind each refresh token to the scope and resource servers the resource
  owner consented to (RFC 9700 4.14.2: "those refresh tokens MUST be bound
  to the scope and resource servers as consented by the resource owner"),
  so that not even the legitimate client can widen it.
""",
)

WIDER = "basic email photos.read"


@lesson.step("Alice grants PhotoPrint only `basic`")
def grant_basic(run):
    """
    PhotoPrint asks for `scope=basic`: Alice's name and city, to print on
    the order. The consent page lists exactly that, and Alice approves
    exactly that. The authorization server records her consent for PhotoPrint:
    `basic`, nothing else.
    """
    run.browser.open(f"{run.client_url}/login?scope=basic")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.check(
        "the consent page lists basic and nothing else",
        "basic" in run.browser.page.text
        and "photos.read" not in run.browser.page.text
        and "email" not in run.browser.page.text,
    )
    run.browser.approve()
    granted = run.events_named("consent.granted")
    run.check(
        "the server records Alice's consent: basic",
        [event.detail for event in granted] == ["basic"],
    )


@lesson.step("PhotoPrint gets tokens for `basic`")
def tokens_for_basic(run):
    """
    The callback trades the code for tokens on PhotoPrint's back channel. The
    token response says `"scope": "basic"`, and so does the access token's
    `scope` claim. PhotoPrint also got a **refresh token**, tied to this
    grant.
    """
    run.browser.follow_redirect()
    run.first = dict(run.web_client.tokens_for_browser(run.browser))
    run.check("Alice is signed in at PhotoPrint", run.browser.status == 200)
    run.check("the token response's scope is basic", run.first.get("scope") == "basic")
    run.check("a refresh token came with it", "refresh_token" in run.first)
    claims = run.show_jwt(run.first.get("access_token", ""), "the basic token").claims
    run.check("the access token's scope claim is basic", claims.get("scope") == "basic")


@lesson.step("With `basic`, the photos API says no")
def photos_refused(run):
    """
    The consent boundary works at the resource server: `/api/photos` needs
    `photos.read`, so the API answers **403** `insufficient_scope` and names
    the scope it wants in `WWW-Authenticate` (RFC 6750 3.1).
    """
    response = run.web_client.oauth.call_api(
        "/api/photos", run.first.get("access_token", "")
    )
    run.check("the photos API answers 403", response.status_code == 403)
    run.check(
        "the error is insufficient_scope",
        response.json().get("error") == "insufficient_scope",
    )


@lesson.step("PhotoPrint refreshes, asking for more")
def refresh_wider(run):
    """
    Here PhotoPrint itself over-reaches (a greedy app, or whoever took over
    its server and its client secret). On its **back channel**, where Alice
    sees nothing, it sends `grant_type=refresh_token` with its refresh token
    and `scope=basic email photos.read`.

    RFC 6749 6 forbids a refresh from asking for any scope the resource owner
    did not grant. A careless server checks only what PhotoPrint is
    *registered* for, and issues a wider token. A careful one compares the
    request with the grant and answers **400** `invalid_scope`.
    """
    response = run.web_client.oauth.refresh(
        run.first.get("refresh_token", ""), scope=WIDER
    )
    run.check(
        "the refresh request asks for basic email photos.read",
        run.last_request.form.get("scope") == WIDER,
    )
    if run.weakness_on:
        run.check("the token endpoint answers 200", response.status_code == 200)
        run.check(
            "the new token's scope is wider", response.json().get("scope") == WIDER
        )
        claims = run.show_jwt(
            response.json().get("access_token", ""), "the widened access token"
        ).claims
        run.check("its scope claim says so too", claims.get("scope") == WIDER)
    else:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            "the error is invalid_scope",
            response.json()
            == {
                "error": "invalid_scope",
                "error_description": (
                    "The requested scope is invalid, unknown, or malformed."
                ),
            },
        )


@lesson.step("PhotoPrint reads Alice's photos")
def read_photos(run):
    """
    PhotoPrint calls `/api/photos` with the newest access token it holds.

    After the upgrade that token carries `photos.read`, the API checks the
    token, not the consent, and answers **200** with Alice's photos. Alice
    never saw a consent page for them; the server's own consent record still
    says `basic`.

    Where the refresh was refused, PhotoPrint still holds its `basic` token
    and the API says **403** again.
    """
    token = run.web_client.oauth.tokens.get("access_token", "")
    response = run.web_client.oauth.call_api("/api/photos", token)
    run.check(
        "Alice consented to basic only",
        run.store.has_consent("u-1001", "photoprint", "basic")
        and not run.store.has_consent("u-1001", "photoprint", "photos.read"),
    )
    if run.weakness_on:
        run.check("the photos API answers 200", response.status_code == 200)
        run.check(
            "PhotoPrint has Alice's photos",
            [p["id"] for p in response.json().get("photos", [])] == ["p-1", "p-2"],
        )
    else:
        run.check("the photos API answers 403", response.status_code == 403)
        run.check(
            "the error is insufficient_scope",
            response.json().get("error") == "insufficient_scope",
        )
