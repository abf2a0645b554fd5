"""Hostile HTTP requests, how to send them, and what no answer may contain.

A `RawRequest` is what a hostile client can put on the wire: any method, any
target, header lines (repeated or not) and body bytes. The strategies build
them around the servers' real parameters, clients, tokens and forms, so the
fuzzer reaches deep code (a signed JWT with a claim of the wrong type, a
consent form of a real pending request) rather than stopping at "404".

The same request is sent two ways: as a WSGI environ to an app in process
(`call_app`, the environ a server makes, repeated headers combined as RFC
9110 5.3 says) and as bytes over a loopback socket to `serve` (`send_raw`).
`problems` names what is wrong with an answer: a 5xx, a Python traceback in
the body, or a header a client's CR/LF made (response splitting).
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

INJECTED = "X-Injected"
# CR/LF followed by a header of our own: if it ever comes back as a header,
# a value was copied into the response head unescaped.
SPLITTERS = (
    f"\r\n{INJECTED}: yes",
    f"\n{INJECTED}: yes",
    f"\r{INJECTED}: yes",
    f"%0d%0a{INJECTED}:%20yes",
    f"%0D%0A{INJECTED}:%20yes",
    f"\u560d\u560a{INJECTED}: yes",  # "CRLF" for a server that drops high bytes
)


@dataclass(frozen=True)
class RawRequest:
    method: str
    target: str  # path and query as sent: percent-encoded or not
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # The request line's version; Host is added unless `headers` has one.
    version: str = "HTTP/1.1"
    host: str | None = "DEFAULT"

    def describe(self) -> str:
        return (
            f"{self.method} {self.target[:200]!r} {self.version} host={self.host!r} "
            f"{self.headers!r}"[:2000]
            + f" body[{len(self.body)}]={self.body[:200]!r}"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # How Hypothesis prints a failing example: briefly (a 70 kB body
        # printed in full is a HypothesisWarning, an error under -W error).
        printer.text(self.describe())


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def problems(answer: Answer, request: RawRequest | None = None) -> list[str]:
    """What no answer to any request may show.

    One 5xx is the RFC's own answer: 501 to a transfer coding the server
    does not implement (RFC 9112 6.1: it "SHOULD respond with 501").
    """
    found = []
    if answer.status >= 500 and not (
        answer.status == 501 and request is not None and _unknown_coding(request)
    ):
        found.append(f"status {answer.status}")
    if b"Traceback (most recent call last)" in answer.body:
        found.append("a Python traceback in the body")
    for name, value in answer.headers:
        if name.lower() == INJECTED.lower():
            found.append(f"an injected header {name}: {value}")
        if "\r" in name + value or "\n" in name + value:
            found.append(f"CR/LF in the header {name!r}: {value!r}")
    return found


def _unknown_coding(request: RawRequest) -> bool:
    codings = [
        coding.split(";")[0].strip().lower()
        for name, value in request.headers
        if name.lower() == "transfer-encoding"
        for coding in value.split(",")
    ]
    return any(coding not in ("chunked", "") for coding in codings)


# --- in process: a WSGI environ as a server would make it --------------------


def environ_for(request: RawRequest, server_name: str) -> dict[str, Any]:
    """PEP 3333's environ for `request`: the path percent-decoded into a
    latin-1 string, repeated header lines joined with ", " (RFC 9110 5.3)."""
    chunked = any(
        name.lower() == "transfer-encoding" and value.lower() == "chunked"
        for name, value in request.headers
    )
    path, _, query = request.target.partition("?")
    raw_path = _percent_decode(path.encode("utf-8", "surrogateescape"))
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": raw_path.decode("latin-1"),
        "QUERY_STRING": query.encode("utf-8", "surrogateescape").decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": request.version,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(_dechunk(request.body) if chunked else request.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _header_lines(request, server_name):
        key = name.upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
        text = value.encode("utf-8", "surrogateescape").decode("latin-1")
        environ[key] = f"{environ[key]}, {text}" if key in environ else text
    if chunked:
        # As a server that reads chunked bodies says so (WSGI's extension).
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    return environ


def call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Answer:
    started: list[Any] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return Answer(int(status.split()[0]), tuple(headers), body)


def _percent_decode(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i : i + 1] == b"%" and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def _header_lines(request: RawRequest, host: str) -> list[tuple[str, str]]:
    lines = list(request.headers)
    names = {name.lower() for name, _ in lines}
    if request.host is not None and "host" not in names:
        lines.insert(0, ("Host", host if request.host == "DEFAULT" else request.host))
    if request.body and not names & {"content-length", "transfer-encoding"}:
        lines.append(("Content-Length", str(len(request.body))))
    return lines


# --- on loopback: bytes on a socket ------------------------------------------

SOCKET_TIMEOUT = 10.0


def send_raw(port: int, request: RawRequest) -> Answer:
    """Send `request` as bytes, half-close, and read the answer to the end.

    Half-closing tells the server there is nothing more, so a request that
    promises more body than it has ends at once instead of at a timeout.
    """
    lines = [f"{request.method} {request.target} {request.version}"]
    lines += [
        f"{name}: {value}"
        for name, value in _header_lines(request, f"127.0.0.1:{port}")
    ]
    if not any(name.lower() == "connection" for name, _ in request.headers):
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
        # Send from another thread while this one reads: a server that
        # refuses a large body answers and closes while it is still coming,
        # and the reset that follows would discard an answer left unread.
        sender = threading.Thread(target=_send_all, args=(s, head + request.body))
        sender.start()
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        sender.join()
    if not data and len(request.body) > REFUSED_BODY_BYTES:
        # Closed on a body past the server's limit before any answer: a
        # refusal, not a failure.
        return Answer(413, (), b"")
    return parse_answer(data)


# A body this large may be refused by closing the connection.
REFUSED_BODY_BYTES = 64 * 1024


def _send_all(s: socket.socket, data: bytes) -> None:
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server answered and closed before reading everything


def parse_answer(data: bytes) -> Answer:
    """The first HTTP/1.1 response in `data` (status, headers, body)."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise AssertionError(f"not an HTTP response: {data[:300]!r}")
    headers = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise AssertionError(f"malformed response header line {line!r}")
        headers.append((name, value.strip()))
    answer = Answer(int(parts[1]), tuple(headers), body)
    if (answer.header("Transfer-Encoding") or "").lower() == "chunked":
        answer = Answer(answer.status, answer.headers, _dechunk(body))
    return answer


