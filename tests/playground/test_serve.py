"""`oauth-playground serve`: both servers on real loopback sockets.

Every request here crosses a real TCP socket on 127.0.0.1, including the
resource server's own calls to the authorization server (JWKS, introspection).
Ports are 0, so the OS picks free ones and the banner must report them.
"""

from __future__ import annotations

import http.client
import io
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from argparse import ArgumentTypeError
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import mock_servers.serve as serve_module
from mock_servers.deployment import build_deployment
from mock_servers.serve import banner, parse_redirect_uri, serve
from mock_servers.serve import serving as serve_apps
from mock_servers.weaknesses import REGISTRY
from playground.cli import main

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Running:
    out: io.StringIO
    err: io.StringIO
    thread: threading.Thread
    result: list[int] = field(default_factory=list)

    @property
    def banner(self) -> str:
        return self.out.getvalue()

    def url(self, label: str) -> str:
        match = re.search(rf"^{label}\s+(http://\S+)$", self.banner, re.MULTILINE)
        assert match, f"no {label} URL in banner:\n{self.banner}"
        return match.group(1)

    @property
    def issuer(self) -> str:
        return self.url("Authorization server")

    @property
    def api(self) -> str:
        return self.url("Resource server")

    @property
    def key_file(self) -> Path:
        match = re.search(r"private_key_jwt key: (\S+)", self.banner)
        assert match, self.banner
        return Path(match.group(1))


@contextmanager
def serving(
    weaknesses: tuple[str, ...] = (),
    token_format: str = "jwt",
    redirect_uris: tuple[tuple[str, str], ...] = (),
) -> Iterator[Running]:
    """Run `serve` in a thread on free ports; stop it and check it ended."""
    ready, stop = threading.Event(), threading.Event()
    running = Running(io.StringIO(), io.StringIO(), threading.Thread())

    def target() -> None:
        running.result.append(
            serve(
                "127.0.0.1",
                0,
                0,
                weaknesses,
                token_format,  # type: ignore[arg-type]
                redirect_uris=redirect_uris,
                out=running.out,
                err=running.err,
                ready=ready,
                stop=stop,
            )
        )

    running.thread = threading.Thread(target=target, daemon=True)
    running.thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.05):
            assert running.thread.is_alive(), running.err.getvalue()
            assert time.monotonic() < deadline, "serve did not become ready"
        yield running
    finally:
        stop.set()
        running.thread.join(STOP_TIMEOUT)
    assert not running.thread.is_alive(), "serve did not stop"
    assert running.result == [0]


@pytest.fixture
def rs_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the resource server's client (made by `serve`) requested."""
    calls: list[str] = []

    class RecordingClient(httpx.Client):
        def __init__(self, **kwargs: Any) -> None:
            hooks = {"request": [lambda request: calls.append(str(request.url))]}
            super().__init__(event_hooks=hooks, **kwargs)

    monkeypatch.setattr(serve_module, "httpx", SimpleNamespace(Client=RecordingClient))
    return calls


def serving_threads() -> list[str]:
    """Ours, Cheroot's workers ("CP Server Thread-N") and its 503 thread."""
    names = [thread.name for thread in threading.enumerate()]
    return [
        name
        for name in names
        if name.startswith(("CP Server", "oauth-playg"))
        or "_serve_unservicable" in name
    ]


