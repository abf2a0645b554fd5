"""panva's oauth4webapi (pinned in `js/package.json`) in Node.js, against `serve`.

Two scripts in `js/node/`, run with Node over real sockets:

- `resource_discovery.mjs` knows only the photos API's URL: the library's
  `resourceDiscoveryRequest` / `processResourceDiscoveryResponse` (RFC 9728,
  checking that `resource` is the identifier asked about), discovery of the
  authorization server (RFC 8414), a client credentials token with
  `resource` (RFC 8707), the API call, and `invalid_target` for an unknown
  resource.
- `device_flow.mjs` is a device (RFC 8628): the library's device
  authorization request, then one `deviceCodeGrantRequest` per line the test
  writes; Alice's part is plain HTTP on the verification page, and the
  servers' clock is advanced between polls instead of sleeping.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from mock_servers.clock import Clock

from .served import Served, served
from .test_device_flow_oauthlib import enter_code

SCRIPTS = Path(__file__).resolve().parent / "js" / "node"
LIBRARY = SCRIPTS.parent / "node_modules" / "oauth4webapi" / "build" / "index.js"
NODE_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    assert path, "Node.js not found: install nodejs (Debian: apt-get install nodejs)"
    assert LIBRARY.exists(), "oauth4webapi not installed: run `make js` (npm ci)"
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=1_798_761_600)


@pytest.fixture
def servers(clock: Clock) -> Iterator[Served]:
    with served(clock=clock) as running:
        yield running


def test_oauth4webapi_discovers_the_api_and_gets_a_token_for_it(node, servers):
    completed = subprocess.run(
        [
            node,
            str(SCRIPTS / "resource_discovery.mjs"),
            servers.api,
            "print-shop-service",
            "print-shop-secret",
        ],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    found = json.loads(completed.stdout)
    assert found["resource"] == servers.api
    assert found["authorization_servers"] == [servers.issuer]
    assert found["bearer_methods_supported"] == ["header"]
    assert found["issuer"] == servers.issuer
    assert found["protected_resources"] == [servers.api]
    claims = jwt.decode(found["access_token"], options={"verify_signature": False})
    assert claims["aud"] == servers.api
    assert (found["api_status"], found["photos"]) == (200, [])  # the service's own
    assert found["unknown_resource"] == {
        "status": 400,
        "error": "invalid_target",
        "error_description": "The resource https://unknown.example/api is unknown "
        "to this authorization server.",
    }


def test_oauth4webapi_as_a_device_polls_until_alice_approves(node, servers, clock):
    process = subprocess.Popen(
        [
            node,
            str(SCRIPTS / "device_flow.mjs"),
            servers.issuer,
            "photoframe-tv",
            "basic photos.read",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin and process.stdout

        def answer() -> dict:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            return json.loads(line)

        def poll() -> dict:
            process.stdin.write("poll\n")
            process.stdin.flush()
            return answer()

        device = answer()
        assert device["verification_uri"] == f"{servers.issuer}/device"
        clock.advance(device["interval"])
        assert poll()["error"] == "authorization_pending"
        clock.advance(2)
        slow = poll()
        assert (slow["status"], slow["error"]) == (400, "slow_down")
        assert "wait at least 10 s" in slow["error_description"]
        assert "your device is connected" in enter_code(
            device["verification_uri_complete"]
        )
        clock.advance(10)
        assert poll() == {
            "token_type": "bearer",  # oauth4webapi lower-cases it
            "scope": "basic photos.read",
            "api_status": 200,
        }
        process.stdin.close()
        assert process.wait(timeout=NODE_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=NODE_TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
