"""Device code phishing (RFC 8628 5.4): Mallory starts a device flow on her
own machine and gets Alice to enter the user code on the real authorization
server's page."""

from playground import Lesson

lesson = Lesson(
    "Device code phishing: Alice enters Mallory's code",
    level="intermediate",
    kind="attack",
    weakness="as.device_consent_hides_client",
    summary=(
        "Anyone can start a device flow with PhotoFrame TV's client_id: it is "
        "a public client. Mallory does, on her own machine, and sends Alice "
        "the user code with a prize to claim. Alice goes to the real "
        "authorization server, signs in with her real password, types the "
        "code and approves; Mallory's machine, polling, gets Alice's tokens. "
        "Nothing is forged and no password is stolen: Alice is talked into "
        "authorizing a device she does not have. The attack run's "
        "verification page (as.device_consent_hides_client) only asks "
        "'Approve this sign-in?'; the defended page says a device is being "
        "connected, names it, shows where the request came from, and warns."
    ),
    defence="""
**Tell the person, before they approve, that they are connecting a device,
which one, and from where; and give them every reason to say no.**

- RFC 8628 5.4 (Remote Phishing): "It is possible for the device flow to be
  initiated on a device in an attacker's possession. ... To mitigate such an
  attack, it is RECOMMENDED to inform the user that they are authorizing a
  device during the user-interaction step (see Section 3.3) and to confirm
  that the device is in their possession. The authorization server SHOULD
  display information about the device so that the user could notice if a
  software client was attempting to impersonate a hardware device."
- The defended page does that: "You are connecting a device to your
  account", **PhotoFrame TV** with its description, the code the device
  should show, the network address the request came from (203.0.113.66,
  not Alice's home) and how long ago, and "If someone sent you this code
  or asked you to enter it (a message, a prize, a support call), choose
  Deny", with Deny placed before Approve. The draft on cross-device flows
  (draft-ietf-oauth-cross-device-security, "User Experience") asks that it
  "be clear to the user who invoked the flow, why it was invoked and what
  the consequence of completing the authorization ... is", and that the
  "decline" option be the default or as prominent as "grant".
- **Be honest about what this is: user education.** The authorization
  server cannot tell Mallory's machine from a real TV: she runs the real
  app, with its real client_id. The defence holds only because Alice reads
  the page and believes it; in this lesson she does, because she is
  claiming a prize, not setting up a TV. The same draft says user education
  "is insufficient on its own": a phisher who talks to the victim in real
  time can explain the warning away.
- What else the server can do (same draft, "Practical Mitigations"):
  short-lived codes (10 minutes here, RFC 8628 5.4: "sufficiently short to
  limit the usability of a code obtained for phishing"), rate limits on
  device authorization requests, checking that the two devices are near
  each other (the same network, for one; not shown here), limited scopes
  and short-lived tokens for device clients, or only allowing known,
  registered devices. Its advice on the grant itself: "Only use this
  protocol if other cross-device protocols are not viable".
""",
)

PRIZE_MESSAGE = (
    "Congratulations! You have won 100 free prints from your photo service. "
    "To claim them, go to {uri} and enter the code {code} within 10 minutes."
)


def alice_decides(page_text):
    """Alice came to claim a prize; she has no PhotoFrame TV and is not
    setting one up. She approves unless the page tells her otherwise."""
    if "You are connecting a device" in page_text:
        return "deny"
    return "approve"


@lesson.step("Mallory starts a device flow as PhotoFrame TV")
def mallory_starts(run):
    """
    On her own machine Mallory runs the PhotoFrame TV app (or just sends its
    request): `POST /device_authorization` with `client_id=photoframe-tv`.
    Device clients "should be treated as public clients" (RFC 8628 5.6): there
    is no secret to check, so the authorization server cannot tell her from a
    real TV. It answers **200**
    with a device code, which stays on Mallory's machine, and a user code
    for a person to type.

    The server notes where the request came from: Mallory's network address,
    203.0.113.66 (see the server event).
    """
    response = run.attacker_tv.start("basic photos.read")
    run.check(
        "the device authorization endpoint answers 200", response.status_code == 200
    )
    run.check(
        "the request went from Mallory's machine",
        run.last_exchange.sender == "Attacker",
    )
    issued = run.events_named("device_authorization.issued")
    run.check(
        "the server recorded it as requested from 203.0.113.66",
        bool(issued) and issued[-1].detail.endswith("requested from 203.0.113.66"),
        issued[-1].detail if issued else "",
    )


@lesson.step("Mallory sends Alice a prize to claim")
def the_message(run):
    """
    Mallory sends Alice a message (email, chat, text: no HTTP the
    playground sees):

    > Congratulations! You have won 100 free prints from your photo
    > service. To claim them, go to https://auth.photos.test/device and
    > enter the code within 10 minutes.

    Nothing in it is fake. The address is the **real** authorization
    server's; no look-alike site, no certificate warning, no password
    form of Mallory's. That is what makes device code phishing work: every
    check Alice was taught ("look at the address bar") passes. The code is
    only good for 10 minutes, so Mallory has to be quick.
    """
    run.message = PRIZE_MESSAGE.format(
        uri=run.attacker_tv.verification_uri, code=run.attacker_tv.user_code
    )
    run.check(
        "the address in the message is the real authorization server's",
        run.party_at(run.attacker_tv.verification_uri) == "Authorization Server",
    )
    run.check(
        "the message carries Mallory's user code",
        run.attacker_tv.user_code in run.message,
    )


