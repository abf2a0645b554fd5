"""Account takeover through the email claim: a client that finds accounts by
email lets any authorization server it trusts vouch for any address
(OIDC Core 5.7: only iss and sub identify a user)."""

from urllib.parse import urlencode

from playground import Lesson

SCOPE = "openid profile email"
MALLORYS_SUBJECT = "m-666"

lesson = Lesson(
    "OpenID Connect: an account found by email",
    level="advanced",
    kind="attack",
    weakness="client.identify_by_email",
    summary=(
        "PhotoPrint lets its customers sign in with two OpenID Providers, the "
        "photo service and another one, which is Mallory's (as in the mix-up "
        "lesson). Mallory's server issues correctly signed ID tokens that say "
        "whatever she likes, email alice@example.org and email_verified "
        "true included. PhotoPrint finds accounts by the email claim, so "
        "Mallory signs in to Alice's PhotoPrint account: her address, her "
        "orders, her saved card."
    ),
    defence="""
**Identify a user by `iss` and `sub`, never by `email`.**

- OIDC Core 5.7: "The sub (subject) and iss (issuer) Claims from the ID
  Token, used together, are the only Claims that an RP can rely upon as a
  stable identifier for the End-User"; "other Claims such as email,
  phone_number, preferred_username, and name MUST NOT be used as unique
  identifiers for the End-User". A
  `sub` is unique only at its issuer (RFC 7519 4.1.2, OIDC Core 2). Here
  PhotoPrint keys each account by (`iss`, `sub`): Mallory's sign-in,
  (`https://as.attacker.test`, `m-666`), opens a new, empty account, and
  Alice's account is untouched.
- `email_verified: true` does not help: it is the issuer's claim, and this
  issuer is Mallory. Trust an email address only from an issuer that is
  authoritative for it, and even then only as contact data.
- Linking a second provider to an existing account is a decision the user
  makes while signed in to that account (and the app confirms the address
  itself), not something the app infers from a matching email.
- The same mistake inside one provider: an email a user can change, or a
  reused address, moves an account to someone else ("nOAuth", 2023).
""",
)


@lesson.step("Alice signs in to PhotoPrint with OpenID Connect")
def alice_signs_in(run):
    """
    Alice signs in to PhotoPrint with the photo service's OpenID Connect
    (`scope=openid profile email`). The ID token names her `iss:
    https://auth.photos.test`, `sub: u-1001`, `email: alice@example.org`.

    PhotoPrint has its own records for her, beyond the photos: a **delivery
    address** and an **order paid with her saved card**. Read the page. This
    sign-in asks for no scope of the photos API, so PhotoPrint calls no API:
    the ID token alone says who signed in.
    """
    run.browser.open(f"{run.client_url}/login?{urlencode({'scope': SCOPE})}")
    run.browser.follow_redirect()
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    run.alices_account = run.web_client.account_for_browser(run.browser)
    run.check(
        "PhotoPrint shows Alice's account and her delivery address",
        "PhotoPrint account: Alice Liddell <alice@example.org>" in run.browser.page.text
        and "Delivery address: 7 Rabbit Hole Lane, Oxford" in run.browser.page.text,
    )
    run.check(
        "her account is (https://auth.photos.test, u-1001)",
        run.alices_account is not None
        and run.alices_account.key == (run.issuer, "u-1001"),
    )


@lesson.step("Mallory's server will vouch for alice@example.org")
def mallorys_server(run):
    """
    PhotoPrint also offers sign-in with another OpenID Provider,
    `as.attacker.test`, where it registered as a client (the setting of the
    mix-up lesson). That server is Mallory's. She tells it to sign in
    whoever comes as `sub: m-666`, `name: Alice Liddell`, `email:
    alice@example.org`, `email_verified: true`: it is her server, her
    claims, signed with her key, published at her `/jwks.json`. Nothing
    about such an ID token is forged.
    """
    identity = run.attacker.authorization_server.vouch_for(
        sub=MALLORYS_SUBJECT, name="Alice Liddell", email="alice@example.org"
    )
    run.check(
        "PhotoPrint works with Mallory's server too",
        "attacker" in run.web_client.servers
        and run.web_client.servers["attacker"].issuer == run.attacker.as_url,
    )
    run.check(
        "her server will say email alice@example.org, verified",
        identity.email == "alice@example.org" and identity.email_verified,
    )


