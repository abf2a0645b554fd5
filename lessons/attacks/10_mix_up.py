"""Mix-up: a client that works with two authorization servers confuses them."""

import base64
from urllib.parse import urlencode

from playground import Lesson

lesson = Lesson(
    "Mix-up: the code goes to the wrong authorization server",
    level="advanced",
    kind="attack",
    summary=(
        "PhotoPrint works with two authorization servers, one of them "
        "Mallory's. Alice approves at the real one, but PhotoPrint believes "
        "the answer came from Mallory's and sends Alice's code to Mallory's "
        "token endpoint. The iss parameter (RFC 9207) tells them apart. "
        "With PKCE, PhotoPrint would send Mallory its code verifier as well, "
        "yet she could not make PhotoPrint redeem Alice's code with it (her "
        "own session holds another verifier, and she lacks PhotoPrint's "
        "secret): the attack run turns PKCE off (`client.no_pkce`, "
        "`as.pkce_optional`) to show what a client without it loses. A public "
        "client would lose even with PKCE: Mallory redeems code and verifier."
    ),
    weakness=("client.skip_iss_check", "client.no_pkce", "as.pkce_optional"),
    defence="""
**Know which authorization server answered, and send the code only there.**

- The authorization server puts its issuer identifier in every authorization
  response, `iss` (RFC 9207 2). The client remembers, in the user's session,
  which server it sent the user to, and refuses a response whose `iss` is not
  that server's issuer before it uses the code (RFC 9207 2.4).
- The server advertises this with
  `authorization_response_iss_parameter_supported: true` in its metadata
  (RFC 9207 3); a client that has seen it must also refuse a response with
  no `iss` at all.
- Without `iss`, give each authorization server its own redirect URI and
  check that the response arrived on the one of the server the flow started
  with (RFC 9700 4.4.2).
- PKCE does not stop this attack, but it does stop the stolen code from
  being injected elsewhere (RFC 9700 4.5); use both.
""",
)


@lesson.step("Mallory's link starts PhotoPrint's sign-in at her server")
def start_at_attackers_server(run):
    """
    PhotoPrint lets its users sign in with more than one authorization
    server, and Mallory runs one of them, `as.attacker.test`
    (PhotoPrint registered there as `photoprint` too, and got a secret of
    that server's).

    Mallory sends Alice a link to the **real** PhotoPrint:
    `https://photoprint.test/login?as=attacker`. PhotoPrint starts an
    ordinary flow: a fresh `state` in Alice's session, the name of the
    server it chose, and a redirect to *that server's* authorization endpoint.
    (This is RFC 9700 4.4.1's attack as written; its variant "Mix-Up with
    Interception" has a network attacker swap Alice's choice instead.)
    """
    run.browser.open(f"{run.client_url}/login?as=attacker")
    run.check(
        "PhotoPrint sends the browser to Mallory's authorization server",
        (run.browser.redirect_location or "").startswith(
            f"{run.attacker.as_url}/authorize?"
        ),
    )
    run.state = run.browser.redirect_params.get("state", "")
    run.check("with a fresh state", run.state != "")


@lesson.step("Mallory's server sends the browser on to the real one")
def bounce_to_honest_server(run):
    """
    Mallory's authorization endpoint authorizes nothing. It answers with a
    **302** to the honest server's `/authorize`, copying `client_id`,
    `redirect_uri`, `state` and `scope` unchanged (and, when PhotoPrint sends
    one, the `code_challenge` and its method, without which the honest
    server would refuse): the honest server sees an ordinary request from
    PhotoPrint.

    Alice sees the real sign-in page at `auth.photos.test`. Nothing looks
    wrong, because nothing on this page is wrong.
    """
    run.browser.follow_redirect()
    location = run.browser.redirect_location or ""
    run.check(
        "Mallory's server redirects to the honest authorization server",
        location.startswith(f"{run.issuer}/authorize?"),
    )
    run.check(
        "with PhotoPrint's client_id, redirect_uri and state unchanged",
        run.browser.redirect_params.get("client_id") == "photoprint"
        and run.browser.redirect_params.get("redirect_uri")
        == f"{run.client_url}/callback"
        and run.browser.redirect_params.get("state") == run.state,
    )
    run.browser.follow_redirect()
    run.check(
        "the honest server shows its sign-in page",
        run.browser.page.form("login-form") is not None,
    )