def chunked(body: bytes, size: int = 4096) -> bytes:
    """`body` in the chunked transfer coding (RFC 9112 7.1)."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0] or b"0", 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


# --- strategies ---------------------------------------------------------------


@dataclass
class Material:
    """Real values of one deployment, so hostile requests reach past the
    first check: clients and secrets, tokens, a signing key, a sign-in."""

    issuer: str
    api: str
    client_ids: Sequence[str]
    secrets: Sequence[tuple[str, str]]
    redirect_uris: Sequence[str]
    access_tokens: Sequence[str] = ()
    refresh_tokens: Sequence[str] = ()
    codes: Sequence[str] = ()
    cookies: Sequence[str] = ()
    interactions: Sequence[str] = ()
    csrf_tokens: Sequence[str] = ()
    # Sign (header, claims) as the issuer (an access token) or as a client
    # (a private_key_jwt assertion), where the keys are at hand (in process).
    sign: Callable[[dict, dict], str] | None = None
    sign_assertion: Callable[[dict, dict], str] | None = None
    extra: dict[str, Sequence[str]] = field(default_factory=dict)
    # Strategies built from this material, once: Hypothesis validates each
    # new strategy object, and doing that per example was most of the time.
    strategies: dict[str, Any] = field(default_factory=dict, repr=False)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.strategies:
            self.strategies[key] = build()
        return self.strategies[key]


EVIL_TEXT = (
    "",
    " ",
    '"',
    "'",
    "\\",
    "\x00",
    "\x7f",
    "\t",
    "é",
    "\u202e",
    "\U0001f600",
    "%",
    "%ff",
    "%00",
    "%C3%28",
    "[::1",
    "http://[::1",
    "http://127.0.0.1:99999/callback",
    "http://127.0.0.1:x/callback",
    "//evil.example/",
    "javascript:alert(1)",
    "a" * 5000,
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "null",
    "[]",
    "{}",
    "0",
    "-1",
    "1e999",
    "NaN",
    "true",
    *SPLITTERS,
)

PARAMETERS = (
    "grant_type",
    "response_type",
    "client_id",
    "client_secret",
    "redirect_uri",
    "scope",
    "state",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "refresh_token",
    "token",
    "token_type_hint",
    "username",
    "password",
    "client_assertion",
    "client_assertion_type",
    "nonce",
    "prompt",
    "max_age",
    "response_mode",
    "request",
    "request_uri",
    "interaction",
    "csrf_token",
    "decision",
    "access_token",
    "login_hint",
    "id_token_hint",
    "resource",
)

KNOWN_VALUES = {
    "grant_type": (
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
    ),
    "response_type": ("code", "token", "id_token", "code id_token", "none"),
    "scope": ("basic", "photos.read", "openid profile email", "offline_access"),
    "code_challenge_method": ("S256", "plain", "s256"),
    "code_challenge": ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",),
    "code_verifier": ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",),
    "token_type_hint": ("access_token", "refresh_token", "id_token"),
    "username": ("alice", "bob"),
    "password": ("wonderland", "builder"),
    "client_assertion_type": (
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    ),
    "prompt": ("none", "login", "consent", "none login", "create"),
    "max_age": ("0", "60", "-1", "99999999999999999999"),
    "decision": ("approve", "deny"),
    "response_mode": ("query", "fragment", "form_post"),
}

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE")


def _json_values(max_leaves: int = 4) -> st.SearchStrategy[Any]:
    """Any JSON value a hostile JWT may hold, with the awkward ones likely."""
    scalars = st.one_of(
        st.sampled_from([None, True, False, 0, -1, 2**63, 10**30, 1.5, "", "at+jwt"]),
        st.sampled_from([float("nan"), float("inf"), float("-inf")]),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(EVIL_TEXT[:30]),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=5), inner, max_size=3),
        ),
        max_leaves=max_leaves,
    )


JSON_VALUES = _json_values()


def json_values() -> st.SearchStrategy[Any]:
    return JSON_VALUES


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_bytes(value: Any) -> bytes:
    # Python writes NaN and Infinity, which a strict JSON reader refuses and
    # Python's own reader accepts: both kinds of server get tested.
    return json.dumps(value, allow_nan=True).encode()


def jwts(material: Material, shape: str = "access") -> st.SearchStrategy[str]:
    return material.cached(f"jwts:{shape}", lambda: _jwts(material, shape))


# The values a claim or header of the wrong type most likely carries.
CONFUSED = (
    None,
    True,
    0,
    -1,
    1.5,
    2**64,
    float("nan"),
    float("inf"),
    "",
    "x" * 300,
    "\u00e9",
    "\x00",
    [],
    ["at+jwt"],
    ["u-1001", "u-1002"],
    {},
    {"a": 1},
)


def confused() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(CONFUSED), JSON_VALUES)


@st.composite
def _jwts(draw: st.DrawFn, material: Material, shape: str) -> str:
    """A JWT whose header and claims are each as issued, of another type,
    or missing; signed with the issuer's own key when the material has it
    (to get past the signature), unsigned, or with garbage for a signature."""
    now = 1_798_761_600
    claims: dict[str, Any] = {
        "iss": material.issuer,
        "aud": material.api,
        "sub": "u-1001",
        "client_id": "photoprint",
        "scope": "basic photos.read",
        "iat": now,
        "exp": now + 10**9,
        "jti": "j-1",
    }
    sign = material.sign
    if shape == "assertion":  # RFC 7523 3, as print-shop-service signs it
        claims = {
            "iss": "print-shop-service",
            "sub": "print-shop-service",
            "aud": material.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": draw(st.text(min_size=1, max_size=8)),
        }
        sign = material.sign_assertion
    for name in [*claims, "nbf"]:
        fate = draw(st.sampled_from(["keep", "keep", "keep", "confuse", "drop"]))
        if fate == "confuse":
            claims[name] = draw(confused())
        elif fate == "drop":
            claims.pop(name, None)
    header: dict[str, Any] = {"typ": "at+jwt"}
    for name in ("typ", "kid", "crit"):
        if draw(st.integers(0, 3)) == 0:
            header[name] = draw(confused())
    alg = draw(st.sampled_from(["RS256", "RS256", "none", "HS256", "ES256", "None"]))
    kind = draw(st.sampled_from(["signed", "signed", "unsigned", "garbage", "raw"]))
    if draw(st.integers(0, 5)) == 0:
        alg = draw(confused())
    header["alg"] = alg
    if kind == "signed" and sign is not None:
        try:
            return sign(header, claims)
        except Exception:  # the library refused: send it unsigned instead
            kind = "unsigned"
    if kind == "raw":
        return draw(st.sampled_from(["a.b.c", "a.b", "....", "a..", "e30.e30.", "%%"]))
    encoded_header = _b64url(_json_bytes(header))
    encoded_claims = _b64url(_json_bytes(claims))
    signature = (
        ""
        if kind in ("unsigned", "signed")
        else draw(st.sampled_from(["sig", "!!!", "A" * 342, "=", "a=b"]))
    )
    return f"{encoded_header}.{encoded_claims}.{signature}"


def values_for(name: str, material: Material) -> st.SearchStrategy[str]:
    return material.cached(f"values:{name}", lambda: _values_for(name, material))


def _values_for(name: str, material: Material) -> st.SearchStrategy[str]:
    known: list[str] = list(KNOWN_VALUES.get(name, ()))
    known += material.extra.get(name, ())
    if name == "client_id":
        known += material.client_ids
    if name == "client_secret":
        known += [secret for _, secret in material.secrets]
    if name == "redirect_uri":
        known += material.redirect_uris
        known += [
            uri + splitter for uri in material.redirect_uris for splitter in SPLITTERS
        ]
        # CR/LF inside: Python's urlsplit drops them, so a comparison that
        # parses would match the registered URI, and the Location be split.
        known += [f"{uri[:-4]}\r\n{uri[-4:]}" for uri in material.redirect_uris]
        known += [
            uri.replace("/callback", "/callback/../x") for uri in material.redirect_uris
        ]
    if name in ("token", "refresh_token", "access_token", "id_token_hint"):
        known += [*material.access_tokens, *material.refresh_tokens]
    if name == "code":
        known += material.codes
    if name == "interaction":
        known += material.interactions
    if name == "csrf_token":
        known += material.csrf_tokens
    evil = st.sampled_from(EVIL_TEXT)
    strategies = [evil, evil, st.text(max_size=40)]
    if known:
        strategies.insert(0, st.sampled_from(known))
    if name in (
        "client_assertion",
        "request",
        "token",
        "access_token",
        "id_token_hint",
    ):
        strategies.append(jwts(material))
    return st.one_of(*strategies)


@st.composite
def parameters(draw: st.DrawFn, material: Material) -> list[tuple[str, str]]:
    """Parameters as a form or query carries them: known names with real or
    hostile values, some repeated, now and then an unknown name."""
    names = draw(st.lists(st.sampled_from(PARAMETERS), max_size=8))
    pairs = [(name, draw(values_for(name, material))) for name in names]
    if draw(st.integers(0, 9)) == 0:
        pairs.append((draw(st.sampled_from(EVIL_TEXT)), draw(st.text(max_size=10))))
    return pairs


def encode_pairs(pairs: list[tuple[str, str]], how: str) -> str:
    if how == "raw":  # as typed, not percent-encoded at all
        return "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def authorizations(material: Material) -> st.SearchStrategy[str]:
    return material.cached("authorizations", lambda: _authorizations(material))


@st.composite
def _authorizations(draw: st.DrawFn, material: Material) -> str:
    kind = draw(st.sampled_from(["basic", "bearer", "bad_basic", "other"]))
    if kind == "basic":
        client_id, secret = draw(st.sampled_from(list(material.secrets)))
        if draw(st.booleans()):
            secret = draw(st.sampled_from(EVIL_TEXT))
        return basic(client_id, secret)
    if kind == "bad_basic":
        payload = draw(
            st.one_of(
                st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
                st.sampled_from(
                    ["//46/w==", "=", "a", "Zm9v", "Og==", "Zm9vOg==", "é"]
                ),
            )
        )
        return f"{draw(st.sampled_from(['Basic', 'basic', 'BASIC']))} {payload}"
    if kind == "bearer":
        token = draw(
            st.one_of(
                st.sampled_from(list(material.access_tokens) or ["x"]),
                jwts(material),
                st.sampled_from(EVIL_TEXT[:30]),
            )
        )
        return f"{draw(st.sampled_from(['Bearer', 'bearer', 'Bearer ']))} {token}"
    return draw(
        st.sampled_from(["Digest x", "Negotiate", "Bearer", "Basic", "", "DPoP x", "é"])
    )


HEADER_NAMES = (
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Cookie",
    "Accept",
    "Accept-Encoding",
    "Content-Encoding",
    "Transfer-Encoding",
    "Expect",
    "Range",
    "If-None-Match",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "Forwarded",
    "Referer",
    "User-Agent",
    "DPoP",
    "X-HTTP-Method-Override",
)


def header_values(material: Material) -> st.SearchStrategy[str]:
    return material.cached("headers", lambda: _header_values(material))


def _header_values(material: Material) -> st.SearchStrategy[str]:
    plain = [t for t in EVIL_TEXT if "\r" not in t and "\n" not in t]
    return st.one_of(
        st.sampled_from(plain),
        st.sampled_from(
            [
                "null",
                "https://photoprint.test",
                "http://127.0.0.1:5173",
                "POST",
                "authorization, content-type, x-evil",
                *material.cookies,
            ]
        ),
        st.text(
            alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30
        ),
    )


@dataclass(frozen=True)
class Template:
    """A request an endpoint accepts, for the fuzzer to bend a little."""

    method: str
    params: tuple[tuple[str, str], ...]
    authorization: str | None = None
    cookie: str | None = None


def templates(m: Material) -> dict[str, list[Template]]:
    """Well-formed requests per path, made of the material's real values."""
    service = basic("print-shop-service", "print-shop-secret")
    api = basic("photos-api", "photos-api-secret")
    mobile = basic("photoprint-mobile", "photoprint-mobile-secret")
    web = basic("photoprint", "photoprint-secret")
    authorize = (
        ("response_type", "code"),
        ("client_id", "photoprint"),
        ("redirect_uri", "https://photoprint.test/callback"),
        ("scope", "basic photos.read"),
        ("state", "s"),
        ("code_challenge", KNOWN_VALUES["code_challenge"][0]),
        ("code_challenge_method", "S256"),
        ("nonce", "n-1"),
        ("prompt", "login"),
        ("max_age", "3600"),
    )
    native = (
        ("response_type", "code"),
        ("client_id", "photo-uploader-native"),
        # RFC 8252 7.3: any port on a loopback redirect URI.
        ("redirect_uri", "http://127.0.0.1:4000/callback"),
        ("scope", "basic"),
        ("code_challenge", KNOWN_VALUES["code_challenge"][0]),
        ("code_challenge_method", "S256"),
    )
    bearers = [f"Bearer {token}" for token in m.access_tokens]
    found: dict[str, list[Template]] = {
        "/token": [
            Template(
                "POST",
                (("grant_type", "client_credentials"), ("scope", "photos.read")),
                service,
            ),
            Template(
                "POST",
                (
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", "wonderland"),
                    ("scope", "basic offline_access"),
                ),
                mobile,
            ),
            *[
                Template(
                    "POST",
                    (("grant_type", "refresh_token"), ("refresh_token", token)),
                    mobile,
                )
                # The first refresh token is photoprint-mobile's own.
                for token in m.refresh_tokens[:1]
            ],
            *[
                Template(
                    "POST",
                    (
                        ("grant_type", "authorization_code"),
                        ("code", code),
                        ("redirect_uri", "https://photoprint.test/callback"),
                        ("code_verifier", KNOWN_VALUES["code_verifier"][0]),
                    ),
                    web,
                )
                for code in m.codes
            ],
        ],
        "/introspect": [
            Template("POST", (("token", token),), api)
            for token in [*m.access_tokens, *m.refresh_tokens]
        ],
        "/revoke": [
            Template("POST", (("token", token),), mobile) for token in m.refresh_tokens
        ],
        "/authorize": [
            Template("GET", authorize),
            Template("POST", authorize),
            Template("GET", native),
            Template(
                "GET",
                (
                    ("response_type", "token"),
                    ("client_id", "legacy-gallery"),
                    ("redirect_uri", "https://photoprint.test/legacy/callback"),
                    ("scope", "basic"),
                ),
            ),
        ],
        "/userinfo": [Template("GET", (), bearer) for bearer in bearers],
        "/api/user": [Template("GET", (), bearer) for bearer in bearers],
        "/api/photos": [Template("GET", (), bearer) for bearer in bearers],
    }
    pages = list(zip(m.cookies, m.interactions, m.csrf_tokens, strict=True))
    found["/authorize/resume"] = [
        Template("GET", (("interaction", i),), cookie=c) for c, i, _ in pages
    ]
    found["/login"] = [
        Template(
            "POST",
            (
                ("username", "alice"),
                ("password", "wonderland"),
                ("interaction", i),
                ("csrf_token", csrf),
            ),
            cookie=c,
        )
        for c, i, csrf in pages
    ]
    found["/consent"] = [
        Template(
            "POST",
            (("interaction", i), ("csrf_token", csrf), ("decision", "approve")),
            cookie=c,
        )
        for c, i, csrf in pages
    ]
    # The account page's and the device page's forms, with the same
    # session's token (one per browser session, whatever the form).
    for path, fields in (
        ("/account/login", (("username", "alice"), ("password", "wonderland"))),
        ("/device/login", (("username", "alice"), ("password", "wonderland"))),
        ("/device", (("user_code", "BCDF-GHJK"),)),
        ("/account/tokens", (("name", "n"), ("scope", "basic"))),
    ):
        found[path] = [
            Template("POST", (*fields, ("csrf_token", csrf)), cookie=c)
            for c, _, csrf in pages
        ]
    # Revocation last: sent as they are, its requests end the tokens the
    # others use.
    found["/revoke"] = found.pop("/revoke")
    return {path: options for path, options in found.items() if options}


