"""DPoP proofs and DPoP-bound tokens in the views: found in the DPoP header of
a request, verified with the proof's own key, every field explained, and the
DPoP headers shown on the wire."""

from __future__ import annotations

from mock_servers.keys import generate_ec_signing_key, generate_signing_key
from playground.actors.dpop_proofs import make_proof
from playground.views.jwt_decoder import format_text, verify_jwt
from playground.views.jwt_explanations import KIND_DPOP_PROOF, explain_claim
from playground.views.raw_http import render_request
from playground.views.step_view import tokens_in
from playground.wire.exchange import Channel, Exchange, HttpRequest, HttpResponse, Party
from playground.wire.transcript import Transcript
from playground.world import TokenTrust

NOW = 1_798_761_600
API = "https://api.photos.test/api/photos"
TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."


def trust() -> TokenTrust:
    return TokenTrust(generate_signing_key().public_jwks(), "https://as", API)


def a_proof(**options) -> tuple[str, object]:
    key = generate_ec_signing_key()
    proof = make_proof(key, "GET", API, jti="j-1", iat=NOW, **options)
    return proof, key


def test_proof_is_verified_with_its_own_jwk_and_names_the_thumbprint():
    proof, key = a_proof(access_token=TOKEN, nonce="n-1")
    decoded = verify_jwt(proof, trust(), at=NOW)
    assert decoded.kind == KIND_DPOP_PROOF
    assert decoded.verification.status == "valid"
    assert key.jwk.thumbprint() in decoded.verification.reason
    assert "own jwk header" in decoded.verification.reason


def test_a_tampered_proof_does_not_verify():
    proof, _ = a_proof()
    header, _, signature = proof.split(".")
    other, _ = a_proof(access_token=TOKEN)
    tampered = ".".join([header, other.split(".")[1], signature])
    decoded = verify_jwt(tampered, trust(), at=NOW)
    assert decoded.verification.status == "invalid"
    assert decoded.verification.exception == "InvalidSignatureError"


def test_every_field_of_a_proof_is_explained():
    proof, _ = a_proof(access_token=TOKEN, nonce="n-1")
    decoded = verify_jwt(proof, trust(), at=NOW)
    lines = {line.name: line.explanation for line in decoded.header_lines}
    lines |= {line.name: line.explanation for line in decoded.claim_lines}
    assert set(lines) == {
        "typ",
        "alg",
        "jwk",
        "jti",
        "htm",
        "htu",
        "iat",
        "ath",
        "nonce",
    }
    assert lines["typ"].startswith("Type dpop+jwt: a DPoP proof (RFC 9449 4.2)")
    assert "thumbprint (RFC 7638)" in lines["jwk"]
    assert lines["htm"].startswith("HTTP method of the one request")
    assert "without query and fragment" in lines["htu"]
    assert "SHA-256" in lines["ath"]
    assert "DPoP-Nonce" in lines["nonce"]
    assert "refuses one it has seen" in lines["jti"]
    assert lines["iat"].startswith("Made at: 2027-01-01 00:00:00 UTC (now).")
    assert "60 s either side" in lines["iat"]
    text = format_text(decoded)
    assert text.startswith("DPoP proof (RFC 9449)")


def test_cnf_jkt_of_an_access_token_is_explained():
    line = explain_claim("cnf", {"jkt": "abc"}, {}, "access token (RFC 9068)", NOW)
    assert "RFC 9449 6.1" in line.explanation
    assert "Authorization: DPoP" in line.explanation


def proof_exchange(proof: str) -> Exchange:
    request = HttpRequest(
        method="GET",
        url=API,
        headers=(
            ("Host", "api.photos.test"),
            ("Authorization", f"DPoP {TOKEN}"),
            ("DPoP", proof),
        ),
    )
    response = HttpResponse(200, headers=(("DPoP-Nonce", "n-2"),), body=b"{}")
    return Exchange(
        sender=Party.CLIENT,
        receiver=Party.RESOURCE_SERVER,
        channel=Channel.BACK,
        request=request,
        response=response,
        step=1,
        index=0,
    )


def test_the_jwt_panel_finds_the_proof_in_the_dpop_header():
    proof, _ = a_proof(access_token=TOKEN)
    [found] = tokens_in([proof_exchange(proof)], Transcript(), 1, trust(), NOW)
    assert found.where == "DPoP proof sent with GET /api/photos"
    assert found.decoded.kind == KIND_DPOP_PROOF


def test_raw_http_shows_the_dpop_headers():
    proof, _ = a_proof(access_token=TOKEN)
    text = render_request(proof_exchange(proof).request)
    assert f"Authorization: DPoP {TOKEN}" in text
    assert f"DPoP: {proof}" in text
