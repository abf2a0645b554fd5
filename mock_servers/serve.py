"""Serve one deployment on loopback ports, for curl, a browser or an OAuth library.

The same Flask apps that lessons call in process are put on real sockets with
waitress. Only loopback is allowed: the servers hold demo passwords and secrets,
can be switched into weakened modes, and speak plain http, which OAuth accepts
only on the loopback interface (RFC 8252 7.3; Authlib's `is_secure_transport`
refuses http anywhere else with `insecure_transport`).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
import waitress
from waitress import wasyncore
from waitress.trigger import trigger as Trigger

from .demo import CLIENTS, USERS
from .deployment import PRIVATE_KEY_JWT_CLIENT, Deployment, build_deployment
from .metadata import authorization_server_metadata
from .settings import TokenFormat
from .weaknesses import BY_NAME, UnknownWeaknessError

THREADS = 4
# How long shutdown waits for in-flight requests and for each server's loop.
SHUTDOWN_TIMEOUT = 5.0

WSGIApp = Callable[..., Iterable[bytes]]


class ServeError(Exception):
    """A problem the person starting the servers can fix; shown as one line."""


def loopback_problem(host: str) -> str | None:
    """Why `host` may not be served on, or None for a loopback host."""
    if host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        return None
    return (
        f"--host {host} is not a loopback address: these servers hold demo "
        "passwords and secrets, can be switched into weakened modes and speak "
        "plain http, which OAuth (and Authlib) accept only on loopback; "
        "use 127.0.0.1"
    )


def base_url(host: str, port: int) -> str:
    host_part = f"[{host}]" if ":" in host else host
    return f"http://{host_part}:{port}"


class _LoopbackOnly:
    """Answers only requests whose Host header names a loopback address.

    Authlib builds the request URI from the Host header and would fail with
    `insecure_transport` (a 500) on any other name; and a web page that
    rebinds its DNS name to 127.0.0.1 sends its own name (DNS rebinding).
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        host = urlsplit(f"//{environ.get('HTTP_HOST', '')}").hostname or ""
        if loopback_problem(host) is None:
            return self.app(environ, start_response)
        body = (
            b"421 Misdirected Request: these servers answer only loopback host "
            b"names (127.0.0.1, localhost, [::1]).\n"
        )
        start_response(
            "421 Misdirected Request",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
        )
        return [body]


@dataclass
class _Socket:
    """The bound (not yet served) sockets for one server, and its real port."""

    sockets: list[socket.socket]
    port: int

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def _bind(host: str, port: int, option: str) -> _Socket:
    """Bind every address of `host`; a port of 0 becomes one free port for all.

    We bind before calling waitress: `create_server` starts its worker
    threads before it binds, and leaves them running when the bind fails.
    """
    address = base_url(host, port).removeprefix("http://")
    bound = _Socket([], port)
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )
        for family, kind, proto, _, sockaddr in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            bound.sockets.append(sock)
            # As waitress does: restart at once, not after TIME_WAIT runs out.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # waitress sets this only on sockets it binds itself; accepted
            # sockets inherit it. Without it, Nagle + delayed ACK add ~20 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((sockaddr[0], bound.port, *sockaddr[2:]))
            bound.port = sock.getsockname()[1]
    except OSError as error:
        bound.close()
        reason = (error.strerror or str(error)).lower()
        raise ServeError(
            f"cannot listen on {address}: {reason} (choose another with {option})"
        ) from None
    return bound


