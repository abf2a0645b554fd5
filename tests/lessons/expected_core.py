"""What the core lessons must show: every message in order, every check per
step, and each lesson's kind and level. A lesson edit that changes the story
changes these tables on purpose."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playground.lesson.runner import LessonResult, load_lesson, run_lesson
from playground.wire.exchange import Channel, Party
from playground.world import WorldKeys

LESSONS = Path(__file__).resolve().parents[2] / "lessons"

BROWSER = Party.BROWSER
CLIENT = Party.CLIENT
AS = Party.AUTHORIZATION_SERVER
RS = Party.RESOURCE_SERVER
LAB = Party.PRINT_LAB
ATTACKER = Party.ATTACKER
FRONT = Channel.FRONT
BACK = Channel.BACK

WHY_OAUTH = "00_why_oauth.py"
CLIENT_CREDENTIALS = "01_client_credentials.py"
AUTHORIZATION_CODE = "02_authorization_code.py"
REFRESH_TOKEN = "04_refresh_token.py"
NATIVE_APP = "03b_native_app.py"
IMPLICIT = "05_implicit.py"
GRANT_LESSONS = (
    WHY_OAUTH,
    CLIENT_CREDENTIALS,
    AUTHORIZATION_CODE,
    NATIVE_APP,
    REFRESH_TOKEN,
    IMPLICIT,
)
PASSWORD = "06_password.py"
INTROSPECTION = "07_introspection_and_revocation.py"
OPENID = "08_openid_connect.py"
CLIENT_AUTH = "09_client_authentication.py"
ADVANCED_LESSONS = (PASSWORD, INTROSPECTION, OPENID, CLIENT_AUTH)
PERSONAL_TOKENS = "12_personal_access_tokens.py"
APPROVED_APPS = "13_approved_apps.py"
TOKEN_EXCHANGE = "11_token_exchange.py"
# Issue 10, "Modern OAuth": personal access tokens and token exchange.
MODERN_LESSONS = (PERSONAL_TOKENS, APPROVED_APPS, TOKEN_EXCHANGE)
ALL = GRANT_LESSONS + ADVANCED_LESSONS + MODERN_LESSONS

# (sender, receiver, channel, method, path, status), in transcript order.

# Alice at the authorization server: the sign-in page, her password, the
# consent page, Approve (a 302 back to the client with the code).
SIGN_IN_AND_APPROVE = [
    (BROWSER, AS, FRONT, "GET", "/authorize", 200),
    (BROWSER, AS, FRONT, "POST", "/login", 302),
    (BROWSER, AS, FRONT, "GET", "/authorize/resume", 200),
    (BROWSER, AS, FRONT, "POST", "/consent", 302),
]
GRANT_EXCHANGES = {
    WHY_OAUTH: [
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (BROWSER, CLIENT, FRONT, "GET", "/", 200),
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    ],
    NATIVE_APP: [
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
    ],
    CLIENT_CREDENTIALS: [
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 403),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    AUTHORIZATION_CODE: [
        (BROWSER, CLIENT, FRONT, "GET", "/", 200),
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    ],
    REFRESH_TOKEN: [
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/spa/callback", 200),
        (BROWSER, AS, BACK, "POST", "/token", 200),
        (BROWSER, RS, BACK, "OPTIONS", "/api/photos", 204),
        (BROWSER, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (BROWSER, RS, BACK, "OPTIONS", "/api/photos", 204),
        (BROWSER, RS, BACK, "GET", "/api/photos", 401),
        (BROWSER, AS, BACK, "POST", "/token", 200),
        (BROWSER, RS, BACK, "GET", "/api/photos", 200),
        (ATTACKER, AS, BACK, "POST", "/token", 400),
        (BROWSER, AS, BACK, "POST", "/token", 400),
        (BROWSER, RS, BACK, "GET", "/api/photos", 200),
    ],
    IMPLICIT: [
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/legacy/callback", 200),
        (BROWSER, RS, BACK, "OPTIONS", "/api/user", 204),
        (BROWSER, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (BROWSER, AS, FRONT, "GET", "/authorize", 302),
    ],
}

# step number -> the check descriptions of that step, in order.

ADVANCED_EXCHANGES = {
    PASSWORD: [
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    INTROSPECTION: [
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        # step 2: the API introspects the token
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 3: revoke, introspect again
        (CLIENT, AS, BACK, "POST", "/revoke", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 4: local JWT validation still accepts the revoked token
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        # step 5: the API introspects every request and refuses it
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 6: refresh
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 7: revoke the refresh token, the whole grant goes
        (CLIENT, AS, BACK, "POST", "/revoke", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    OPENID: [
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/spa/callback", 200),
        (BROWSER, AS, BACK, "POST", "/token", 200),
        (BROWSER, AS, BACK, "OPTIONS", "/userinfo", 204),
        (BROWSER, AS, BACK, "GET", "/userinfo", 200),
        (BROWSER, RS, BACK, "OPTIONS", "/api/photos", 204),
        (BROWSER, RS, BACK, "GET", "/api/photos", 401),
        (BROWSER, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
    ],
    CLIENT_AUTH: [
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, AS, BACK, "POST", "/token", 401),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (BROWSER, AS, BACK, "POST", "/token", 401),
    ],
}

# step number -> the check descriptions of that step, in order.

MODERN_EXCHANGES = {
    PERSONAL_TOKENS: [
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (BROWSER, AS, FRONT, "POST", "/account/login", 303),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (BROWSER, AS, FRONT, "POST", "/account/tokens", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (ATTACKER, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (BROWSER, AS, FRONT, "POST", "/account/tokens/pat-1/revoke", 303),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (ATTACKER, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (BROWSER, AS, FRONT, "POST", "/account/tokens", 400),
        (BROWSER, AS, FRONT, "POST", "/account/tokens", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
    ],
    APPROVED_APPS: [
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        *SIGN_IN_AND_APPROVE,
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (BROWSER, AS, FRONT, "GET", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (BROWSER, AS, FRONT, "POST", "/account/apps/photoprint/revoke", 303),
        (BROWSER, AS, FRONT, "GET", "/account", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
    ],
    TOKEN_EXCHANGE: [
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/login", 303),
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "POST", "/api/prints", 201),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (RS, AS, BACK, "POST", "/token", 200),
        (RS, LAB, BACK, "POST", "/api/print-jobs", 201),
        (LAB, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (RS, AS, BACK, "POST", "/token", 400),
        (RS, AS, BACK, "POST", "/token", 400),
        (CLIENT, LAB, BACK, "POST", "/api/print-jobs", 401),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (CLIENT, LAB, BACK, "GET", "/api/print-jobs", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    ],
}

EXCHANGES = {**GRANT_EXCHANGES, **ADVANCED_EXCHANGES, **MODERN_EXCHANGES}

GRANT_CHECKS = {
    WHY_OAUTH: {
        1: [
            "the photos API answers 401",
            "its WWW-Authenticate header asks for a Bearer token",
        ],
        2: [
            "a password at the API gets 401",
        ],
        3: [
            "the browser is at the authorization server, not at PhotoPrint",
            "the request names the client and the scope it wants",
            "the photo service shows its own sign-in page",
        ],
        4: [
            "the consent page names PhotoPrint",
            "and the two scopes it asks for",
            "approving sends the browser back to PhotoPrint with a code",
        ],
        5: [
            "PhotoPrint greets Alice and lists her photos",
            "the token request went server to server: Client -> Authorization Server",
            "the browser never carried the access token",
        ],
        6: [
            "PhotoPrint is registered as a confidential client (it has a secret)",
            "Photo Gallery, the single-page app, is a public client (no secret)",
        ],
    },
    NATIVE_APP: {
        1: [
            "the registered redirect URI has no port",
            "the request's redirect URI is on the app's own port, 51004",
            "the request carries an S256 code challenge",
        ],
        2: [
            "the authorization server shows its sign-in page",
        ],
        3: [
            "the authorization server answers 302",
            "to the app's loopback port, with a code",
        ],
        4: [
            "the callback went to the app's loopback server",
            "its page tells Alice to close the tab",
            "the state is the one the app sent",
            "iss names our authorization server",
        ],
        5: [
            "the token endpoint answers 200",
            "the request carried the code verifier and no client secret",
            "it came from the app, not from a browser (no Origin)",
            "the photos API answers 200",
        ],
        6: [
            "Photo Uploader is a public client (no secret)",
            "it holds a refresh token",
        ],
    },
    CLIENT_CREDENTIALS: {
        1: [
            "the token endpoint answers 200",
            "Print Shop authenticated with Authorization: Basic (client_secret_basic)",
            "the token was granted the scope photos.read",
            "no refresh token is issued",
        ],
        2: [
            "the token's signature verifies",
            "sub is the client id print-shop-service, not a user",
            "client_id is print-shop-service too",
            "aud is the photos API",
        ],
        3: [
            "the photos API answers 200",
            "the API answers for the service: owner is print-shop-service",
            "no user's photos come back",
        ],
        4: [
            "the API answers 403",
            "the error is insufficient_scope",
            'WWW-Authenticate says error="insufficient_scope", scope="basic"',
        ],
        5: ["the token endpoint answers 400", "the error is invalid_scope"],
    },
    AUTHORIZATION_CODE: {
        1: [
            "a person's click on PhotoPrint's page (Sec-Fetch-Site: same-origin, "
            "Sec-Fetch-User: ?1)",
            "PhotoPrint answers 302",
            "the Location header points at the authorization server's /authorize",
            "the request asks for a code",
            "with a PKCE challenge (S256)",
        ],
        2: [
            "the authorization server shows its sign-in page",
            "the request names the client photoprint",
            "the request carries a state",
        ],
        3: [
            "sign-in answers 302 to /authorize/resume",
            "the consent page names PhotoPrint",
            "it lists the scopes basic and photos.read",
        ],
        4: [
            "the authorization server answers 302",
            "Location is PhotoPrint's /callback with a code",
            "the same state comes back, with iss",
        ],
        5: [
            'the page says "Hello Alice Liddell from Oxford!"',
            "POST /token went from the Client to the Authorization Server on the "
            "back channel",
            "it carried the code verifier",
            "PhotoPrint authenticated with Authorization: Basic (client_secret_basic)",
        ],
        6: [
            "PhotoPrint's server holds one session with an access token",
            "the callback page's HTML does not contain the access token",
            "no request or response of the browser ever carried it",
            "the token is about Alice (sub u-1001) and was issued to photoprint",
        ],
    },
    REFRESH_TOKEN: {
        1: [
            "the token endpoint answers 200",
            "a refresh token came with it",
            "the access token lives 3600 seconds",
        ],
        2: ["the API answers 200", "exp - iat is 3600 seconds"],
        3: [
            "the API answers 401",
            "the error is invalid_token",
            'the error_description says "Expired"',
            "decoded now, the first access token fails with ExpiredSignatureError",
        ],
        4: [
            "the token endpoint answers 200",
            "the access token is new",
            "the refresh token is new too (rotation)",
            "the API answers 200 again",
        ],
        5: [
            "the token endpoint answers 400",
            "the error is invalid_grant",
            "the server logged refresh_token.reused",
        ],
        6: [
            "the token endpoint answers 400",
            "the error is invalid_grant: the refresh token was revoked",
            "the newest access token still works at the API until it expires",
        ],
    },
    IMPLICIT: {
        1: [
            "the request says response_type=token",
            "it carries no PKCE code challenge",
            "the authorization server shows its sign-in page",
        ],
        2: [
            "sign-in answers 302 to /authorize/resume",
            "the consent page names Legacy Gallery",
        ],
        3: [
            "the authorization server answers 302",
            "the Location fragment carries access_token=...",
            "no refresh token is issued",
        ],
        4: [
            "the callback page answers 200",
            "the address bar holds the access token",
            "so does the browser's history",
            "the GET /legacy/callback request itself carries no token",
        ],
        5: [
            "the API answers 200",
            "it is Alice's profile",
            "the token was issued to legacy-gallery",
        ],
        6: [
            "the authorization server answers 302",
            "with error=unauthorized_client for Photo Gallery",
            "and no access token",
        ],
    },
}

ADVANCED_CHECKS = {
    PASSWORD: {
        1: [
            "the client sent Alice's username and password in the request body",
            "the app authenticated itself with its own secret (Basic header)",
            "the token endpoint answers 200",
        ],
        2: [
            "the access token is about Alice (sub u-1001) and for PhotoPrint Mobile",
            "a refresh token came with it",
            "no sign-in page and no consent screen: no such events on the server",
            "the photos API accepts the token (200)",
        ],
        3: [
            "the token endpoint answers 400",
            "the error is invalid_grant",
            "the server recorded user.authentication.failed",
        ],
        4: [
            "the token endpoint answers 400",
            "the error is unauthorized_client",
            "no token was issued",
        ],
        5: [
            "three requests carried a password, all to the token endpoint",
            "every one was sent by the client, none by Alice's browser",
        ],
    },
    INTROSPECTION: {
        1: [
            "PhotoPrint shows Alice's photos",
            "PhotoPrint holds an access token and a refresh token",
        ],
        2: [
            "introspection says active: true",
            "it names the same user, client, scope and jti as the JWT",
            "and the same expiry",
        ],
        3: [
            "the revocation endpoint answers 200",
            "the server recorded token.revoked",
            'introspection now says {"active": false}',
        ],
        4: [
            "the photos API answers 200 to a revoked token",
            "the JWT itself still verifies, and expires only in an hour",
        ],
        5: ["the photos API answers 401", "the error is invalid_token"],
        6: [
            "the token endpoint answers 200",
            "the API accepts the new access token (200)",
        ],
        7: [
            "the revocation endpoint answers 200",
            "the new access token is refused too (401)",
            "the refresh token is refused: invalid_grant",
        ],
    },
    OPENID: {
        1: ["the scope asks for openid", "the request carries the nonce"],
        2: [
            "the consent page asks to sign Alice in",
            "the redirect carries a code",
            "the state came back",
        ],
        3: [
            "the token endpoint answers 200",
            "the response has an id_token and an access_token",
            "both are signed by the authorization server",
        ],
        4: [
            "aud is the client, photo-gallery-spa",
            "the nonce is the one the app sent",
            "at_hash is the left half of SHA-256(access token)",
            "it names Alice: sub, name and email",
        ],
        5: [
            "typ is at+jwt",
            "aud is the photos API",
            "it carries no profile claims and no nonce",
        ],
        6: [
            "/userinfo answers 200",
            "sub matches the ID token's sub",
            "it returns Alice's email",
        ],
        7: [
            "the photos API answers 401 to the ID token",
            "because its typ is not at+jwt",
            "the access token gets Alice's photos (200)",
        ],
    },
    CLIENT_AUTH: {
        1: [
            "the token endpoint answers 200",
            "the Basic header is base64 of id:secret",
            "the body holds no secret",
        ],
        2: [
            "the token endpoint answers 200",
            "the secret is in the body",
            "there is no Authorization header",
        ],
        3: [
            "the token endpoint answers 401",
            "the error is invalid_client",
            "WWW-Authenticate asks for Basic",
            "the server recorded client.authentication.failed",
        ],
        4: [
            "the token endpoint answers 200",
            "the body carries a client assertion of the jwt-bearer type",
            "and no secret at all",
        ],
        5: [
            "iss and sub are print-shop-service",
            "aud is https://auth.photos.test",
            "it expires 60 seconds after iat and has a jti",
            "signed by the client's registered key, not the authorization server's",
        ],
        6: [
            "the token endpoint answers 400",
            "the error is invalid_client",
            "because the jti was seen before",
        ],
        7: [
            "Photo Gallery has no client secret",
            "it authenticates with the method none",
            "the client credentials grant refuses it: 401 invalid_client",
        ],
    },
}

MODERN_CHECKS = {
    PERSONAL_TOKENS: {
        1: [
            "the account page asks her to sign in first",
            "the sign-in is answered 303, back to /account",
            "the account page shows the form for a new token, with a CSRF token",
            "it may not be framed: frame-ancestors 'none'",
            "she has no tokens yet",
        ],
        2: [
            "the page shows the new token",
            "photos_pat_ + 30 random + 6 checksum characters",
            "no cache may keep the page (Cache-Control: no-store)",
            "the server keeps a SHA-256 hash, not the token",
            "with basic photos.read, for 30 days (the default)",
        ],
        3: [
            "the photos API answers 200 with Alice's photos",
            "it asked the authorization server: POST /introspect",
            "active, Alice's, basic photos.read, no client_id",
            "/api/user: id, name and city, no email (no email scope)",
        ],
        4: [
            "the page lists 'photo backup', active",
            "with its last use",
            "and never the token",
        ],
        5: [
            "Mallory gets Alice's photos: 200",
            "the API logged it as Alice's, with no client",
        ],
        6: [
            "the revocation is answered 303",
            "Mallory now gets 401",
            "invalid_token, in the body and the WWW-Authenticate header",
            "the page lists it as revoked",
        ],
        7: [
            "a token without an expiry is refused: 400",
            "eight days later the API answers 401 invalid_token",
            "the page lists it as expired",
        ],
    },
    APPROVED_APPS: {
        1: [
            "the consent page names PhotoPrint",
            "PhotoPrint shows Alice's photos",
            "the server remembers her approval of PhotoPrint",
        ],
        2: [
            "/authorize answers with a redirect to PhotoPrint, no page",
            "PhotoPrint shows her photos again",
        ],
        3: [
            "/authorize answers at once with a redirect to photos.test",
            "and Photos gets its tokens",
            "no approval of Photos is on record: none was asked",
        ],
        4: [
            "PhotoPrint is listed with what she approved",
            "Photos is listed as first-party, signed in without a consent screen",
        ],
        5: [
            "the removal is answered 303",
            "PhotoPrint is gone from the list",
            "the server logged app.access_revoked for PhotoPrint",
            "PhotoPrint's refresh is refused: 400 invalid_grant",
        ],
        6: [
            "the API checking the JWT itself still answers 200",
            "the API asking the server answers 401 invalid_token",
        ],
        7: [
            "the consent page is back for PhotoPrint",
        ],
    },
    TOKEN_EXCHANGE: {
        1: [
            "the token endpoint answers 200",
            "Alice's token is for the photos API, with every scope the app asked",
        ],
        2: [
            "the photos API answers 201: the print is ordered",
            "it sent a token exchange request: Alice's token as subject_token",
            "for the print lab, with scope prints.order",
            "issued_token_type: an access token, Bearer, 300 seconds",
            "the lab queued the job for Alice, ordered by the photos API",
        ],
        3: [
            "same sub (Alice), another aud: the print lab",
            "a subset of the scope: prints.order only",
            "act.sub is photos-api, the client that asked",
            "five minutes, where Alice's has an hour",
            "both verify for their own API (the panel's verdict)",
        ],
        4: [
            "PhotoPrint: 400 unauthorized_client",
            "a token for the photos API itself: 400 invalid_target",
            "a scope Alice never granted: 400 invalid_scope",
        ],
        5: [
            "the print lab refuses Alice's photos-API token: 401 invalid_token",
            "the photos API refuses the print lab's token: 401 invalid_token",
        ],
        6: [
            "the print lab answers 401 invalid_token: expired",
            'introspection says {"active": false}',
            "Alice's own token still works at the photos API",
        ],
    },
}

CHECKS = {**GRANT_CHECKS, **ADVANCED_CHECKS, **MODERN_CHECKS}

# (kind, level)
GRANT_KINDS = {
    WHY_OAUTH: ("introduction", "beginner"),
    NATIVE_APP: ("grant", "beginner"),
    CLIENT_CREDENTIALS: ("grant", "beginner"),
    AUTHORIZATION_CODE: ("grant", "beginner"),
    REFRESH_TOKEN: ("grant", "intermediate"),
    IMPLICIT: ("deprecated", "beginner"),
}

ADVANCED_KINDS = {
    PASSWORD: ("deprecated", "beginner"),
    INTROSPECTION: ("advanced", "intermediate"),
    OPENID: ("advanced", "intermediate"),
    CLIENT_AUTH: ("advanced", "intermediate"),
}

MODERN_KINDS = {
    PERSONAL_TOKENS: ("advanced", "intermediate"),
    APPROVED_APPS: ("advanced", "intermediate"),
    TOKEN_EXCHANGE: ("grant", "advanced"),
}

KINDS = {**GRANT_KINDS, **ADVANCED_KINDS, **MODERN_KINDS}


def run(name: str, keys: WorldKeys) -> LessonResult:
    return run_lesson(load_lesson(LESSONS / name), keys=keys)


def message_shapes(result: LessonResult) -> list[tuple]:
    return [
        (
            e.sender,
            e.receiver,
            e.channel,
            e.request.method,
            urlsplit(e.request.url).path,
            e.response.status,
        )
        for e in result.world.transcript.exchanges
    ]
