"""A FAPI 2.0 client on oauth4webapi (Node.js) against `serve`: PAR with
private_key_jwt, PKCE S256, iss, and a DPoP-bound token used at the photos API.

`js/fapi/client.mjs` is panva's oauth4webapi (pinned in `js/package.json`,
installed by `make js` / `.ci/run` with `npm ci`) and a few lines of wiring;
every OAuth message is the library's. It talks to the servers over real
sockets on loopback. The resource owner's part (sign in, approve) is done
here with plain HTTP, as a person would in a browser, between the script's
authorization request and its token request.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest

from mock_servers.dpop import public_key_thumbprint

from .resource_owner import ResourceOwner
from .served import served

JS = Path(__file__).resolve().parent / "js"
SCRIPT = JS / "fapi" / "client.mjs"
CLIENT_ID = "photoprint-fapi"
REDIRECT_URI = "https://photoprint.test/fapi/callback"
NODE_TIMEOUT = 30.0


def node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    assert found, "Node.js is needed for this test (Debian: apt-get install nodejs)"
    assert (JS / "node_modules" / "oauth4webapi").is_dir(), (
        "oauth4webapi is not installed: run `make js` (npm ci in tests/interop/js)"
    )
    return found


def read_line(process: subprocess.Popen[str]) -> dict:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, (
        f"the client script ended: {process.stderr.read() if process.stderr else ''}"
    )
    message = json.loads(line)
    assert "error" not in message, message
    return message


@pytest.fixture(scope="module", params=[False, True], ids=["", "dpop-nonce"])
def fapi_run(request):
    """Serve (with server nonces, `serve --dpop-nonce`, or without), run the
    script through one authorization, return what it saw."""
    with served(dpop_nonces=request.param) as running:
        key_file = running.key_file_for(CLIENT_ID)
        owner = ResourceOwner()
        command = [
            node(),
            str(SCRIPT),
            running.issuer,
            running.api,
            str(key_file),
            key_id(key_file),
            CLIENT_ID,
            REDIRECT_URI,
        ]
        with subprocess.Popen(
            command,
            cwd=JS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            try:
                authorize = read_line(process)["authorize"]
                callback = owner.authorize(authorize)
                assert process.stdin is not None
                process.stdin.write(callback + "\n")
                process.stdin.flush()
                result = read_line(process)["result"]
                assert process.wait(NODE_TIMEOUT) == 0
            finally:
                if process.poll() is None:
                    process.kill()
                owner.close()
        yield {
            "result": result,
            "authorize": authorize,
            "forms": owner.forms_filled,
            "nonces": request.param,
        }


def key_id(key_file: Path) -> str:
    """The kid the servers registered for the key (its RFC 7638 thumbprint)."""
    from cryptography.hazmat.primitives import serialization
    from joserfc.jwk import ECKey

    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    return ECKey.import_key(private).thumbprint()


def test_oauth4webapi_pushes_its_request_and_sends_a_reference(fapi_run):
    result = fapi_run["result"]
    assert result["par"]["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert result["par"]["expires_in"] == 60
    authorize = fapi_run["authorize"]
    assert "request_uri=" in authorize and "scope=" not in authorize
    assert fapi_run["forms"] == ["login-form", "consent-form"]
    # With nonces the first push is answered use_dpop_nonce and the library
    # sends it again with the DPoP-Nonce value (RFC 9449 8).
    assert result["par"]["nonce_retry"] is fapi_run["nonces"]


def test_oauth4webapi_gets_a_dpop_bound_token_and_calls_the_api(fapi_run):
    result = fapi_run["result"]
    assert result["token_type"] == "dpop"  # oauth4webapi lower-cases it
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert set(claims["cnf"]) == {"jkt"}
    assert result["api"]["status"] == 200
    assert result["api"]["body"]["owner"] == "u-1001"
    # The API asks for its own nonce too (RFC 9449 9), with a 401 challenge.
    assert result["api"]["nonce_retry"] is fapi_run["nonces"]


def test_the_same_token_as_a_bearer_token_is_refused(fapi_run):
    bearer = fapi_run["result"]["bearer"]
    assert bearer["status"] == 401
    assert bearer["challenge"].startswith(
        'Bearer realm="photos-api", error="invalid_token"'
    )


def test_thumbprint_is_rfc_7638():
    # RFC 7638 3.1's example key and thumbprint: the one rule cnf.jkt uses.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aP"
        "FFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7"
        "_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvR"
        "L5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBn"
        "iIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
    }
    assert public_key_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
