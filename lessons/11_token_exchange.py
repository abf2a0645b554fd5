"""Token exchange (RFC 8693): the photos API calls the print lab for Alice."""

import json

from playground import Lesson

ALICE = "u-1001"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SCOPE = "basic photos.read prints.order"

lesson = Lesson(
    "Token exchange: one API calls another for the user",
    level="advanced",
    kind="grant",
    summary=(
        "To print Alice's photo, the photos API must call the print lab's API. "
        "It does not pass Alice's token on: it exchanges it at the "
        "authorization server (RFC 8693) for a token made for the print lab "
        "alone, with one scope, a five-minute life, and an `act` claim saying "
        "the photos API acts for Alice."
    ),
)


@lesson.step("Alice signs in to Photos, the photo service's own app")
def sign_in(run):
    """
    Photos, the photo service's own web app (first-party, so no consent
    page; see the lesson on approved apps), signs Alice in with the code
    flow and PKCE, asking for `basic photos.read prints.order`.

    Look at its access token in the JWT panel: `aud` is the **photos API**
    (`https://api.photos.test`), `client_id` is `photos-web`, and the scope
    has everything the app asked for.
    """
    response = run.code_flow(
        run.photos_web, run.browser, "alice", "wonderland", scope=SCOPE
    )
    run.alice_token = run.photos_web.tokens.get("access_token", "")
    claims = run.decode(run.alice_token).claims
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "Alice's token is for the photos API, with every scope the app asked",
        claims.get("aud") == run.api_url and claims.get("scope") == SCOPE,
    )


@lesson.step("She orders a print: the photos API exchanges her token")
def order_print(run):
    """
    The app calls `POST /api/prints` on the photos API with Alice's token:
    print photo `p-1`. The photo service does not print; the **print lab**
    does, another company's API (`api.printlab.test`). Follow the back
    channel in the diagram:

    1. the photos API checks Alice's token (it fetches the keys, `/jwks.json`);
    2. it calls the authorization server's **token endpoint** as a client of
       its own (`photos-api`, HTTP Basic): `grant_type=urn:ietf:params:
       oauth:grant-type:token-exchange`, Alice's token as the
       `subject_token` (of type `...:token-type:access_token`), the print lab
       as the `resource`, and `scope=prints.order` (RFC 8693 2.1);
    3. the answer (RFC 8693 2.2.1) has the new `access_token`, its
       `issued_token_type` (an access token), `token_type: Bearer`,
       `expires_in: 300` and the `scope`;
    4. the photos API calls the print lab with the new token; the lab checks
       it (its own key download) and queues the job.

    The *Token exchange* panel explains each parameter.
    """
    response = run.photos_web.call_api(
        "/api/prints", method="POST", json={"photo_id": "p-1", "copies": 2}
    )
    exchange = next(e for e in run.exchanges if e.request.form.get("grant_type"))
    form = exchange.request.form
    issued = json.loads(exchange.response.body)
    answer = response.json().get("order", {})
    run.lab_token = next(
        e.request.header("Authorization").split()[1]
        for e in run.exchanges
        if e.request.target == "/api/print-jobs"
    )
    run.check(
        "the photos API answers 201: the print is ordered", response.status_code == 201
    )
    run.check(
        "it sent a token exchange request: Alice's token as subject_token",
        form.get("grant_type") == EXCHANGE
        and form.get("subject_token") == run.alice_token
        and form.get("subject_token_type") == ACCESS_TOKEN_TYPE,
    )
    run.check(
        "for the print lab, with scope prints.order",
        form.get("resource") == run.print_lab_url
        and form.get("scope") == "prints.order",
    )
    run.check(
        "issued_token_type: an access token, Bearer, 300 seconds",
        exchange.response.status == 200
        and issued.get("issued_token_type") == ACCESS_TOKEN_TYPE
        and issued.get("token_type") == "Bearer"
        and issued.get("expires_in") == 300
        and "refresh_token" not in issued,
    )
    run.check(
        "the lab queued the job for Alice, ordered by the photos API",
        answer.get("for") == ALICE and answer.get("ordered_by") == "photos-api",
    )


@lesson.step("Two tokens side by side: the print lab's is narrower")
def compare(run):
    """
    The JWT panel shows Alice's token and the one the print lab got:

    | claim | Alice's token | the print lab's |
    | --- | --- | --- |
    | `aud` | the photos API | **the print lab** |
    | `scope` | `basic photos.read prints.order` | **`prints.order`** |
    | `client_id` | `photos-web` | **`photos-api`**, who asked for it (RFC 8693 4.3) |
    | `act` | - | **`{"sub": "photos-api"}`** |
    | `exp` | in an hour | **in five minutes** |

    `sub` is still Alice: the print lab prints *her* photo and ships it to
    *her*. `act` (RFC 8693 4.1) says **delegation** happened: the photos
    API acts on her behalf, and the lab can log, limit or refuse by actor.
    (This server's policy makes the authenticated client the actor; RFC 8693
    also lets a client present the actor's own token as `actor_token`, and
    its appendix A.1 shows a server that, without one, issues no `act`.) No
    refresh token: RFC 8693 2.2.1, one "will typically not be issued" when
    one temporary credential is traded for another.
    """
    alice = run.show_jwt(run.alice_token, "Alice's token (the subject_token)")
    lab = run.show_jwt(run.lab_token, "the print lab's token (from the exchange)")
    run.check(
        "same sub (Alice), another aud: the print lab",
        lab.claims.get("sub") == ALICE and lab.claims.get("aud") == run.print_lab_url,
    )
    run.check(
        "a subset of the scope: prints.order only",
        lab.claims.get("scope") == "prints.order",
    )
    run.check(
        "act.sub is photos-api, the client that asked",
        lab.claims.get("act") == {"sub": "photos-api"}
        and lab.claims.get("client_id") == "photos-api",
    )
    run.check(
        "five minutes, where Alice's has an hour",
        lab.expires_in == 300 and alice.expires_in == 3600,
    )
    run.check(
        "both verify for their own API (the panel's verdict)",
        alice.verification.status == "valid" and lab.verification.status == "valid",
    )


