"""Exercise: make the PKCE pair a native app sends (RFC 7636 4.1, 4.2)."""

import random
from urllib.parse import urlsplit

from playground import Exercise

exercise = Exercise(
    "Make a PKCE pair",
    level="beginner",
    spec="RFC 7636 4.1, 4.2, 7.1",
    summary=(
        "Photo Uploader, a native app on Alice's phone, receives its "
        "authorization code on a loopback port, where on some systems another "
        "app may listen first (RFC 8252 8.1). PKCE makes a stolen code "
        "useless: the app sends a hash "
        "of a secret (the code challenge) and later proves it knows the "
        "secret (the code verifier). Here the app makes that pair with your "
        "function. Mallory has a malicious app on Alice's phone, and a copy "
        "of Photo Uploader on her own."
    ),
)


@exercise.student
def make_pkce_pair() -> tuple[str, str]:
    """
    Return `(code_verifier, code_challenge)` for one authorization request.

    - **code_verifier** (RFC 7636 4.1): "a high-entropy cryptographic random
      STRING using the unreserved characters [A-Z] / [a-z] / [0-9] / "-" /
      "." / "_" / "~" ..., with a minimum length of 43 characters and a
      maximum length of 128 characters". It is RECOMMENDED to make it from
      a 32-octet sequence from a suitable random number generator,
      base64url-encoded (43 characters).
    - **code_challenge** for the method `S256` (RFC 7636 4.2):
      `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, base64url without
      `=` padding (RFC 7636 Appendix A).

    A new pair for every call: the app keeps the verifier, and the
    authorization request carries only the challenge.
    """
    # TODO: make a fresh, unguessable verifier and its S256 challenge.
    code_verifier = "a" * 43
    code_challenge = code_verifier
    return code_verifier, code_challenge


@exercise.setup
def install(run):
    """Photo Uploader makes its PKCE pair with `make_pkce_pair`."""
    run.use_pkce_pair(run.native_app, make_pkce_pair)


@exercise.scenario(
    "Alice signs in to Photo Uploader with your pair",
    hints=(
        "The authorization server hashes your verifier with SHA-256 and "
        "compares the result with the challenge it was sent (RFC 7636 4.6).",
        "The challenge is base64url of the SHA-256 digest of the verifier's "
        "ASCII bytes, with no '=' padding; the verifier itself must be 43 to "
        "128 characters of [A-Za-z0-9-._~].",
        "challenge = base64.urlsafe_b64encode(hashlib.sha256("
        "verifier.encode('ascii')).digest()).rstrip(b'=').decode('ascii')",
    ),
)
def honest_sign_in(run):
    """
    Photo Uploader sends Alice's browser to the authorization server with
    your `code_challenge` and `code_challenge_method=S256`. Alice signs in
    and approves; the code comes back to the app's loopback port, and the
    app redeems it with your `code_verifier`. The token endpoint answers
    **200** only if `BASE64URL(SHA256(verifier))` equals the challenge.
    """
    user, password = run.pick([("alice", "wonderland"), ("bob", "builder")])
    response = run.code_flow(run.native_app, run.browser, user, password)
    sent = run.exchanges_to(f"{run.issuer}/token")
    run.check(
        "the authorization request carried your challenge, method S256",
        run.native_app.pending is not None
        and run.native_app.pending.code_challenge_method == "S256",
    )
    run.check(
        "the token endpoint accepts your verifier: 200",
        response.status_code == 200,
        sent[-1].response.body.decode("utf-8", "replace")[:200] if sent else "",
    )


@exercise.scenario(
    "Mallory's app catches Alice's code on the loopback port",
    attack=True,
    hints=(
        "Mallory runs Photo Uploader on her own phone, so she sees the pairs "
        "it makes. If Alice's verifier is one Mallory can know or predict, "
        "the code she caught is as good as Alice's.",
        "A verifier must be new for every request and unguessable: make it "
        "from a cryptographically secure generator (the `secrets` module), "
        "never from `random`, a clock or a constant (RFC 7636 7.1).",
        "code_verifier = secrets.token_urlsafe(32)  # 32 random octets, "
        "base64url: 43 characters",
    ),
)
def intercepted_code(run):
    """
    Mallory's malicious app listens on Photo Uploader's loopback port first
    (RFC 8252 8.1), so the browser hands *it* the redirect with Alice's
    code. The code alone is worth nothing to her: the token endpoint wants
    the verifier that matches the challenge of Alice's request.

    So Mallory guesses it. She has Photo Uploader on her own phone and
    starts a sign-in there to see the pair it makes; and she knows the
    state of Python's `random` generator on Alice's phone (624 of its
    outputs give it away, and the app shows some in its photo names: the
    playground sets it to a state Mallory knows). She tries each guess at
    the token endpoint, as Photo Uploader: it is a public client, with no
    secret.
    """
    known_state = run.random.randrange(2**32)
    mallorys_app = run.oauth_client("photo-uploader-native")
    run.use_pkce_pair(mallorys_app, make_pkce_pair)
    # Mallory's own sign-in on her phone: she sees the pair her copy makes.
    random.seed(known_state)
    mallorys_app.authorization_url("basic photos.read", pkce_method="S256")
    guesses = [mallorys_app.pending.code_verifier]
    # Alice's phone, its `random` in the state Mallory knows.
    random.seed(known_state)
    run.attacker.take_over_host(urlsplit(run.native_app.redirect_uri).netloc)
    url = run.native_app.authorization_url("basic photos.read", pkce_method="S256")
    challenge = run.native_app.pending.code_challenge
    run.browser.open(url)
    run.browser.sign_in("alice", "wonderland")
    run.browser.follow_redirect()
    run.browser.approve()
    run.browser.follow_redirect()
    caught = run.attacker.loot("code")
    run.check("Mallory's app caught Alice's code", len(caught) == 1)
    # A verifier equal to the challenge it was hashed into would do too.
    guesses.append(challenge)
    answers = []
    for guess in dict.fromkeys(g for g in guesses if g):
        answers.append(
            run.attacker.redeem_code(
                caught[0] if caught else "",
                client_id="photo-uploader-native",
                redirect_uri=run.native_app.redirect_uri,
                code_verifier=guess,
            )
        )
    run.refused(
        "the token endpoint refuses every verifier Mallory can guess",
        all(answer.status_code != 200 for answer in answers),
        attacker_gets="Alice's access and refresh tokens",
        evidence=run.exchanges_to(f"{run.issuer}/token"),
    )
    # The control: the defence is your pair, not a broken flow. Had the
    # code reached Photo Uploader, its own verifier would have redeemed it.
    own = run.native_app.exchange_code(caught[0] if caught else "")
    run.check(
        "Photo Uploader itself redeems the code with its verifier: 200",
        own.status_code == 200,
    )