def as_request(
    path: str,
    template: Template,
    pairs: Sequence[tuple[str, str]] | None = None,
    authorization: str | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> RawRequest:
    """The request a template describes (by default, exactly as it is)."""
    if pairs is None:
        pairs, authorization = template.params, template.authorization
    headers = []
    if authorization is not None:
        headers.append(("Authorization", authorization))
    if template.cookie:
        headers.append(("Cookie", template.cookie))
    headers += extra_headers
    encoded = encode_pairs(list(pairs), "ok")
    if template.method == "GET":
        target = f"{path}?{encoded}" if encoded else path
        return RawRequest("GET", target, tuple(headers))
    headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return RawRequest("POST", path, tuple(headers), encoded.encode())


@st.composite
def bent(
    draw: st.DrawFn, material: Material, template: Template
) -> tuple[list[tuple[str, str]], str | None]:
    """`template`'s parameters and Authorization with a few hostile changes,
    none at all now and then."""
    pairs = list(template.params)
    authorization = template.authorization
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        change = draw(st.sampled_from(["value", "value", "add", "drop", "auth"]))
        if change == "value" and pairs:
            i = draw(st.integers(0, len(pairs) - 1))
            pairs[i] = (pairs[i][0], draw(values_for(pairs[i][0], material)))
        elif change == "add":
            name = draw(st.sampled_from([p for p, _ in pairs] or list(PARAMETERS)))
            pairs.append((name, draw(values_for(name, material))))
        elif change == "drop" and pairs:
            pairs.pop(draw(st.integers(0, len(pairs) - 1)))
        elif change == "auth":
            authorization = draw(st.one_of(st.none(), authorizations(material)))
    return pairs, authorization


@st.composite
def requests(
    draw: st.DrawFn,
    material: Material,
    paths: Sequence[str],
    methods: Sequence[str] = METHODS,
) -> RawRequest:
    """One hostile request to one of `paths`: half are an endpoint's real
    request bent a little, half are built from scratch."""
    known = material.cached("templates", lambda: templates(material))
    # Paths with real requests to bend are where the code is deep: thrice.
    path = draw(
        st.sampled_from([p for p in paths for _ in range(3 if p in known else 1)])
    )
    options = known.get(path)
    if options and draw(st.integers(0, 2)) > 0:
        template = draw(st.sampled_from(options))
        pairs, authorization = draw(bent(material, template))
        extra = []
        if draw(st.integers(0, 9)) == 0:
            extra.append(
                (draw(st.sampled_from(HEADER_NAMES)), draw(header_values(material)))
            )
        return as_request(path, template, pairs, authorization, extra)
    method = draw(st.sampled_from(["GET", "POST", *methods]))
    query_pairs = draw(parameters(material)) if draw(st.booleans()) else []
    target = path
    if query_pairs:
        target += "?" + encode_pairs(
            query_pairs, draw(st.sampled_from(["ok", "ok", "raw"]))
        )
    if draw(st.integers(0, 19)) == 0:
        target = path + draw(
            st.sampled_from(["%00", "%", "/..", "//", "?&&==&", "?a=%ZZ"])
        )
    headers: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 2))):
        headers.append(("Authorization", draw(authorizations(material))))
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=3)):
        headers.append((name, draw(header_values(material))))
    if material.cookies and draw(st.booleans()):
        headers.append(("Cookie", draw(st.sampled_from(list(material.cookies)))))
    body = b""
    if method in ("POST", "PUT", "PATCH") or draw(st.integers(0, 9)) == 0:
        body, content_type = draw(bodies(material))
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        if draw(st.integers(0, 7)) == 0:
            headers.append(("Transfer-Encoding", "chunked"))
            body = chunked(body + draw(st.sampled_from([b"", b"x" * 70_000])))
    host = draw(
        st.sampled_from(
            ["DEFAULT"] * 6
            + [None, "[::1", "", "evil.example", "127.0.0.1:99999", "a b"]
        )
    )
    version = draw(st.sampled_from(["HTTP/1.1"] * 8 + ["HTTP/1.0"]))
    return RawRequest(method, target, tuple(headers), body, version, host)