@lesson.step("The authorization server's policy says who may exchange what")
def policy(run):
    """
    Token exchange is not for everyone. The authorization server keeps a
    policy per client, and answers with RFC 8693 2.2.2's errors:

    - **PhotoPrint**, a registered client with its own secret, sends the
      same exchange with Alice's token: **400** `unauthorized_client`
      (RFC 6749 5.2: not authorized to use this grant type). Only the
      photos API may exchange tokens.
    - The photos API asks for a token for another audience, itself
      (`resource` the photos API): **400** `invalid_target` (RFC 8693 2.2.2,
      RFC 8707 2). Its rule names the print lab only: a compromised photos
      API cannot mint itself tokens for every API this server serves.
    - The photos API asks the print lab's token for `email`, which Alice's
      token does not carry: **400** `invalid_scope` (RFC 6749 5.2: it
      "exceeds the scope granted by the resource owner").
    """
    photoprint = run.oauth_client("photoprint").token_request(
        {
            "grant_type": EXCHANGE,
            "subject_token": run.alice_token,
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "resource": run.print_lab_url,
        }
    )
    itself = run.photos_api.exchange(run.alice_token, resource=run.api_url)
    email = run.photos_api.exchange(
        run.alice_token, resource=run.print_lab_url, scope="email"
    )
    run.check(
        "PhotoPrint: 400 unauthorized_client",
        photoprint.status_code == 400
        and photoprint.json().get("error") == "unauthorized_client",
    )
    run.check(
        "a token for the photos API itself: 400 invalid_target",
        itself.status_code == 400 and itself.json().get("error") == "invalid_target",
    )
    run.check(
        "a scope Alice never granted: 400 invalid_scope",
        email.status_code == 400 and email.json().get("error") == "invalid_scope",
    )


@lesson.step("Each API takes only the tokens made for it")
def audiences(run):
    """
    Why not simply send Alice's token to the print lab? Try it: the app
    sends its own token to the print lab. **401** `invalid_token`: the lab
    checks `aud` (RFC 9068 4) and this token is for the photos API
    (`InvalidAudienceError`).

    And the other way: the print lab's token at the photos API: **401**
    `invalid_token` too. Whoever holds the lab's token (the lab, its logs)
    cannot use it to read Alice's photos. Each token works at one API only:
    RFC 9700 2.3, access tokens "SHOULD be audience-restricted to a specific
    resource server".
    """
    to_lab = run.photos_web.http.post(
        f"{run.print_lab_url}/api/print-jobs",
        json={"photo": {"id": "p-1"}, "ship_to": {"name": "A", "city": "B"}},
        headers={"Authorization": f"Bearer {run.alice_token}"},
    )
    to_photos = run.photos_web.call_api("/api/photos", run.lab_token)
    run.check(
        "the print lab refuses Alice's photos-API token: 401 invalid_token",
        to_lab.status_code == 401
        and to_lab.json().get("error") == "invalid_token"
        and "InvalidAudienceError" in to_lab.json().get("error_description", ""),
    )
    run.check(
        "the photos API refuses the print lab's token: 401 invalid_token",
        to_photos.status_code == 401
        and to_photos.json().get("error") == "invalid_token",
    )


@lesson.step("Five minutes later the lab's token is gone; Alice's is not")
def short_life(run):
    """
    The exchanged token was for one call. Five minutes later it has
    expired: the print lab answers **401** `invalid_token`, and the
    authorization server, asked by introspection (RFC 7662), says
    `{"active": false}`. Alice's own token
    still has 55 minutes, and the photos API can exchange it again whenever
    it needs to call the lab.
    """
    run.clock.advance(300)
    late = run.photos_web.http.get(
        f"{run.print_lab_url}/api/print-jobs",
        headers={"Authorization": f"Bearer {run.lab_token}"},
    )
    answer = run.introspect(run.lab_token).json()
    photos = run.photos_web.call_api("/api/photos", run.alice_token)
    run.check(
        "the print lab answers 401 invalid_token: expired",
        late.status_code == 401
        and "expired" in late.json().get("error_description", ""),
    )
    run.check('introspection says {"active": false}', answer == {"active": False})
    run.check(
        "Alice's own token still works at the photos API", photos.status_code == 200
    )