@lesson.step("Alice signs in and approves at the real authorization server")
def approve(run):
    """
    Alice signs in and approves PhotoPrint. The honest server sends the
    browser to PhotoPrint's callback with a **code**, the `state`, and
    `iss=https://auth.photos.test`: its own name (RFC 9207 2).
    """
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    params = run.browser.redirect_params
    run.code = params.get("code", "")
    run.check("the redirect carries a code", run.code != "")
    run.check("and the state PhotoPrint sent", params.get("state") == run.state)
    run.check(
        "iss names the honest authorization server",
        params.get("iss") == run.issuer,
    )


@lesson.step("PhotoPrint's callback: which server answered?")
def callback(run):
    """
    PhotoPrint's session says this flow started at **Mallory's** server. The
    `state` matches, so a client that checks only `state` trusts the answer
    and redeems the code where the flow started: it posts Alice's code to
    `as.attacker.test/token`. Mallory keeps the code and answers
    an error; Alice sees "Sign-in failed" and shrugs.

    A client that checks `iss` (RFC 9207 2.4) compares
    `https://auth.photos.test` with the issuer it started with,
    `https://as.attacker.test`, and refuses the response before
    the code goes anywhere.
    """
    run.browser.follow_redirect()
    token_requests = [
        e for e in run.exchanges if e.request.url == f"{run.attacker.as_url}/token"
    ]
    if run.weakness_on:
        run.check(
            "PhotoPrint posts the code to Mallory's token endpoint",
            len(token_requests) == 1
            and token_requests[0].request.form.get("code") == run.code,
        )
        run.check(
            "Mallory's server has Alice's code", run.attacker.loot("code") == [run.code]
        )
        sent = token_requests[0].request if token_requests else None
        basic = (sent.header("authorization") if sent else None) or ""
        credentials = base64.b64decode(basic.removeprefix("Basic ")).decode()
        run.check(
            "PhotoPrint authenticated with the secret Mallory's server gave it, "
            "not with its secret at the honest one",
            credentials == "photoprint:photoprint-secret-at-as-attacker",
        )
        run.check(
            "Alice sees that sign-in failed",
            run.browser.status == 400 and "Sign-in failed" in run.browser.page.text,
        )
    else:
        run.check("PhotoPrint refuses the callback", run.browser.status == 400)
        run.check(
            "because iss is not the issuer this flow started with",
            run.web_client.last_error == "issuer_mismatch"
            and "The response names issuer https://auth.photos.test, not "
            "https://as.attacker.test."
            in run.browser.page.text,
        )
        run.check("nothing was sent to Mallory's token endpoint", token_requests == [])
        run.check("Mallory has no code", run.attacker.loot("code") == [])


@lesson.step("Mallory spends the code through her own PhotoPrint session")
def inject(run):
    """
    What Mallory demonstrably holds is the **code**. She cannot redeem it
    herself: the honest server issued it to PhotoPrint, a confidential
    client, and wants PhotoPrint's secret (`invalid_client`).

    So she lets PhotoPrint redeem it for her (**code injection**, RFC 9700
    4.5): in her own browser she starts a normal PhotoPrint sign-in at the
    honest server, keeps the `state` from the redirect, and opens PhotoPrint's
    callback with *Alice's* code. The state is her session's, `iss` is right,
    and PhotoPrint trades the code with its own secret: Mallory's PhotoPrint
    session now shows Alice's name and photos.

    Without a code there is nothing to inject.
    """
    codes = run.attacker.loot("code")
    if not run.weakness_on:
        run.check("Mallory has no code to redeem or inject", codes == [])
        return
    code = codes[-1] if codes else ""
    direct = run.attacker.redeem_code(
        code, client_id="photoprint", redirect_uri=f"{run.client_url}/callback"
    )
    run.check(
        "redeeming it herself fails: invalid_client",
        direct.status_code == 401 and direct.json().get("error") == "invalid_client",
    )
    mallory = run.attacker.browser
    mallory.open(f"{run.client_url}/login?scope=basic+photos.read")
    state = mallory.redirect_params.get("state", "")
    injected = {"code": code, "state": state, "iss": run.issuer}
    mallory.open(f"{run.client_url}/callback?{urlencode(injected)}")
    run.check("PhotoPrint accepts the injected code", mallory.status == 200)
    run.check(
        "Mallory's PhotoPrint session is signed in as Alice",
        "Hello Alice Liddell" in mallory.page.text,
    )
    run.check(
        "and shows Alice's photos", "2 photo(s) ready to print." in mallory.page.text
    )