@st.composite
def bodies(draw: st.DrawFn, material: Material) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["form", "form", "form", "bytes", "json", "multipart"]))
    if kind == "form":
        pairs = draw(parameters(material))
        text = encode_pairs(pairs, draw(st.sampled_from(["ok", "ok", "raw"])))
        content_type = draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=latin-1",
                    "application/x-www-form-urlencoded; charset=nonsense",
                    "APPLICATION/X-WWW-FORM-URLENCODED",
                    None,
                ]
            )
        )
        return text.encode("utf-8", "surrogatepass"), content_type
    if kind == "bytes":
        raw = draw(
            st.one_of(
                st.binary(max_size=200),
                st.sampled_from([b"\xff\xfe=\xff", b"a=\xc3\x28", b"=&=&", b"%"]),
            )
        )
        content_type = draw(
            st.sampled_from(["application/x-www-form-urlencoded", "text/plain", None])
        )
        return raw, content_type
    if kind == "json":
        return _json_bytes(draw(json_values())), "application/json"
    boundary = draw(st.sampled_from(["b", "", "a" * 80, "x y"]))
    fields = draw(parameters(material))
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode(
            "utf-8", "surrogatepass"
        )
        + v.encode("utf-8", "surrogatepass")
        + b"\r\n"
        for k, v in fields
    )
    body = parts + (f"--{boundary}--\r\n".encode() if draw(st.booleans()) else b"")
    return body, f"multipart/form-data; boundary={boundary}"


