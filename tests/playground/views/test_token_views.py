"""The views of tokens that are not JWTs (a personal access token) and of a
token exchange's parameters, from recorded exchanges."""

from __future__ import annotations

import json

from mock_servers.personal_access_tokens import PersonalAccessTokens, sha256_hex
from mock_servers.randomness import Randomness
from playground.views.personal_access_token import personal_tokens_in
from playground.views.token_exchange import token_exchanges_in
from playground.wire.exchange import (
    Channel,
    Exchange,
    HttpRequest,
    HttpResponse,
    Party,
)

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def exchange(
    request: HttpRequest, response: HttpResponse, sender: Party = Party.CLIENT
) -> Exchange:
    return Exchange(
        index=1,
        sender=sender,
        receiver=Party.AUTHORIZATION_SERVER,
        channel=Channel.BACK,
        request=request,
        response=response,
    )


def a_token() -> str:
    return (
        PersonalAccessTokens()
        .issue(
            user_id="u-1",
            name="n",
            scope=["basic"],
            lifetime_days=7,
            now=0,
            randomness=Randomness(3),
        )
        .token
    )


def test_a_personal_access_token_is_found_once_and_taken_apart() -> None:
    token = a_token()
    made = exchange(
        HttpRequest("POST", "https://auth.photos.test/account/tokens"),
        HttpResponse(200, body=f'<code id="new-token">{token}</code>'.encode()),
    )
    used = exchange(
        HttpRequest(
            "GET",
            "https://api.photos.test/api/user",
            headers=(("Authorization", f"Bearer {token}"),),
        ),
        HttpResponse(200, body=b"{}"),
    )
    [found] = personal_tokens_in([made, used])
    assert found.where == "the response to POST /account/tokens"
    assert found.prefix == "photos_pat_"
    assert len(found.entropy) == 30 and len(found.checksum) == 6
    assert found.checksum_valid
    assert found.stored_as == sha256_hex(token)
    rows = {part: meaning for part, _, meaning in found.rows()}
    assert "it matches" in rows["checksum"]
    assert "introspection, RFC 7662" in rows["what the server keeps"]


def test_a_mangled_checksum_is_reported() -> None:
    token = a_token()
    wrong = token[:-1] + ("x" if token[-1] != "x" else "y")
    used = exchange(
        HttpRequest("GET", "https://a.test/", headers=(("Authorization", wrong),)),
        HttpResponse(401),
    )
    [found] = personal_tokens_in([used])
    assert not found.checksum_valid
    assert "does NOT match" in dict((p, m) for p, _, m in found.rows())["checksum"]


def test_a_token_exchange_is_explained_parameter_by_parameter() -> None:
    form = (
        f"grant_type={EXCHANGE}&subject_token=abc&subject_token_type={ACCESS}"
        "&resource=https%3A%2F%2Fapi.printlab.test&scope=prints.order"
    )
    answer = {
        "access_token": "eyJ...",
        "issued_token_type": ACCESS,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "prints.order",
    }
    recorded = exchange(
        HttpRequest(
            "POST",
            "https://auth.photos.test/token",
            headers=(("Content-Type", "application/x-www-form-urlencoded"),),
            body=form.encode(),
        ),
        HttpResponse(200, body=json.dumps(answer).encode()),
        sender=Party.RESOURCE_SERVER,
    )
    other = exchange(
        HttpRequest(
            "POST",
            "https://auth.photos.test/token",
            headers=(("Content-Type", "application/x-www-form-urlencoded"),),
            body=b"grant_type=client_credentials",
        ),
        HttpResponse(200, body=b"{}"),
    )
    [explained] = token_exchanges_in([recorded, other])
    assert explained.where == "Resource Server -> Authorization Server: POST /token"
    assert explained.status == 200
    request = {name: meaning for name, _, meaning in explained.request}
    assert list(request) == [
        "grant_type",
        "subject_token",
        "subject_token_type",
        "resource",
        "scope",
    ]
    assert "RFC 8707" in request["resource"]
    response = {name: (value, meaning) for name, value, meaning in explained.response}
    assert response["issued_token_type"][0] == ACCESS
    assert "REQUIRED" in response["issued_token_type"][1]
    assert response["expires_in"][0] == "300"
