"""Serve one deployment on loopback ports, for curl, a browser or an OAuth library.

Three ports, one per origin of the in-process world: the authorization server
(with the account page), the photos API, and the print lab's API, which the
photos API calls with tokens from a token exchange (RFC 8693). The print lab
is another company's API, so it has an origin (and an `aud`) of its own.

The same Flask apps that lessons call in process are put on real sockets with
Cheroot, CherryPy's production WSGI server. Only loopback is allowed: the
servers hold demo passwords and secrets, can be switched into weakened modes,
and speak plain http, which OAuth accepts only on the loopback interface
(RFC 8252 7.3; Authlib's `is_secure_transport` refuses http anywhere else with
`insecure_transport`).

Why Cheroot and not waitress: we run two servers (more for `serving`) in one
process and must stop them from another thread (a test, the playground, a
SIGTERM). Cheroot's public `prepare()` / `serve()` / `stop()` do exactly that;
waitress has no public way to stop a server from another thread (its
maintainers say so in Pylons/waitress#343 and #372), only by reaching into
its socket map and trigger.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi

from .clock import Clock
from .demo import CLIENTS, USERS
from .deployment import PRIVATE_KEY_JWT_CLIENT, Deployment, build_deployment
from .http_limits import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    MAX_TARGET_BYTES,
    refusal,
    refuse,
)
from .metadata import authorization_server_metadata
from .protected_resource import metadata_url
from .settings import TokenFormat
from .weaknesses import BY_NAME, UnknownWeaknessError

# Worker threads per server. A connection holds one only while a request is
# read, answered or awaited; idle connections wait in Cheroot's selector. One
# that stalls in the middle of a request holds its worker for up to
# CONNECTION_TIMEOUT: with 128 (an idle thread costs ~30 kB), 99 such
# connections leave others served at once (bench/serve_load.py measures it).
THREADS = 128
# How long shutdown waits for each server's worker threads.
SHUTDOWN_TIMEOUT = 5.0
# How often a server's loop wakes to expire idle connections; also how long
# `stop()` may wait for the loop to notice (Cheroot's default is 0.5 s).
LOOP_INTERVAL = 0.05
# Connections a server keeps queued before accepting them: a browser opens six.
BACKLOG = 64
# Seconds a connection may stay silent: idle between requests, or in the
# middle of sending one (each read waits this long at most). On loopback a
# request arrives at once; Cheroot's default is 10 s.
CONNECTION_TIMEOUT = 5.0
# Idle keep-alive connections kept open (Cheroot's default is 10); past that,
# answers say `Connection: close`. Twelve busy clients fit.
KEEP_ALIVE_CONNECTIONS = 64

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


def parse_redirect_uri(text: str) -> tuple[str, str]:
    """`CLIENT_ID=URI` (the `--redirect-uri` option) as (client id, URI).

    RFC 6749 3.1.2: a redirect URI is absolute and has no fragment. Raises
    argparse's error so a command line can use this as an argument's `type`.
    """
    client_id, separator, uri = text.partition("=")
    parts = urlsplit(uri)
    if not (separator and client_id and parts.scheme and parts.netloc):
        raise argparse.ArgumentTypeError(
            f"--redirect-uri {text!r}: expected CLIENT_ID=URI with an absolute "
            "URI, e.g. photo-gallery-spa=http://127.0.0.1:5173/callback"
        )
    if parts.fragment or uri.endswith("#"):
        raise argparse.ArgumentTypeError(
            f"--redirect-uri {text!r}: a redirect URI must not have a fragment "
            "(RFC 6749 3.1.2)"
        )
    return client_id, uri


def _redirect_uri_problem(client_id: str) -> str | None:
    """Why extra redirect URIs may not be registered for this client, or None."""
    demo = next((c for c in CLIENTS if c.client_id == client_id), None)
    if demo is None:
        known = ", ".join(c.client_id for c in CLIENTS if c.redirect_uris)
        return f"--redirect-uri: unknown client {client_id!r}; clients: {known}"
    if not demo.redirect_uris:
        return (
            f"--redirect-uri: {client_id} uses no redirect URI "
            f"(grants: {', '.join(demo.grant_types) or 'none'})"
        )
    return None


def register_redirect_uris(
    deployment: Deployment, redirect_uris: Iterable[tuple[str, str]]
) -> None:
    """Add (never replace) redirect URIs to clients' registrations in the store.

    The authorization server reads the store at each request, so an added URI
    passes its exact-match check (RFC 9700 4.1.3), and its origin is the
    client's origin wherever the servers derive one from redirect URIs.
    """
    for client_id, uri in redirect_uris:
        client = deployment.store.client(client_id)
        if client is None:
            raise ServeError(f"--redirect-uri: unknown client {client_id!r}")
        if uri not in client.redirect_uris:
            client.redirect_uris = (*client.redirect_uris, uri)


class _LoopbackOnly:
    """Answers only requests whose Host header names a loopback address.

    Authlib builds the request URI from the Host header and would fail with
    `insecure_transport` (a 500) on any other name; and a web page that
    rebinds its DNS name to 127.0.0.1 sends its own name (DNS rebinding).
    A missing or malformed Host is the app's `RequestLimits` refusal (400),
    checked first here so that it is never taken for another host.
    """

    def __init__(self) -> None:
        # Set before serving starts: the app is built once the port is known.
        self.app: WSGIApp | None = None
        # host:port this listener serves, for an HTTP/1.0 request without Host.
        self.own_host = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        answer = refusal(environ)
        if answer is not None:
            return refuse(answer, start_response)
        if "HTTP_HOST" not in environ:
            # HTTP/1.0 may omit Host (RequestLimits let it through): the
            # request is for the address it reached, which the apps need
            # to build their URLs from.
            environ["HTTP_HOST"] = self.own_host
        host = urlsplit(f"//{environ['HTTP_HOST']}").hostname or ""
        if loopback_problem(host) is None and self.app is not None:
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


def _addresses(host: str) -> list[str]:
    """Every address `host` names (both 127.0.0.1 and ::1 for localhost)."""
    infos = socket.getaddrinfo(
        host, 0, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# RFC 9112 7: transfer-coding = token *( OWS ";" OWS transfer-parameter )
_TRANSFER_CODING = re.compile(rb"\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*(;.*)?")


class _HeaderReader(cheroot_server.HeaderReader):
    """Cheroot's header reader, stricter where RFC 9110 and RFC 9112 say so.

    A header sent on two lines is combined into one value with a comma (RFC
    9110 5.3), as WSGI servers and Werkzeug's test client do: Cheroot kept the
    last line only, so `Authorization` sent twice hid one credential from the
    app, which now sees both and refuses the request (invalid_request). A
    line folded onto the previous one (obs-fold) is refused: RFC 9112 5.2
    lets a server reject it with 400, and Cheroot replaced the value instead.
    CR or NUL in a value, and a body's framing read two ways, are refused too.
    Each refusal is Cheroot's 400 with the reason.
    """

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> Any:
        hdict = {} if hdict is None else hdict
        while True:
            line = rfile.readline()
            if not line:
                raise ValueError("Illegal end of headers.")
            if line == b"\r\n":
                break
            if not line.endswith(b"\r\n"):
                raise ValueError("HTTP requires CRLF terminators")
            if line[:1] in (b" ", b"\t"):
                raise ValueError("Folded header lines (obs-fold) are not accepted.")
            name, colon, value = line.partition(b":")
            if not colon:
                raise ValueError("Illegal header line.")
            key = self._transform_key(name)
            value = value.strip()
            if b"\r" in value or b"\x00" in value:
                # RFC 9110 5.5: "a recipient of CR, LF, or NUL within a field
                # value MUST either reject the message or replace" them.
                raise ValueError("A header value holds CR or NUL.")
            if key in hdict:
                value = hdict[key] + b", " + value
            hdict[key] = value
        return self._framing_checked(hdict)

    @staticmethod
    def _framing_checked(hdict: dict[bytes, bytes]) -> dict[bytes, bytes]:
        """RFC 9112 6: the fields that say where the body ends, read strictly
        (a lenient reading is how request smuggling starts)."""
        length = hdict.get(b"Content-Length")
        if length is not None and not length.isdigit():
            # 8.6: Content-Length = 1*DIGIT (Python's int() also takes "+1").
            raise ValueError("Malformed Content-Length Header.")
        codings = hdict.get(b"Transfer-Encoding")
        if codings is not None:
            if length is not None:
                # 6.3: a server MAY reject a request with both.
                raise ValueError("Content-Length and Transfer-Encoding together.")
            if not all(_TRANSFER_CODING.fullmatch(c) for c in codings.split(b",")):
                raise ValueError("Malformed Transfer-Encoding.")
        return hdict


class _Request(cheroot_server.HTTPRequest):
    """Cheroot's request, reading headers with `_HeaderReader`, and saying
    431 (RFC 6585 5) rather than 413 when they are too large."""

    header_reader = _HeaderReader()

    def read_request_headers(self) -> bool:
        try:
            return bool(super().read_request_headers())
        except cheroot_errors.MaxSizeExceeded:
            self.simple_response(
                "431 Request Header Fields Too Large",
                f"The request line and header fields add up to more than "
                f"{REQUEST_HEAD_BYTES} bytes.",
            )
            return False


class _Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request


# Cheroot reads the request line and headers against one limit.
REQUEST_HEAD_BYTES = MAX_TARGET_BYTES + MAX_HEADER_BYTES + 1024


class _Server(wsgi.Server):
    """Cheroot's WSGI server, with limits, and every thread kept for requests.

    Cheroot hands a newly accepted connection straight to a worker thread,
    which then waits (up to `timeout`) for a request that may never come: a
    few idle connections stopped every other client. Here a new connection
    waits in Cheroot's selector, like an idle keep-alive one, until it has
    something to read (`process_conn`).

    Cheroot's `prepare` folds a bind failure's reason into a message string
    and drops the socket whose bind failed without closing it (a
    ResourceWarning, an error under our warnings-as-errors); its
    `bind_socket` hook is where both are fixed.
    """

    ConnectionClass = _Connection
    bind_error: OSError | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_request_header_size = REQUEST_HEAD_BYTES
        self.max_request_body_size = MAX_BODY_BYTES
        self.keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS

    def process_conn(self, conn: Any) -> None:
        # A connection Cheroot's selector has never held (`last_used` unset)
        # is new: let the selector hold it until it is readable; it is
        # closed, as an idle one, after `timeout` of silence.
        if conn.last_used is None and self.ready:
            self.put_conn(conn)
            return
        super().process_conn(conn)

    def bind_socket(self, socket_: socket.socket, bind_addr: Any) -> socket.socket:
        try:
            socket_.bind(bind_addr)
        except OSError as error:
            self.bind_error = error
            socket_.close()
            raise
        return socket_


@dataclass
class _Listener:
    """One app on every address of a host, one port; one Cheroot server each.

    `listen` binds and starts the worker threads (Cheroot's `prepare`) but
    serves nothing, so a busy second port can still undo the first cleanly,
    and the app can be built once the real port (its issuer URL) is known.
    """

    label: str
    port: int
    gate: _LoopbackOnly = field(default_factory=_LoopbackOnly)
    servers: list[_Server] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def listen(cls, label: str, host: str, port: int, option: str) -> _Listener:
        """Bind `host`:`port`; a port of 0 becomes one free port for all addresses."""
        listener = cls(label, port)
        server: _Server | None = None
        try:
            for address in _addresses(host):
                server = _Server(
                    (address, listener.port),
                    listener.gate,
                    numthreads=THREADS,
                    request_queue_size=BACKLOG,
                    timeout=CONNECTION_TIMEOUT,
                    shutdown_timeout=SHUTDOWN_TIMEOUT,
                )
                # Cheroot sets TCP_NODELAY (`nodelay`, on by default) on the
                # listening socket and accepted sockets inherit it: Nagle plus
                # delayed ACK would add ~40 ms to each keep-alive request.
                server.expiration_interval = LOOP_INTERVAL
                server.prepare()
                listener.servers.append(server)
                listener.port = server.bind_addr[1]
                listener.gate.own_host = base_url(host, listener.port)[len("http://") :]
        except OSError as error:
            listener.close()
            cause = (server and server.bind_error) or error
            reason = (cause.strerror or str(cause)).lower()
            address = base_url(host, port).removeprefix("http://")
            raise ServeError(
                f"cannot listen on {address}: {reason} (choose another with {option})"
            ) from None
        return listener

    def serve(self, app: WSGIApp) -> None:
        """Serve `app`, one daemon thread per address."""
        self.gate.app = app
        for server in self.servers:
            thread = threading.Thread(
                target=server.serve, name=f"oauth-playground {self.label}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def close(self) -> None:
        """Stop accepting, close every connection, wait for the worker threads.

        Cheroot's `stop` may be called from any thread: its loop notices within
        LOOP_INTERVAL, and it joins the workers within SHUTDOWN_TIMEOUT.
        """
        for server in self.servers:
            server.stop()
        for thread in self.threads:
            thread.join(SHUTDOWN_TIMEOUT)


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

    Pure: built from the deployment and its store's registrations, so it always
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
        f"  device authorization {metadata['device_authorization_endpoint']}",
        f"  device verification  {issuer}/device",
        "  pushed authorization requests (RFC 9126)  "
        f"{metadata['pushed_authorization_request_endpoint']}",
        "  DPoP proofs (RFC 9449) at the token and PAR endpoints and the API: "
        + " ".join(metadata["dpop_signing_alg_values_supported"])
        + (", server nonces required" if as_settings.dpop.nonce_required else ""),
        f"  account page         {issuer}/account  (personal access tokens, "
        "approved apps)",
        f"Resource server       {api}",
        f"  metadata (RFC 9728)  {metadata_url(api)}",
    ]
    lines += [
        f"  {_methods(rule) + ' ' + rule.rule:<22}{api}{rule.rule}"
        for rule in sorted(
            deployment.resource_server.url_map.iter_rules(), key=lambda r: r.rule
        )
        if rule.rule.startswith("/api/")
    ]
    lab = deployment.print_lab_settings.url
    lines += [f"Print lab API         {lab}  (tokens from a token exchange only)"]
    lines += [
        f"  {_methods(rule) + ' ' + rule.rule:<22}{lab}{rule.rule}"
        for rule in sorted(
            deployment.print_lab.url_map.iter_rules(), key=lambda r: r.rule
        )
        if rule.rule.startswith("/api/")
    ]
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
        secret = client.client_secret or (
            "(private_key_jwt)" if client.uses_private_key_jwt else "(public)"
        )
        key_file = key_files.get(client.client_id)
        if client.uses_private_key_jwt and key_file is not None:
            secret += " *"
            how = "also authenticates" if client.client_secret else "authenticates"
            notes.append(
                f"  * {client.client_id} {how} with private_key_jwt "
                f"(RFC 7523); private_key_jwt key: {key_file}"
            )
        grants = ", ".join(client.grant_types) or (
            "(introspection only)" if client.can_introspect else "-"
        )
        # The store's registration: the demo URIs plus any --redirect-uri.
        registered = deployment.store.client(client.client_id)
        redirect_uris = " ".join(registered.redirect_uris if registered else ()) or "-"
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


def _methods(rule: Any) -> str:
    """GET, POST or both, as the banner lists an endpoint."""
    return "/".join(m for m in ("GET", "POST") if m in (rule.methods or ()))


def serve(
    host: str,
    as_port: int,
    rs_port: int,
    weaknesses: Iterable[str],
    token_format: TokenFormat,
    *,
    lab_port: int = 0,
    redirect_uris: Iterable[tuple[str, str]] = (),
    dpop_nonces: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
) -> int:
    """Serve the servers until Ctrl-C or `stop`; 0 when stopped, 2 on bad input.

    Every port (authorization server, photos API, print lab) is bound before
    anything is served, so a busy port is a one-line error, not a half-started
    set. A port of 0 picks a free one; the banner shows the real ports.
    `redirect_uris` ((client id, URI) pairs, the `--redirect-uri` option) are
    registered in addition to the demo ones, e.g. for a single-page app served
    from its own loopback origin. `clock` is the
    real time unless a test passes one it can advance (a device's polling).
    """
    out = out or sys.stdout  # looked up per call, so redirection is honoured
    err = err or sys.stderr
    weaknesses = list(weaknesses)
    redirect_uris = list(redirect_uris)
    listeners: list[_Listener] = []
    try:
        problem = loopback_problem(host)
        if problem:
            raise ServeError(problem)
        for name in weaknesses:
            if name not in BY_NAME:
                raise ServeError(str(UnknownWeaknessError(name)))
        for client_id, _ in redirect_uris:
            problem = _redirect_uri_problem(client_id)
            if problem:
                raise ServeError(problem)
        listeners.append(
            _Listener.listen("authorization server", host, as_port, "--as-port")
        )
        listeners.append(
            _Listener.listen("resource server", host, rs_port, "--rs-port")
        )
        listeners.append(_Listener.listen("print lab", host, lab_port, "--lab-port"))
    except ServeError as error:
        for listener in listeners:
            listener.close()
        print(f"error: {error}", file=err)
        return 2
    as_listener, rs_listener, lab_listener = listeners
    stop = stop or threading.Event()
    restore_sigterm = _stop_on_sigterm(stop)
    key_folder = Path(tempfile.mkdtemp(prefix="oauth-playground-"))
    deployment: Deployment | None = None
    try:
        deployment = build_deployment(
            issuer=base_url(host, as_listener.port),
            api_url=base_url(host, rs_listener.port),
            print_lab_url=base_url(host, lab_listener.port),
            weaknesses=weaknesses,
            token_format=token_format,
            clock=clock,
            # Every server reaches the others over the real sockets (JWKS,
            # introspection, token exchange, the print lab's API).
            authorization_server_client=_socket_client,
            print_lab_to_authorization_server=_socket_client,
            resource_server_to_print_lab=_socket_client,
        )
        register_redirect_uris(deployment, redirect_uris)
        if dpop_nonces:
            # RFC 9449 8 and 9: server-provided nonces in every DPoP proof.
            deployment.as_settings.dpop.nonce_required = True
            if deployment.rs_settings.dpop is not None:
                deployment.rs_settings.dpop.nonce_required = True
        key_files = _write_key_files(deployment, key_folder)
        as_listener.serve(deployment.authorization_server)
        rs_listener.serve(deployment.resource_server)
        lab_listener.serve(deployment.print_lab)
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
        if deployment is not None:
            deployment.rs_settings.authorization_server.close()
            if deployment.rs_settings.print_lab is not None:
                deployment.rs_settings.print_lab.close()
            deployment.print_lab_settings.authorization_server.close()
        shutil.rmtree(key_folder, ignore_errors=True)
        restore_sigterm()
    print("Stopped the servers and removed the key file. Goodbye.", file=out)
    out.flush()
    return 0


def _socket_client(app: Any, base: str) -> httpx.Client:
    """One server's client for another's real socket (the app is not called)."""
    return httpx.Client(base_url=base, timeout=5)


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
    try:
        urls = {}
        for name, app in apps.items():
            listener = _Listener.listen(name, host, 0, name)
            listeners.append(listener)
            listener.serve(app)
            urls[name] = base_url(host, listener.port)
        yield urls
    finally:
        for listener in reversed(listeners):
            listener.close()