@st.composite
def bearer_requests(
    draw: st.DrawFn, material: Material, paths: Sequence[str]
) -> RawRequest:
    """A protected resource request whose access token is hostile: a JWT with
    claims or header of the wrong type, a token of another kind, a scheme
    written oddly, a second Authorization line."""
    token = draw(
        st.one_of(
            jwts(material),
            jwts(material),
            st.sampled_from([*material.access_tokens, *material.refresh_tokens]),
            st.sampled_from([t for t in EVIL_TEXT if "\r" not in t and "\n" not in t]),
        )
    )
    scheme = draw(st.sampled_from(["Bearer", "Bearer", "bearer", "BEARER", "Bearer "]))
    headers = [("Authorization", f"{scheme} {token}")]
    if draw(st.integers(0, 4)) == 0:
        headers.append(("Authorization", draw(authorizations(material))))
    method = draw(st.sampled_from(["GET", "GET", "POST"]))
    return RawRequest(method, draw(st.sampled_from(list(paths))), tuple(headers))


@st.composite
def client_authentications(draw: st.DrawFn, material: Material) -> RawRequest:
    """A token, introspection or revocation request whose client credentials
    are hostile: Basic headers that are not base64 or not UTF-8, one and two
    Authorization lines, secrets in the form, client assertions of every
    shape (RFC 6749 2.3, RFC 7523 2.2)."""
    path = draw(st.sampled_from(["/token", "/introspect", "/revoke"]))
    if path == "/token":
        pairs = [("grant_type", "client_credentials"), ("scope", "photos.read")]
    else:
        pairs = [("token", draw(values_for("token", material)))]
    headers = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
        headers.append(("Authorization", draw(authorizations(material))))
    if draw(st.booleans()):
        pairs.append(("client_id", draw(values_for("client_id", material))))
    if draw(st.booleans()):
        pairs.append(("client_secret", draw(values_for("client_secret", material))))
    if draw(st.booleans()):
        pairs.append(
            ("client_assertion_type", KNOWN_VALUES["client_assertion_type"][0])
        )
        pairs.append(("client_assertion", draw(jwts(material, "assertion"))))
    headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    body = encode_pairs(pairs, "ok").encode()
    return RawRequest("POST", path, tuple(headers), body)


