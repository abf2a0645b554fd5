"""OpenID Connect: an ID token for the client beside the access token for the API."""

import base64
import hashlib

from playground import Lesson

lesson = Lesson(
    "OpenID Connect: who signed in, and what the app may do",
    level="intermediate",
    kind="advanced",
    summary=(
        "Photo Gallery asks for the openid scope and gets two tokens: an ID "
        "token that tells the app who Alice is, and an access token that lets "
        "it call the photos API. They look alike and must never be swapped."
    ),
)


def at_hash(access_token):
    """OIDC Core 3.1.3.6: BASE64URL of the left half of SHA-256(access_token)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@lesson.step("Photo Gallery asks for openid, with a nonce")
def ask_for_openid(run):
    """
    OAuth 2.0 lets an app **act** for a user; it does not tell the app **who**
    the user is. OpenID Connect adds that on top of the code flow: the scope
    `openid` asks for an **ID token** (OIDC Core 3.1.2.1), and `profile` and
    `email` ask for Alice's name and address.

    The app also sends a **nonce**: a random value it remembers. The ID
    token must carry it back, so an ID token stolen from another sign-in
    cannot be replayed into this one (OIDC Core 3.1.2.1, checked per
    3.1.3.7). PKCE protects the code, as in lesson 03.
    """
    scope = "openid profile email photos.read"
    run.url = run.spa.authorization_url(scope, pkce_method="S256", nonce=True)
    run.nonce = run.spa.pending.nonce
    run.check("the scope asks for openid", "scope=openid+profile+email" in run.url)
    run.check("the request carries the nonce", f"nonce={run.nonce}" in run.url)


@lesson.step("Alice signs in and approves")
def sign_in_and_approve(run):
    """
    The front channel is the same as in any code flow: sign in at the
    authorization server, read the consent page, approve. The consent page
    now also says the app wants to **sign Alice in** and see her profile and
    email.
    """
    run.browser.open(run.url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.check(
        "the consent page asks to sign Alice in",
        "OpenID Connect" in run.browser.page.text,
    )
    run.browser.approve()
    run.browser.follow_redirect()
    params = run.browser.query_params
    run.code = params.get("code", "")
    run.check("the redirect carries a code", run.code != "")
    run.check("the state came back", run.spa.state_matches(params.get("state")))


@lesson.step("Two tokens come back")
def redeem(run):
    """
    The token response now has an `id_token` next to the `access_token`.
    Both are JWTs signed by the authorization server, and both are decoded
    below. They look alike; the next two steps read what sets them apart.
    """
    response = run.spa.exchange_code(run.code)
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.id_token = run.spa.tokens.get("id_token", "")
    run.access_token = run.spa.tokens.get("access_token", "")
    run.check(
        "the response has an id_token and an access_token",
        run.id_token != "" and run.access_token != "",
    )
    run.check(
        "both are signed by the authorization server",
        run.decode(run.id_token).verification.status == "valid"
        and run.decode(run.access_token).verification.status == "valid",
    )


@lesson.step("The ID token is for the client")
def read_id_token(run):
    """
    Read the **ID token** decoded in the previous step (OIDC Core 2):

    * `aud` is `photo-gallery-spa`: the **client**. The ID token is a
      message from the authorization server to the app: "Alice signed in,
      at `auth_time`".
    * `nonce` is the value the app sent in step 1. The app MUST compare them
      (OIDC Core 3.1.3.7) before trusting the token.
    * `at_hash` is half a SHA-256 of the access token: it ties the two
      tokens of this response together.
    * `name`, `email`: the claims `profile` and `email` asked for.
    """
    id_token = run.decode(run.id_token)
    claims = id_token.claims
    run.check(
        "aud is the client, photo-gallery-spa",
        "photo-gallery-spa" in claims.get("aud", []),
    )
    run.check("the nonce is the one the app sent", claims.get("nonce") == run.nonce)
    run.check(
        "at_hash is the left half of SHA-256(access token)",
        claims.get("at_hash") == at_hash(run.access_token),
    )
    run.check(
        "it names Alice: sub, name and email",
        claims.get("sub") == "u-1001"
        and claims.get("name") == "Alice Liddell"
        and claims.get("email") == "alice@example.org",
    )


@lesson.step("The access token is for the API")
def read_access_token(run):
    """
    Now the **access token** (RFC 9068): its header says `typ: at+jwt`, its
    `aud` is the photos API, and it carries `client_id` and `scope`: what the
    app may do, not who Alice is. It has no `name`, no `email`, no `nonce`.

    RFC 9068 6 says the client MUST NOT inspect the access token (its format
    may change at any time): the app reads the ID token to know the user,
    and only sends the access token to the API.
    """
    access_token = run.decode(run.access_token)
    run.check("typ is at+jwt", access_token.header.get("typ") == "at+jwt")
    run.check("aud is the photos API", access_token.claims.get("aud") == run.api_url)
    run.check(
        "it carries no profile claims and no nonce",
        not {"name", "email", "nonce"} & set(access_token.claims),
    )


@lesson.step("The app asks /userinfo with the access token")
def userinfo(run):
    """
    The **UserInfo endpoint** (OIDC Core 5.3) is an OAuth-protected resource
    at the authorization server: the app sends the **access token** and gets
    Alice's claims as JSON. Its `sub` MUST match the ID token's `sub`
    (OIDC Core 5.3.2), so the app knows both describe the same person.
    """
    response = run.spa.userinfo()
    info = response.json()
    run.check("/userinfo answers 200", response.status_code == 200)
    run.check(
        "sub matches the ID token's sub",
        info.get("sub") == run.decode(run.id_token).claims.get("sub"),
    )
    run.check("it returns Alice's email", info.get("email") == "alice@example.org")


@lesson.step("The ID token is not an access token: the API refuses it")
def id_token_refused(run):
    """
    What if the app sends the **ID token** to the photos API? It is signed by
    the same authorization server, so a careless API might accept it. Ours
    checks the type (RFC 9068 4: `typ` MUST be `at+jwt`) and answers **401**
    `invalid_token`: read the `error_description`.

    OAuth is **authorization**, not authentication. The ID token is for the
    client, to learn who signed in; the access token is for the API, to
    decide what the client may do. The same call with the access token works.
    """
    refused = run.spa.call_api("/api/photos", run.id_token)
    run.check("the photos API answers 401 to the ID token", refused.status_code == 401)
    run.check(
        "because its typ is not at+jwt",
        "at+jwt" in refused.json().get("error_description", ""),
    )
    accepted = run.spa.call_api("/api/photos", run.access_token)
    run.check("the access token gets Alice's photos (200)", accepted.status_code == 200)