@lesson.step("Mallory signs in to PhotoPrint through her server")
def mallory_signs_in(run):
    """
    In her own browser Mallory opens `https://photoprint.test/login?as=attacker`
    with the same scopes. PhotoPrint does everything right for *that*
    server: `state`, PKCE, a `nonce`, the `iss` check; it redeems the code at
    `as.attacker.test/token` and verifies the ID token with the keys at
    `as.attacker.test/jwks.json` (OIDC Core 3.1.3.7). Read the token
    response: `iss: https://as.attacker.test`, `sub: m-666`, `email:
    alice@example.org`. (The JWT panel checks tokens against the photo
    service's keys, so it calls this one invalid; PhotoPrint checks it
    against its issuer's.) The access token in that response goes to no
    API: the photos API takes the photo service's tokens, and a client that
    offers a token to a resource server it is not meant for hands it to
    that server (RFC 9700 4.9.1).

    - **Weakness on** (`client.identify_by_email`): PhotoPrint looks the
      account up by `email` and opens **Alice's**: "PhotoPrint account: Alice
      Liddell", her address in Oxford, her order paid with the card ending
      4242.
    - **Defended**: PhotoPrint looks the account up by (`iss`, `sub`), finds
      none for (`https://as.attacker.test`, `m-666`) and opens a **new,
      empty account**.
    """
    mallory = run.attacker.browser
    mallory.open(
        f"{run.client_url}/login?{urlencode({'as': 'attacker', 'scope': SCOPE})}"
    )
    mallory.follow_redirect()  # her server answers at once with a code
    mallory.follow_redirect()  # back to PhotoPrint's callback
    token_requests = [
        e for e in run.exchanges if e.request.url == f"{run.attacker.as_url}/token"
    ]
    run.check(
        "PhotoPrint redeemed the code at Mallory's token endpoint (200)",
        len(token_requests) == 1 and token_requests[0].response.status == 200,
    )
    run.check("PhotoPrint accepted the sign-in (200)", mallory.status == 200)
    text = mallory.page.text
    if run.weakness_on:
        run.check(
            "Mallory is in Alice's account: her address and her order",
            "Delivery address: 7 Rabbit Hole Lane, Oxford" in text
            and "card ending 4242" in text,
        )
    else:
        run.check(
            "Mallory is in a new, empty account",
            "A new account: no address and no orders yet." in text
            and "Rabbit Hole Lane" not in text,
        )


@lesson.step("Which account did PhotoPrint choose?")
def which_account(run):
    """
    PhotoPrint's records, which no browser sees: the account tied to each
    session.

    - **Weakness on**: Mallory's session is in (`https://auth.photos.test`,
      `u-1001`), Alice's account, though no ID token of the photo service
      was involved.
    - **Defended**: Mallory's session is in (`https://as.attacker.test`,
      `m-666`), an account of her own that happens to carry the address
      alice@example.org; Alice's account is as it was.
    """
    account = run.web_client.account_for_browser(run.attacker.browser)
    alices = run.web_client.accounts.get((run.issuer, "u-1001"))
    if run.weakness_on:
        run.check(
            "Mallory's session is in Alice's account",
            account is not None and account.key == (run.issuer, "u-1001"),
        )
    else:
        run.check(
            "Mallory's session is in (https://as.attacker.test, m-666)",
            account is not None
            and account.key == (run.attacker.as_url, MALLORYS_SUBJECT),
        )
        run.check(
            "Alice's account is unchanged",
            alices is not None and alices.orders == run.alices_account.orders,
        )