@st.composite
def bent_requests(
    draw: st.DrawFn, material: Material, paths: Sequence[str], rate: float = 0.4
) -> RawRequest:
    """An endpoint's real request with each parameter made hostile at
    `rate`, a few more parameters (repeated ones too), and now and then
    another Authorization: how authorization requests, sign-in and consent
    forms, and token requests meet hostile values."""
    options = material.cached("templates", lambda: templates(material))
    path = draw(st.sampled_from([p for p in paths if p in options]))
    template = draw(st.sampled_from(options[path]))
    pairs = [
        (name, draw(values_for(name, material)))
        if draw(st.floats(0, 1)) < rate
        else (name, value)
        for name, value in template.params
    ]
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        name = draw(st.sampled_from([*[n for n, _ in pairs], *PARAMETERS]))
        pairs.append((name, draw(values_for(name, material))))
    authorization = template.authorization
    if draw(st.integers(0, 4)) == 0:
        authorization = draw(st.one_of(st.none(), authorizations(material)))
    request = as_request(path, template, pairs, authorization)
    if template.method == "GET" and draw(st.integers(0, 3)) == 0:
        # OIDC Core 3.1.2.1: the same request as a POST form.
        return RawRequest(
            "POST",
            path,
            (*request.headers, ("Content-Type", "application/x-www-form-urlencoded")),
            request.target.partition("?")[2].encode(),
        )
    return request
