"""A client impersonates a resource owner: it registers with a client_id equal
to a user's subject identifier, and its client credentials tokens, whose sub
is the client_id, look like the user's at the API (RFC 9700 4.15)."""

import base64
import json

from playground import Lesson

ALICE = "u-1001"
REGISTRATION = {
    "client_id": ALICE,
    "client_name": "Photo Backup Service",
    "grant_types": ["client_credentials"],
    "scope": "photos.read",
    "token_endpoint_auth_method": "client_secret_basic",
}

lesson = Lesson(
    "A client named like a user: client_id and sub collide",
    level="advanced",
    kind="attack",
    weakness="as.client_chooses_client_id",
    summary=(
        "The photo service lets anyone register a client (RFC 7591). Mallory "
        "registers one and asks for the client_id u-1001: Alice's subject "
        "identifier, which any client she signs in to can read. With the "
        "client credentials grant her client gets a token whose sub is its "
        "own client_id (RFC 9068 2.2), so the token says sub u-1001, and the "
        "photos API, which serves the photos of the token's subject, serves "
        "Alice's."
    ),
    defence="""
**Clients and users must never share a name.**

- RFC 9700 4.15.1: "Authorization servers SHOULD NOT allow clients to
  influence their client_id or any other claim that could cause confusion
  with a genuine resource owner if a common namespace for client IDs and
  user identifiers exists". RFC 7591 3.2.1: the client identifier is what
  the server issues. Here the server ignores the `client_id` in the
  registration request and answers **201** with one of its own,
  `client-...`; Mallory's token then says `sub: client-...`, and the photos
  API answers **200** with `"owner": "client-..."` and no photos.
- "Where this cannot be avoided, authorization servers MUST provide other
  means for the resource server to distinguish between the two types of
  access tokens" (RFC 9700 4.15.1), and the resource server must use them:
  a token obtained without a resource owner (client credentials; `sub`
  equal to `client_id`, RFC 9068 2.2) must never reach a user's resources.
- Subject identifiers are not secrets: every client a user signs in to
  sees them. Authorization must not rest on nobody else knowing them.
""",
)


def claims_of(token):
    """Read a JWT's claims, as anyone holding it can (no key needed)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@lesson.step("Mallory learns Alice's subject identifier")
def learn_alices_subject(run):
    """
    Alice signs in to PhotoPrintz, Mallory's registered client, and approves
    `basic`. PhotoPrintz redeems the code (with its secret and PKCE) and
    gets an access token. It is a JWT anyone holding it can read: `sub:
    u-1001`. Subject identifiers are not secrets; every client a user signs
    in to learns them.
    """
    printz = run.oauth_client("photo-printz")
    run.browser.open(printz.authorization_url("basic", pkce_method="S256"))
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    response = run.attacker.redeem_code(
        run.browser.redirect_params.get("code", ""),
        client_id=printz.client_id,
        redirect_uri=printz.redirect_uri,
        client_secret=printz.client_secret,
        code_verifier=printz.pending.code_verifier,
    )
    token = response.json().get("access_token", "")
    run.check(
        "PhotoPrintz's token for Alice says sub: u-1001",
        claims_of(token).get("sub") == ALICE,
    )


@lesson.step("Mallory registers a client and asks for the client_id u-1001")
def register(run):
    """
    The server's metadata lists a `registration_endpoint`: anyone may
    register a client (RFC 7591). Mallory posts her client's metadata as
    JSON: a "Photo Backup Service" for the **client credentials** grant with
    the scope `photos.read`, and one more member, `"client_id": "u-1001"`.

    - **Weakness on** (`as.client_chooses_client_id`): the server checks
      that no *client* is called `u-1001`, not whether a *user* is, and
      answers **201** with `"client_id": "u-1001"` and a secret.
    - **Defended**: the server picks the identifier itself (RFC 7591
      3.2.1) in a namespace of its own: **201** with `"client_id":
      "client-..."`. The requested one is ignored.
    """
    metadata = run.attacker.http.get(
        f"{run.issuer}/.well-known/oauth-authorization-server"
    )
    endpoint = metadata.json().get("registration_endpoint", "")
    run.check(
        "the metadata names the registration endpoint",
        endpoint == f"{run.issuer}/register",
    )
    response = run.attacker.http.post(endpoint, json=REGISTRATION)
    run.registered = response.json()
    run.check("the registration answers 201", response.status_code == 201)
    if run.weakness_on:
        run.check(
            'the client_id is "u-1001", as Mallory asked',
            run.registered.get("client_id") == ALICE,
        )
    else:
        run.check(
            "the server chose the client_id: client-...",
            str(run.registered.get("client_id", "")).startswith("client-"),
        )
    (event,) = run.events_named("client.registered") or [None]
    run.check(
        "the server logged client.registered, with the client_id requested",
        event is not None and event.detail == f"requested client_id {ALICE}",
    )


@lesson.step("Mallory's client asks for a token for itself")
def client_credentials(run):
    """
    The client credentials grant (RFC 6749 4.4): the client authenticates
    with its own secret and asks for `photos.read`. No user is involved, so
    the token's `sub` is the client itself (RFC 9068 2.2: "the value of sub
    SHOULD correspond to an identifier the authorization server uses to
    indicate the client application").

    - **Weakness on**: `sub: u-1001`, `client_id: u-1001`.
    - **Defended**: `sub` and `client_id` are both the `client-...` the
      server assigned.
    """
    client_id = run.registered.get("client_id", "")
    response = run.attacker.token_request(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=(client_id, run.registered.get("client_secret", "")),
    )
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.token = response.json().get("access_token", "")
    claims = run.show_jwt(run.token, "the Photo Backup Service's token").claims
    run.check(
        "sub is the client_id",
        claims.get("sub") == client_id == claims.get("client_id"),
    )


@lesson.step("Mallory's client calls the photos API")
def call_the_api(run):
    """
    The photos API serves the photos of the token's subject. It does not
    ask whether that subject is a user or a client.

    - **Weakness on**: **200** with `"owner": "u-1001"` and **Alice's
      photos**. The API cannot tell this token from one Alice approved.
    - **Defended**: **200** with `"owner": "client-..."` and an empty list:
      the client's own photos, of which it has none.
    """
    response = run.attacker.call_api("/api/photos", run.token)
    body = response.json()
    titles = [photo["title"] for photo in body.get("photos", [])]
    run.check("the photos API answers 200", response.status_code == 200)
    if run.weakness_on:
        run.check(
            "owner u-1001: Alice's photos",
            body.get("owner") == ALICE and titles == ["Tea party", "Croquet lawn"],
        )
    else:
        run.check(
            "owner is the client, and no photos",
            body.get("owner") == run.registered.get("client_id") and titles == [],
        )
