"""The JWT decoder, with real RSA keys and real signatures."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from mock_servers.keys import SigningKey, generate_signing_key
from playground.views.jwt_decoder import DecodedJwt, decode, format_text, verify_jwt
from playground.views.jwt_explanations import KIND_ACCESS_TOKEN, KIND_ID_TOKEN, KIND_JWT
from playground.world import TokenTrust

NOW = 1_700_000_000
ISSUER = "https://auth.photos.test"
API = "https://api.photos.test"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return generate_signing_key()


def access_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": API,
        "client_id": "photo-app",
        "scope": "photos.read",
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "jti": "token-1",
    }
    claims.update(overrides)
    return claims


def sign(
    key: SigningKey,
    claims: dict[str, Any] | None = None,
    *,
    kid: str | None = None,
    typ: str = "at+jwt",
) -> str:
    return jwt.encode(
        access_claims() if claims is None else claims,
        key.private_key,
        algorithm="RS256",
        headers={"kid": kid or key.kid, "typ": typ},
    )


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def check(token: str, key: SigningKey, **kwargs: Any) -> DecodedJwt:
    options: dict[str, Any] = {
        "jwks": key.public_jwks(),
        "audience": API,
        "issuer": ISSUER,
        "now": NOW,
    }
    options.update(kwargs)
    return decode(token, **options)


def test_valid_token_verifies(key: SigningKey) -> None:
    decoded = check(sign(key), key)

    assert decoded.ok
    assert decoded.error is None
    assert decoded.verification.status == "valid"
    assert decoded.verification.exception is None
    assert "signature verified" in decoded.verification.reason
    assert decoded.header == {"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}
    assert decoded.claims == access_claims()
    assert decoded.kind == KIND_ACCESS_TOKEN
    assert decoded.expires_in == 3600
    assert decoded.time_to_expiry(NOW + 600) == 3000


def test_raw_segments_are_kept(key: SigningKey) -> None:
    token = sign(key)
    decoded = decode(token)

    assert (decoded.header_b64, decoded.payload_b64, decoded.signature_b64) == tuple(
        token.split(".")
    )
    assert decoded.token == token


def test_without_jwks_signature_is_not_checked(key: SigningKey) -> None:
    decoded = decode(sign(key), now=NOW)

    assert decoded.ok
    assert decoded.verification.status == "not checked"
    assert "JWKS" in decoded.verification.reason


def test_tampered_payload_fails_signature(key: SigningKey) -> None:
    header, _, signature = sign(key).split(".")
    forged = ".".join([header, b64url(access_claims(sub="mallory")), signature])

    decoded = check(forged, key)

    assert decoded.ok  # it still decodes: the claims are readable, just not true
    assert decoded.claims["sub"] == "mallory"
    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidSignatureError"
    assert "changed after signing" in decoded.verification.reason


def test_token_signed_by_another_key_with_same_kid_fails(
    key: SigningKey, other_key: SigningKey
) -> None:
    decoded = check(sign(other_key, kid=key.kid), key)

    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidSignatureError"


def test_unknown_kid_is_named_in_the_reason(
    key: SigningKey, other_key: SigningKey
) -> None:
    decoded = check(sign(other_key), key)

    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "PyJWKSetError"
    assert other_key.kid in decoded.verification.reason


def test_token_without_kid_uses_the_only_key_in_the_jwks(key: SigningKey) -> None:
    token = jwt.encode(access_claims(), key.private_key, algorithm="RS256")

    assert check(token, key).verification.status == "valid"


def test_token_without_kid_is_refused_when_the_jwks_has_several_keys(
    key: SigningKey, other_key: SigningKey
) -> None:
    token = jwt.encode(access_claims(), key.private_key, algorithm="RS256")
    jwks = {"keys": key.public_jwks()["keys"] + other_key.public_jwks()["keys"]}

    decoded = check(token, key, jwks=jwks)

    assert decoded.verification.status == "invalid"
    assert "no kid" in decoded.verification.reason


def test_expired_token_is_judged_by_the_world_clock(key: SigningKey) -> None:
    token = sign(key)

    expired = check(token, key, now=NOW + 3600 + 90)

    assert expired.verification.status == "invalid"
    assert expired.verification.exception == "ExpiredSignatureError"
    assert "1 min 30 s before now" in expired.verification.reason
    assert expired.expires_in == -90
    assert check(token, key, now=NOW).verification.status == "valid"


def test_token_is_expired_at_exactly_exp(key: SigningKey) -> None:
    # RFC 7519 4.1.4: the current time MUST be before exp.
    decoded = check(sign(key), key, now=NOW + 3600)

    assert decoded.verification.exception == "ExpiredSignatureError"


def test_token_minted_in_a_world_far_from_the_machine_clock_verifies(
    key: SigningKey,
) -> None:
    # PyJWT alone would call this token issued in the future (iat) and refuse it.
    future = 4_000_000_000
    token = sign(key, access_claims(iat=future, exp=future + 300))

    assert check(token, key, now=future + 10).verification.status == "valid"


def test_token_used_before_nbf_is_immature(key: SigningKey) -> None:
    token = sign(key, access_claims(nbf=NOW + 120))

    decoded = check(token, key)

    assert decoded.verification.exception == "ImmatureSignatureError"
    assert "nbf" in decoded.verification.reason
    assert check(token, key, now=NOW + 120).verification.status == "valid"


def test_wrong_audience_is_refused(key: SigningKey) -> None:
    decoded = check(sign(key), key, audience="https://other-api.photos.test")

    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidAudienceError"
    assert "issued for someone else" in decoded.verification.reason


def test_audience_is_not_checked_unless_expected(key: SigningKey) -> None:
    decoded = check(sign(key), key, audience=None)

    assert decoded.verification.status == "valid"
    assert "aud not checked" in decoded.verification.reason


def test_wrong_issuer_is_refused(key: SigningKey) -> None:
    decoded = check(sign(key), key, issuer="https://evil.test")

    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidIssuerError"
    assert ISSUER in decoded.verification.reason


def test_alg_none_token_rejected(key: SigningKey) -> None:
    token = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(access_claims())}."

    decoded = check(token, key)

    assert decoded.ok
    assert decoded.claims == access_claims()
    assert decoded.signature_b64 == ""
    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidAlgorithmError"
    assert "'none'" in decoded.verification.reason
    assert "unsigned" in decoded.verification.reason
    alg_line = next(line for line in decoded.header_lines if line.name == "alg")
    assert "UNSIGNED" in alg_line.explanation


def test_alg_none_token_is_invalid_even_without_a_jwks(key: SigningKey) -> None:
    token = f"{b64url({'alg': 'none'})}.{b64url(access_claims())}."

    assert decode(token, now=NOW).verification.status == "invalid"


def test_hs256_token_is_refused_by_the_algorithm_allow_list(key: SigningKey) -> None:
    secret = "a-shared-secret-long-enough-for-hs256"
    token = jwt.encode(
        access_claims(), secret, algorithm="HS256", headers={"kid": key.kid}
    )

    decoded = check(token, key)

    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidAlgorithmError"
    assert "HS256" in decoded.verification.reason


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "a.b",
        "!!!.###.$$$",
        "",
        "   ",
        '{"alg": "RS256", "sub": "alice"}',
        "a.b.c.d.e",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
    ],
)
def test_malformed_token_gives_message_not_traceback(
    key: SigningKey, text: str
) -> None:
    decoded = check(text, key)

    assert not decoded.ok
    assert decoded.error
    assert "\n" not in decoded.error
    assert decoded.verification.status == "invalid"
    assert format_text(decoded).startswith("Not a valid JWT:")


def test_json_pasted_instead_of_a_jwt_is_named(key: SigningKey) -> None:
    decoded = decode('{"alg": "RS256"}')

    assert decoded.error is not None
    assert "JSON, not a JWT" in decoded.error


def test_non_text_input_gives_message() -> None:
    decoded = decode({"alg": "RS256"})  # type: ignore[arg-type]

    assert not decoded.ok
    assert decoded.error == "Expected the token as text, got dict."


def test_bad_claims_part_keeps_the_header() -> None:
    header = b64url({"alg": "RS256", "typ": "at+jwt"})

    decoded = decode(f"{header}.!!!.sig")

    assert not decoded.ok
    assert decoded.header == {"alg": "RS256", "typ": "at+jwt"}
    assert decoded.error is not None
    assert "Part 2 (the claims)" in decoded.error


def test_bearer_prefix_and_whitespace_are_stripped(key: SigningKey) -> None:
    token = sign(key)

    decoded = check(f"  Bearer {token}\n", key)

    assert decoded.ok
    assert decoded.token == token
    assert decoded.verification.status == "valid"


def test_every_claim_and_header_field_gets_an_explanation(key: SigningKey) -> None:
    claims = access_claims(
        nbf=NOW - 60,
        auth_time=NOW - 120,
        name="Alice",
        email="alice@example.test",
        favourite_colour="green",
    )

    decoded = check(sign(key, claims), key)

    assert [line.name for line in decoded.claim_lines] == list(claims)
    assert [line.name for line in decoded.header_lines] == ["alg", "kid", "typ"]
    for line in decoded.claim_lines + decoded.header_lines:
        assert line.value == {**claims, **decoded.header}[line.name]
    text = {line.name: line.explanation for line in decoded.claim_lines}
    assert "does not know" in text["favourite_colour"]
    assert "presented many times" in text["jti"]  # an access token is no one-time JWT
    assert "resource server" in text["aud"]
    assert "2023-11-14 22:12:20 UTC (1 min ago)" in text["iat"]


def test_exp_line_says_time_remaining(key: SigningKey) -> None:
    decoded = check(sign(key, access_claims(exp=NOW + 3600 + 300)), key)

    exp = next(line for line in decoded.claim_lines if line.name == "exp")
    assert "expires in 1 h 5 min" in exp.explanation
    assert "UTC" in exp.explanation


def test_exp_line_says_how_long_ago_it_expired(key: SigningKey) -> None:
    decoded = check(sign(key), key, now=NOW + 3600 + 120)

    exp = next(line for line in decoded.claim_lines if line.name == "exp")
    assert "expired 2 min ago" in exp.explanation


def test_sub_equal_to_client_id_is_explained_as_client_credentials(
    key: SigningKey,
) -> None:
    decoded = check(sign(key, access_claims(sub="photo-app")), key)

    sub = next(line for line in decoded.claim_lines if line.name == "sub")
    assert "client credentials" in sub.explanation


def test_id_token_is_recognised_by_its_nonce(key: SigningKey) -> None:
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "photo-app",
        "nonce": "n-0S6_WzA2Mj",
        "iat": NOW,
        "exp": NOW + 300,
    }

    decoded = check(sign(key, claims, typ="JWT"), key, audience="photo-app")

    assert decoded.kind == KIND_ID_TOKEN
    assert decoded.verification.status == "valid"
    lines = {line.name: line.explanation for line in decoded.claim_lines}
    assert "login request" in lines["nonce"]
    assert "client" in lines["aud"]


def test_plain_jwt_kind() -> None:
    token = f"{b64url({'alg': 'RS256', 'typ': 'JWT'})}.{b64url({'sub': 'x'})}.c2ln"

    assert decode(token).kind == KIND_JWT


def test_format_text_shows_header_claims_and_verdict(key: SigningKey) -> None:
    text = format_text(check(sign(key), key))

    assert text.startswith(KIND_ACCESS_TOKEN)
    for expected in ("Header", "Claims", "Signature", "Verification: VALID"):
        assert expected in text
    assert "photos.read" in text


def test_format_text_names_the_pyjwt_exception(key: SigningKey) -> None:
    text = format_text(check(sign(key), key, audience="https://nope.test"))

    assert "Verification: INVALID" in text
    assert "PyJWT exception: InvalidAudienceError" in text


def test_non_numeric_exp_fails_as_pyjwt_would(key: SigningKey) -> None:
    decoded = check(sign(key, access_claims(exp="tomorrow")), key)

    assert decoded.ok
    assert decoded.verification.exception == "DecodeError"
    assert "(exp) must be an integer" in decoded.verification.reason
    exp = next(line for line in decoded.claim_lines if line.name == "exp")
    assert "is not" in exp.explanation


def test_one_rule_judges_aud_for_access_tokens_only(key: SigningKey) -> None:
    """An ID token's aud is the client (OIDC Core 3.1.3.7), so the world's rule
    does not hold it to the API's audience; an access token's it does."""
    trust = TokenTrust(key.public_jwks(), ISSUER, API)
    id_token = jwt.encode(
        {
            "iss": ISSUER,
            "sub": "u-1",
            "aud": "photoprint",
            "nonce": "n",
            "iat": NOW,
            "exp": NOW + 60,
        },
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    assert verify_jwt(id_token, trust, at=NOW).verification.status == "valid"
    for_other_api = sign(key, access_claims(aud="https://api.other.test"))
    decoded = verify_jwt(for_other_api, trust, at=NOW)
    assert decoded.verification.exception == "InvalidAudienceError"
    assert verify_jwt(sign(key), trust, at=NOW).verification.status == "valid"
    assert verify_jwt(sign(key), trust, at=NOW + 3600).verification.exception == (
        "ExpiredSignatureError"
    )


def test_client_assertion_is_explained_as_the_clients_own_token(
    key: SigningKey,
) -> None:
    """RFC 7523 3: in a client assertion iss and sub are the client, not the
    authorization server and a user."""
    claims = {
        "iss": "print-shop-service",
        "sub": "print-shop-service",
        "aud": ISSUER,
        "iat": NOW,
        "exp": NOW + 60,
        "jti": "a-1",
    }
    token = jwt.encode(claims, key.private_key, algorithm="RS256")
    text = {line.name: line.explanation for line in decode(token, now=NOW).claim_lines}
    assert text["iss"].startswith("Issuer: the client itself")
    assert text["sub"] == "Subject: the client itself (a client assertion, RFC 7523 3)."
    access = {
        line.name: line.explanation for line in decode(sign(key), now=NOW).claim_lines
    }
    assert access["iss"].startswith("Issuer: the authorization server")


def test_access_token_audiences_are_explained_as_resource_indicators():
    """RFC 8707: aud is the resource asked for; several audiences can each use
    the token at the others (RFC 8707 3)."""
    from playground.views.jwt_explanations import KIND_ACCESS_TOKEN, explain_claim

    one = explain_claim("aud", "https://api.photos.test", {}, KIND_ACCESS_TOKEN, 0)
    assert "resource= (RFC 8707)" in one.explanation
    two = explain_claim(
        "aud",
        ["https://api.photos.test", "https://printlab.photos.test"],
        {},
        KIND_ACCESS_TOKEN,
        0,
    )
    assert two.explanation.startswith("Audiences: each of these APIs accepts it")


def test_an_access_token_is_judged_by_the_api_it_names(key: SigningKey) -> None:
    """A token from a token exchange is for the print lab: the world's rule
    checks it against the print lab, not against the photos API; a token for
    no API of the world is still judged as the photos API would."""
    lab = "https://api.printlab.test"
    trust = TokenTrust(key.public_jwks(), ISSUER, API, api_audiences=(API, lab))
    for_lab = sign(key, access_claims(aud=lab, act={"sub": "photos-api"}))
    decoded = verify_jwt(for_lab, trust, at=NOW)
    assert decoded.verification.status == "valid"
    assert f"aud includes '{lab}'" in decoded.verification.reason
    elsewhere = verify_jwt(
        sign(key, access_claims(aud="https://x.test")), trust, at=NOW
    )
    assert elsewhere.verification.exception == "InvalidAudienceError"
    assert f"expects '{API}'" in elsewhere.verification.reason


def test_act_and_client_id_are_explained_as_delegation(key: SigningKey) -> None:
    token = sign(
        key,
        access_claims(
            client_id="photos-api",
            act={"sub": "photos-api", "act": {"sub": "photos-web"}},
        ),
    )
    lines = {line.name: line.explanation for line in check(token, key).claim_lines}
    assert lines["act"] == (
        "Actor (RFC 8693 4.1): delegation happened; 'photos-api' acts for the "
        "subject 'alice', who stays the sub. A token exchange put it here. Access "
        "decisions consider the top-level claims and this current actor only; the "
        "nested act is an earlier actor, kept as history."
    )
    assert lines["client_id"].startswith("The client that requested this token")
    plain = {line.name: line.explanation for line in check(sign(key), key).claim_lines}
    assert plain["client_id"] == "The client the token was issued to (RFC 9068 2.2)."
    may_act = sign(key, access_claims(may_act={"sub": "photos-api"}))
    explained = {
        line.name: line.explanation for line in check(may_act, key).claim_lines
    }
    assert explained["may_act"].startswith("Authorized actor (RFC 8693 4.4)")