@dataclass
class _Listener:
    """One waitress server on its own socket map, run by a daemon thread."""

    label: str
    server: Any
    socket_map: dict[int, Any]
    thread: threading.Thread | None = None

    @classmethod
    def serve(cls, label: str, bound: _Socket, app: WSGIApp) -> _Listener:
        socket_map: dict[int, Any] = {}
        server = waitress.create_server(
            _LoopbackOnly(app), map=socket_map, sockets=bound.sockets, threads=THREADS
        )
        listener = cls(label, server, socket_map)
        listener.thread = threading.Thread(
            target=server.run, name=f"oauth-playground {label}", daemon=True
        )
        listener.thread.start()
        return listener

    def close(self) -> None:
        """Finish in-flight requests, then close every socket in the loop's thread.

        Closing sockets from another thread races the loop's select(); a
        trigger thunk runs inside the loop, which then ends with an empty map.
        """
        self.server.task_dispatcher.shutdown(timeout=SHUTDOWN_TIMEOUT)
        thread = self.thread
        wake = next(
            (obj for obj in self.socket_map.values() if isinstance(obj, Trigger)), None
        )
        if thread is not None and thread.is_alive() and wake is not None:
            wake.pull_trigger(
                lambda: wasyncore.close_all(self.socket_map, ignore_all=True)
            )
            thread.join(SHUTDOWN_TIMEOUT)
        if not (thread and thread.is_alive()):
            wasyncore.close_all(self.socket_map, ignore_all=True)


def _write_key_files(deployment: Deployment, folder: Path) -> dict[str, Path]:
    """The private_key_jwt client's private key, readable by this user only."""
    paths: dict[str, Path] = {}
    for client_id, key in deployment.client_keys.items():
        path = folder / f"{client_id}.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key.private_pem())
        paths[client_id] = path
    return paths


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def banner(
    deployment: Deployment, *, key_files: Mapping[str, str | Path] | None = None
) -> str:
    """What a person needs to point curl or an OAuth client at the servers.

    Pure: built from the deployment and the demo registrations, so it always
    shows the real URLs, ports and switches, and tests can read it.
    """
    key_files = key_files or {}
    as_settings = deployment.as_settings
    rs_settings = deployment.rs_settings
    issuer = as_settings.issuer
    api = rs_settings.url
    metadata = authorization_server_metadata(as_settings)
    lines = [
        "OAuth Playground mock servers (loopback only: demo secrets, plain http)",
        "",
        f"Authorization server  {issuer}",
        f"  metadata (RFC 8414)  {issuer}/.well-known/oauth-authorization-server",
        f"  OpenID configuration {issuer}/.well-known/openid-configuration",
        f"  JWKS                 {metadata['jwks_uri']}",
        f"  authorize            {metadata['authorization_endpoint']}",
        f"  token                {metadata['token_endpoint']}",
        f"  introspection        {metadata['introspection_endpoint']}",
        f"  revocation           {metadata['revocation_endpoint']}",
        f"  userinfo             {metadata['userinfo_endpoint']}",
        f"Resource server       {api}",
    ]
    api_paths = sorted(
        rule.rule
        for rule in deployment.resource_server.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    )
    lines += [f"  GET {path:<17}{api}{path}" for path in api_paths]
    validated = (
        "checked by introspection (RFC 7662)"
        if rs_settings.validation == "introspection"
        else "checked against the JWKS (RFC 9068)"
    )
    lines += [
        f"Access tokens         {as_settings.token_format}, {validated}",
        "",
    ]
    enabled = list(deployment.weaknesses)
    if enabled:
        lines.append("Weaknesses ON (insecure on purpose):")
        lines += [f"  {name}: {BY_NAME[name].description}" for name in enabled]
    else:
        lines.append("Weaknesses: none: secure defaults")
    lines += ["", "Clients:"]
    rows = [("client id", "type", "grants", "redirect URIs", "secret")]
    notes: list[str] = []
    for client in CLIENTS:
        secret = client.client_secret or "(public)"
        key_file = key_files.get(client.client_id)
        if client.uses_private_key_jwt and key_file is not None:
            secret += " *"
            notes.append(
                f"  * {client.client_id} also authenticates with private_key_jwt "
                f"(RFC 7523); private_key_jwt key: {key_file}"
            )
        grants = ", ".join(client.grant_types) or (
            "(introspection only)" if client.can_introspect else "-"
        )
        redirect_uris = " ".join(client.redirect_uris) or "-"
        rows.append(
            (client.client_id, client.client_type, grants, redirect_uris, secret)
        )
    lines += _table(rows) + notes
    lines += ["", "Users (username / password):"]
    lines += [f"  {user.username} / {user.password}  ({user.name})" for user in USERS]
    service = next(c for c in CLIENTS if c.client_id == PRIVATE_KEY_JWT_CLIENT)
    lines += [
        "",
        "Try it (client credentials, then call the photos API):",
        f"  TOKEN=$(curl -s -u {service.client_id}:{service.client_secret} "
        f"-d grant_type=client_credentials -d scope=photos.read "
        f"{metadata['token_endpoint']} | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/api/photos',
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines) + "\n"