def no_serving_threads_left() -> list[str]:
    """Worker threads end just after they report done: poll, bounded."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while serving_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    return serving_threads()


def port_of(url: str) -> int:
    port = httpx.URL(url).port
    assert port is not None
    return port


def client_credentials_token(issuer: str) -> str:
    with httpx.Client(timeout=5) as client:
        response = client.post(
            f"{issuer}/token",
            data={"grant_type": "client_credentials", "scope": "photos.read"},
            auth=("print-shop-service", "print-shop-secret"),
        )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def get_photos(api: str, token: str) -> httpx.Response:
    with httpx.Client(timeout=5) as client:
        return client.get(
            f"{api}/api/photos", headers={"Authorization": f"Bearer {token}"}
        )


def test_jwt_access_token_verified_with_jwks_fetched_over_the_socket(
    rs_calls: list[str],
) -> None:
    with serving() as running:
        issuer, api = running.issuer, running.api
        assert issuer == f"http://127.0.0.1:{port_of(issuer)}"
        assert api == f"http://127.0.0.1:{port_of(api)}"
        assert port_of(issuer) != port_of(api)
        with httpx.Client(timeout=5) as client:
            metadata = client.get(
                f"{issuer}/.well-known/oauth-authorization-server"
            ).json()
            jwks = client.get(f"{issuer}/jwks.json").json()
        assert metadata["issuer"] == issuer
        assert metadata["token_endpoint"] == f"{issuer}/token"
        assert metadata["jwks_uri"] == f"{issuer}/jwks.json"
        assert jwks["keys"] and jwks["keys"][0]["kty"] == "RSA"

        token = client_credentials_token(issuer)
        assert token.count(".") == 2  # a JWT (RFC 9068)
        response = get_photos(api, token)
        assert response.status_code == 200, response.text
        assert response.json()["owner"] == "print-shop-service"
        assert f"{issuer}/jwks.json" in rs_calls


def test_opaque_access_token_validated_by_introspection_over_the_socket(
    rs_calls: list[str],
) -> None:
    with serving(token_format="opaque") as running:
        assert "opaque, checked by introspection" in running.banner
        token = client_credentials_token(running.issuer)
        assert token.count(".") != 2
        response = get_photos(running.api, token)
        assert response.status_code == 200, response.text
        assert rs_calls == [f"{running.issuer}/introspect"]


def test_authorization_request_works_over_loopback_http() -> None:
    """Authlib accepts plain http on loopback (RFC 8252 7.3) at /authorize."""
    with serving() as running, httpx.Client(timeout=5) as client:
        response = client.get(
            f"{running.issuer}/authorize",
            params={
                "response_type": "code",
                "client_id": "photo-uploader-native",
                "redirect_uri": "http://127.0.0.1:5555/callback",
                "scope": "basic",
                "state": "xyz",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
    assert response.status_code == 200
    assert 'name="username"' in response.text


def test_non_loopback_host_header_is_refused_not_a_500() -> None:
    """Authlib would raise insecure_transport; a DNS-rebinding page sends its name."""
    with serving() as running, httpx.Client(timeout=5) as client:
        response = client.post(
            f"{running.issuer}/token",
            headers={"Host": "attacker.example"},
            data={"grant_type": "client_credentials"},
            auth=("print-shop-service", "print-shop-secret"),
        )
    assert response.status_code == 421
    assert "loopback" in response.text


def test_stop_ends_every_thread_frees_the_ports_and_removes_the_key() -> None:
    with serving(weaknesses=("rs.accept_alg_none",)) as running:
        ports = [port_of(running.issuer), port_of(running.api)]
        key_file = running.key_file
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert "rs.accept_alg_none: The resource server accepts" in running.banner
        client_credentials_token(running.issuer)  # leave a used connection behind
    assert not key_file.exists()
    assert "Goodbye" in running.out.getvalue()
    assert no_serving_threads_left() == []
    for port in ports:
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", port), timeout=2),
        ):
            pass
        # Free to listen on again, as any server would (SO_REUSEADDR).
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
            again.listen()


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"hi"]


def _accepted_sockets(port: int) -> list[socket.socket]:
    """This process's connected sockets whose local port is `port` (server side).

    Read through /proc/self/fd: the server's own socket objects are Cheroot's.
    """
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue  # not a socket (or gone)
        try:
            if sock.getsockname()[1:2] == (port,) and sock.getpeername():
                found.append(sock)
                continue
        except OSError:
            pass  # a listening or unbound socket has no peer
        sock.close()
    return found


def test_keep_alive_connection_is_reused_and_has_tcp_nodelay() -> None:
    """One TCP connection serves many requests; TCP_NODELAY on the server side.

    Without TCP_NODELAY, Nagle's algorithm plus delayed ACK hold a small
    response for ~40 ms; a new connection per request costs more still.
    """
    with serve_apps({"hello": _hello}) as urls:
        port = port_of(urls["hello"])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            local_ports = set()
            for _ in range(3):
                connection.request("GET", "/")
                response = connection.getresponse()
                assert response.read() == b"hi"
                assert response.getheader("Connection", "").lower() != "close"
                assert connection.sock is not None
                local_ports.add(connection.sock.getsockname()[1])
            assert len(local_ports) == 1
            accepted = _accepted_sockets(port)
            try:
                assert len(accepted) == 1
                nodelay = accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                assert nodelay != 0
            finally:
                for sock in accepted:
                    sock.close()
        finally:
            connection.close()


SPA_REDIRECT = "http://127.0.0.1:5173/callback"


def test_redirect_uri_option_adds_a_registration_shown_in_the_banner() -> None:
    redirect_uris = (("photo-gallery-spa", SPA_REDIRECT),)
    with serving(redirect_uris=redirect_uris) as running:
        spa_row = next(
            line for line in running.banner.splitlines() if "photo-gallery-spa" in line
        )
        # Added to the demo registration, not instead of it.
        assert "https://photoprint.test/spa/callback" in spa_row
        assert SPA_REDIRECT in spa_row
        params = {
            "response_type": "code",
            "client_id": "photo-gallery-spa",
            "scope": "openid",
            "state": "xyz",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        with httpx.Client(timeout=5) as client:
            accepted = client.get(
                f"{running.issuer}/authorize",
                params={**params, "redirect_uri": SPA_REDIRECT},
            )
            refused = client.get(
                f"{running.issuer}/authorize",
                params={**params, "redirect_uri": "http://127.0.0.1:5173/other"},
            )
    assert accepted.status_code == 200
    assert 'name="username"' in accepted.text
    assert refused.status_code == 400
    assert "redirect" in refused.text.lower()


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        ("nobody", "--redirect-uri: unknown client 'nobody'"),
        ("print-shop-service", "--redirect-uri: print-shop-service uses no redirect"),
    ],
)
def test_redirect_uri_for_a_client_without_redirects_is_refused(
    client_id: str, message: str
) -> None:
    err = io.StringIO()
    code = serve(
        "127.0.0.1",
        0,
        0,
        (),
        "jwt",
        redirect_uris=[(client_id, SPA_REDIRECT)],
        out=io.StringIO(),
        err=err,
    )
    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(f"error: {message}")
    assert no_serving_threads_left() == []


def test_redirect_uri_option_is_client_id_equals_absolute_uri() -> None:
    assert parse_redirect_uri(f"photo-gallery-spa={SPA_REDIRECT}") == (
        "photo-gallery-spa",
        SPA_REDIRECT,
    )
    for bad in ("photo-gallery-spa", "=http://127.0.0.1/cb", "spa=/callback"):
        with pytest.raises(ArgumentTypeError, match="expected CLIENT_ID=URI"):
            parse_redirect_uri(bad)
    with pytest.raises(ArgumentTypeError, match=r"fragment \(RFC 6749 3.1.2\)"):
        parse_redirect_uri("spa=http://127.0.0.1/cb#x")


@contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_busy_authorization_server_port_is_one_line_exit_2() -> None:
    out, err = io.StringIO(), io.StringIO()
    with busy_port() as port:
        code = serve("127.0.0.1", port, 0, (), "jwt", out=out, err=err)
    assert code == 2
    assert err.getvalue() == (
        f"error: cannot listen on 127.0.0.1:{port}: address already in use "
        "(choose another with --as-port)\n"
    )
    assert out.getvalue() == ""


def test_busy_resource_server_port_from_the_cli_releases_the_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with busy_port() as port:
        code = main(["serve", "--as-port", "0", "--rs-port", str(port)])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "--rs-port" in captured.err
    assert "Traceback" not in captured.err
    assert no_serving_threads_left() == []


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org"])
def test_non_loopback_host_is_refused(host: str) -> None:
    err = io.StringIO()
    code = serve(host, 0, 0, (), "jwt", out=io.StringIO(), err=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(f"error: --host {host} is not a loopback")
    assert "demo" in err.getvalue()


def test_unknown_weakness_is_a_usage_error_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--weakness", "nope"])
    assert exit_info.value.code == 2
    error_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "unknown weakness 'nope'" in error_line
    for weakness in REGISTRY:
        assert weakness.name in error_line


def test_serve_help_lists_every_weakness_with_its_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for weakness in REGISTRY:
        assert weakness.name in help_text
        assert " ".join(weakness.description.split()) in help_text


def test_banner_describes_clients_users_and_switches() -> None:
    deployment = build_deployment(
        issuer="http://127.0.0.1:9100", api_url="http://127.0.0.1:9101"
    )
    try:
        text = banner(deployment, key_files={"print-shop-service": "/tmp/k.pem"})
    finally:
        deployment.rs_settings.authorization_server.close()
    assert "none: secure defaults" in text
    assert "http://127.0.0.1:9100/.well-known/oauth-authorization-server" in text
    assert "http://127.0.0.1:9100/jwks.json" in text
    assert "GET /api/photos" in text and "GET /api/user" in text
    assert "private_key_jwt key: /tmp/k.pem" in text
    for client_id in ("photoprint", "photo-gallery-spa", "print-shop-service"):
        assert client_id in text
    assert "alice / wonderland" in text and "bob / builder" in text
    assert "-u print-shop-service:print-shop-secret" in text
    assert "http://127.0.0.1:9100/token" in text
    assert "Bearer $TOKEN" in text and "http://127.0.0.1:9101/api/photos" in text


def _pump(stream: io.TextIOBase, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize(
    "stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"]
)
def test_console_script_serves_until_ctrl_c_or_kill(stop_signal: int) -> None:
    command = [sys.executable, "-m", "playground", "serve"]
    command += ["--as-port", "0", "--rs-port", "0", "--lab-port", "0"]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell's background job may have SIGINT ignored; the child would
        # inherit that and never see Ctrl-C. Give it the default back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        try:
            stdout: queue.Queue[str | None] = queue.Queue()
            stderr: queue.Queue[str | None] = queue.Queue()
            readers = [
                threading.Thread(target=_pump, args=(process.stdout, stdout)),
                threading.Thread(target=_pump, args=(process.stderr, stderr)),
            ]
            for reader in readers:
                reader.start()
            seen: list[str] = []
            deadline = time.monotonic() + START_TIMEOUT
            while not any("Press Ctrl-C" in line for line in seen):
                line = stdout.get(timeout=max(0.0, deadline - time.monotonic()))
                assert line is not None, "".join(seen) + _drained(stderr)
                seen.append(line)
            match = re.search(
                r"^Authorization server\s+(\S+)$", "".join(seen), re.MULTILINE
            )
            assert match
            issuer = match.group(1)
            with httpx.Client(timeout=5) as client:
                metadata = client.get(
                    f"{issuer}/.well-known/oauth-authorization-server"
                )
            assert metadata.json()["issuer"] == issuer

            process.send_signal(stop_signal)
            assert process.wait(timeout=STOP_TIMEOUT) == 0
            for reader in readers:
                reader.join(STOP_TIMEOUT)
            rest = _drained(stdout)
            errors = _drained(stderr)
            assert "Traceback" not in errors, errors
            assert "Goodbye" in rest
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)


def _drained(lines: queue.Queue[str | None]) -> str:
    text = []
    while True:
        try:
            line = lines.get_nowait()
        except queue.Empty:
            return "".join(text)
        if line is not None:
            text.append(line)


def test_banner_shows_the_device_grant_and_the_apis_metadata() -> None:
    deployment = build_deployment(
        issuer="http://127.0.0.1:9100", api_url="http://127.0.0.1:9101"
    )
    try:
        lines = banner(deployment).splitlines()
    finally:
        deployment.rs_settings.authorization_server.close()
    assert "  device authorization http://127.0.0.1:9100/device_authorization" in lines
    assert "  device verification  http://127.0.0.1:9100/device" in lines
    assert (
        "  metadata (RFC 9728)  http://127.0.0.1:9101/.well-known/oauth-protected-resource"
        in lines
    )
    assert any(line.startswith("  photoframe-tv ") for line in lines)