@lesson.step("Alice opens the page on her phone and signs in")
def alice_signs_in(run):
    """
    Alice opens the address on her phone and signs in at the authorization
    server, as she always does: the real page, her real password, **303**
    back to `/device`, which asks for the code.
    """
    run.browser.open(run.attacker_tv.verification_uri)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.check(
        "the page asks for the code",
        run.browser.page.form("device-code-form") is not None,
    )


@lesson.step("Alice types Mallory's code")
def alice_types_the_code(run):
    """
    Alice types the code from the message. What the page shows next is the
    whole difference between the two runs:

    - **Weakness on** (`as.device_consent_hides_client`): "Code accepted.
      Approve this sign-in?" Nothing says that a device is being connected,
      which one, or from where. To Alice it reads like the last step of
      claiming her prize.
    - **Defended**: "You are connecting a device to your account", the
      application **PhotoFrame TV**, the code the device should show, the
      request's network address (203.0.113.66, not Alice's home) and age,
      and a warning: if someone sent you this code, choose Deny (RFC 8628
      5.4).
    """
    run.browser.submit("device-code-form", user_code=run.attacker_tv.user_code)
    text = run.browser.page.text
    run.check(
        "the consent form appears", run.browser.page.form("consent-form") is not None
    )
    if run.weakness_on:
        run.check(
            "the page only asks 'Approve this sign-in?'",
            "Approve this sign-in?" in text,
        )
        run.check(
            "it names no application and no network address",
            "PhotoFrame TV" not in text and "203.0.113.66" not in text,
        )
    else:
        run.check(
            "the page warns that a device is being connected",
            "You are connecting a device" in text,
        )
        run.check(
            "it names PhotoFrame TV and Mallory's network address",
            "PhotoFrame TV" in text and "network address 203.0.113.66" in text,
        )
        run.check(
            "it tells Alice to deny a code someone sent her",
            "If someone sent you this code" in text,
        )


@lesson.step("Alice decides")
def alice_decides_step(run):
    """
    Alice is claiming a prize; she owns no PhotoFrame TV.

    - **Weakness on**: nothing on the page contradicts the message, so she
      approves.
    - **Defended**: the page says she is connecting a TV she does not have,
      and that a code from a message is a reason to deny. She denies.

    The server records the decision against Mallory's device code; Alice
    has no idea that a machine is waiting for it.
    """
    decision = alice_decides(run.browser.page.text)
    if decision == "approve":
        run.browser.approve()
    else:
        run.browser.deny()
    if run.weakness_on:
        run.check("Alice approves", decision == "approve")
        run.check(
            "the page says the device is connected",
            "your device is connected" in run.browser.page.text,
        )
    else:
        run.check("Alice denies", decision == "deny")
        run.check(
            "the page says she denied it",
            "You denied the request" in run.browser.page.text,
        )


@lesson.step("Mallory's machine polls")
def mallory_polls(run):
    """
    Mallory's machine has been waiting its 5 s and polls the token endpoint
    with the device code.

    - **Weakness on**: **200**, an access token and a refresh token. Look at
      the decoded token: `sub` is Alice (`u-1001`), `client_id` is
      `photoframe-tv`. To the authorization server and the API this is
      Alice's TV.
    - **Defended**: **400** `access_denied` (RFC 8628 3.5: "The
      authorization request was denied"). Mallory gets nothing.
    """
    run.attacker_tv.wait()
    response = run.attacker_tv.poll()
    if run.weakness_on:
        run.check("the token endpoint answers 200", response.status_code == 200)
        token = run.decode(run.attacker_tv.tokens.get("access_token", ""))
        run.check(
            "the access token is Alice's, for photoframe-tv",
            (token.claims.get("sub"), token.claims.get("client_id"))
            == ("u-1001", "photoframe-tv"),
        )
        run.check(
            "and a refresh token, to keep access",
            "refresh_token" in run.attacker_tv.tokens,
        )
    else:
        run.check("the token endpoint answers 400", response.status_code == 400)
        run.check(
            "the error is access_denied",
            response.json().get("error") == "access_denied",
        )


@lesson.step("Mallory opens Alice's photos")
def mallory_reads(run):
    """
    - **Weakness on**: Mallory's machine calls the photos API with the token
      and gets Alice's photos; with the refresh token it can keep doing so
      long after the 10-minute code has expired.
    - **Defended**: Mallory holds no token; there is nothing to call the API
      with.
    """
    if run.weakness_on:
        response = run.attacker_tv.call_api("/api/photos")
        run.check("the API answers 200", response.status_code == 200)
        run.check(
            "with Alice's photos",
            [p["title"] for p in response.json().get("photos", [])]
            == ["Tea party", "Croquet lawn"],
        )
    else:
        run.check(
            "Mallory has no access token", "access_token" not in run.attacker_tv.tokens
        )