def serve(
    host: str,
    as_port: int,
    rs_port: int,
    weaknesses: Iterable[str],
    token_format: TokenFormat,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve both servers until Ctrl-C or `stop`; 0 when stopped, 2 on bad input.

    Both sockets are bound before anything is served, so a busy port is a
    one-line error, not a half-started pair. A port of 0 picks a free one; the
    banner shows the real ports.
    """
    out = out or sys.stdout  # looked up per call, so redirection is honoured
    err = err or sys.stderr
    weaknesses = list(weaknesses)
    try:
        problem = loopback_problem(host)
        if problem:
            raise ServeError(problem)
        for name in weaknesses:
            if name not in BY_NAME:
                raise ServeError(str(UnknownWeaknessError(name)))
        as_socket = _bind(host, as_port, "--as-port")
        try:
            rs_socket = _bind(host, rs_port, "--rs-port")
        except ServeError:
            as_socket.close()
            raise
    except ServeError as error:
        print(f"error: {error}", file=err)
        return 2
    stop = stop or threading.Event()
    restore_sigterm = _stop_on_sigterm(stop)
    key_folder = Path(tempfile.mkdtemp(prefix="oauth-playground-"))
    listeners: list[_Listener] = []
    deployment: Deployment | None = None
    try:
        deployment = build_deployment(
            issuer=base_url(host, as_socket.port),
            api_url=base_url(host, rs_socket.port),
            weaknesses=weaknesses,
            token_format=token_format,
            # The RS reaches the AS over the real socket (JWKS, introspection).
            authorization_server_client=lambda app, issuer: httpx.Client(
                base_url=issuer, timeout=5
            ),
        )
        key_files = _write_key_files(deployment, key_folder)
        listeners.append(
            _Listener.serve(
                "authorization server", as_socket, deployment.authorization_server
            )
        )
        listeners.append(
            _Listener.serve("resource server", rs_socket, deployment.resource_server)
        )
        out.write(banner(deployment, key_files=key_files))
        out.flush()
        if ready is not None:
            ready.set()
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a person stops the servers
    finally:
        for listener in reversed(listeners):  # the RS calls the AS: stop it first
            listener.close()
        as_socket.close()  # no-ops once waitress has closed them
        rs_socket.close()
        if deployment is not None:
            deployment.rs_settings.authorization_server.close()
        shutil.rmtree(key_folder, ignore_errors=True)
        restore_sigterm()
    print("Stopped both servers and removed the key file. Goodbye.", file=out)
    out.flush()
    return 0


def _stop_on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """`kill` stops the servers as cleanly as Ctrl-C (the key file is removed).

    Signal handlers belong to the main thread; tests serve from other threads.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    return lambda: signal.signal(signal.SIGTERM, previous)


@contextmanager
def serving(
    apps: Mapping[str, WSGIApp], host: str = "127.0.0.1"
) -> Iterator[dict[str, str]]:
    """Serve each app on its own free loopback port while the block runs.

    Yields each app's base URL by name; everything is closed on exit. The
    playground uses this to run a world's servers over real sockets.
    """
    problem = loopback_problem(host)
    if problem:
        raise ServeError(problem)
    listeners: list[_Listener] = []
    bound: list[_Socket] = []
    try:
        urls = {}
        for name, app in apps.items():
            sock = _bind(host, 0, name)
            bound.append(sock)
            listeners.append(_Listener.serve(name, sock, app))
            urls[name] = base_url(host, sock.port)
        yield urls
    finally:
        for listener in reversed(listeners):
            listener.close()
        for sock in bound:
            sock.close()
