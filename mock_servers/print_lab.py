"""The print lab's API: a second resource server, which the photos API calls.

The photo service does not print; a lab does, at its own site
(`api.printlab.test`). The lab trusts the photo service's authorization
server (it verifies tokens with that server's published keys) but accepts
only the tokens issued *for the lab*: `aud` must be the lab's own URL
(RFC 9068 4: the resource server "MUST validate that the aud claim contains a
resource indicator value corresponding to an identifier the resource server
expects for itself"). So a token Alice's app got for the photos API is no good
here, and the photos API must ask the authorization server for one (token
exchange, RFC 8693: `mock_servers.token_exchange`).

`rs.print_lab_any_audience` is the one weakness read here: the lab skips the
audience check, which is what makes forwarding a user's token "work".
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from flask import Flask, Response, jsonify, request

from .bearer import challenge
from .clock import Clock
from .events import Event, EventLog
from .token_generators import ACCESS_TOKEN_TYPES
from .token_validation import REQUIRED_CLAIMS, TokenRejected
from .weaknesses import Weaknesses

REALM = "print-lab"
SERVER_NAME = "print lab API"
SCOPE = "prints.order"
MAX_COPIES = 20
# How many print jobs one world's lab keeps (the oldest go first).
JOBS_KEPT = 1_000


@dataclass(frozen=True)
class PrintJob:
    """One print job: what to print, for whom, and who asked on their behalf."""

    id: str
    owner: str  # the token's sub: whose photo, shipped to whom
    acting: str | None  # act.sub (RFC 8693 4.1): the party acting for the owner
    client_id: str | None
    photo_id: str
    title: str
    copies: int
    ship_to: dict[str, str]
    ordered_at: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": "queued",
            "photo": {"id": self.photo_id, "title": self.title},
            "copies": self.copies,
            "ship_to": self.ship_to,
            "for": self.owner,
            "ordered_by": self.acting or self.client_id,
            "ordered_at": self.ordered_at,
        }


@dataclass
class PrintJobs:
    """The lab's job list: bounded, safe across request threads."""

    kept: int = JOBS_KEPT
    _jobs: deque[PrintJob] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _count: int = 0

    def add(self, **fields: Any) -> PrintJob:
        with self._lock:
            self._count += 1
            job = PrintJob(id=f"job-{self._count}", **fields)
            self._jobs.append(job)
            while len(self._jobs) > self.kept:
                self._jobs.popleft()
            return job

    def of(self, owner: str) -> list[PrintJob]:
        with self._lock:
            return [job for job in self._jobs if job.owner == owner]

    def all(self) -> list[PrintJob]:
        with self._lock:
            return list(self._jobs)


@dataclass
class PrintLabSettings:
    url: str
    issuer: str
    weaknesses: Weaknesses
    clock: Clock
    events: EventLog
    # How the lab reaches the authorization server (its JWKS): a real HTTP
    # client, so the key download is an exchange a learner sees.
    authorization_server: httpx.Client
    algorithms: tuple[str, ...] = ("RS256",)
    jwks_cache: dict[str, dict] = field(default_factory=dict)
    jobs: PrintJobs = field(default_factory=PrintJobs)


class PrintLabTokenValidator:
    """RFC 9068 4, the checks a resource server makes of a JWT access token,
    done with PyJWT against the authorization server's published keys."""

    def __init__(self, settings: PrintLabSettings) -> None:
        self.settings = settings

    def validate(self, token: str) -> dict[str, Any]:
        settings = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(
                f"Malformed token: {error}; the print lab takes JWT access tokens",
                "format",
            ) from None
        if header.get("typ") not in ACCESS_TOKEN_TYPES:
            raise TokenRejected(
                f"typ is {header.get('typ')!r}, not 'at+jwt': not an access token",
                "type",
            )
        check_audience = "rs.print_lab_any_audience" not in settings.weaknesses
        try:
            claims = jwt.decode(
                token,
                key=self._key(header),
                algorithms=list(settings.algorithms),
                audience=settings.url,
                issuer=settings.issuer,
                options={
                    "verify_aud": check_audience,  # the weakness, when off
                    "verify_exp": False,  # judged by the world's clock below
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": list(REQUIRED_CLAIMS),
                },
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(f"{type(error).__name__}: {error}", "token") from None
        if settings.clock.now() >= int(claims["exp"]):
            raise TokenRejected(
                f"ExpiredSignatureError: the token expired at exp {claims['exp']} "
                f"(now {settings.clock.now()})",
                "expiry",
            )
        return claims

    def _key(self, header: dict[str, Any]) -> jwt.PyJWK:
        kid = header.get("kid")
        for attempt in range(2):
            jwks = self._jwks(refresh=attempt == 1)
            for key in jwks.keys:
                if key.key_id == kid:
                    return key
        raise TokenRejected(f"No key with kid {kid!r} in the issuer's JWKS", "key")

    def _jwks(self, refresh: bool) -> jwt.PyJWKSet:
        cache = self.settings.jwks_cache
        if refresh or "jwks" not in cache:
            response = self.settings.authorization_server.get("/jwks.json")
            response.raise_for_status()
            cache["jwks"] = response.json()
        return jwt.PyJWKSet.from_dict(cache["jwks"])


def _answer(error: OAuth2Error, www_authenticate: str) -> Response:
    response = jsonify(dict(error.get_body()))
    response.status_code = error.status_code
    response.headers["WWW-Authenticate"] = www_authenticate
    return response


def _ascii(text: str) -> str:
    """RFC 6749 5.2: error_description is printable ASCII without quote or backslash."""
    cleaned = text.replace('"', "'").replace("\\", "/")
    return "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in cleaned)


def create_app(settings: PrintLabSettings) -> Flask:
    """A new print lab API; it shares nothing with any other."""
    app = Flask("print_lab")
    validator = PrintLabTokenValidator(settings)

    def record(name: str, claims: dict[str, Any] | None, detail: str) -> None:
        claims = claims or {}
        settings.events.record(
            Event(
                settings.clock.now(),
                name,
                SERVER_NAME,
                claims.get("client_id"),
                claims.get("sub"),
                detail,
            )
        )

    def authorized(
        view: Callable[[dict[str, Any]], Any],
    ) -> Callable[[], Any]:
        """RFC 6750: the bearer token in the Authorization header, checked."""

        def guarded() -> Any:
            authorization = request.headers.get("Authorization", "")
            scheme, _, token = authorization.partition(" ")
            if not authorization or scheme.lower() != "bearer":
                # RFC 6750 3.1: no credentials, no error code.
                response = Response(status=401)
                response.headers["WWW-Authenticate"] = challenge(REALM)
                return response
            if not token.strip():
                description = "The Authorization header must be 'Bearer <token>'."
                return _answer(
                    InvalidRequestError(description),
                    challenge(REALM, "invalid_request", description),
                )
            try:
                claims = validator.validate(token.strip())
            except TokenRejected as rejected:
                record("access_token.rejected", None, rejected.reason)
                description = _ascii(rejected.reason)
                return _answer(
                    InvalidTokenError(description=description, realm=REALM),
                    challenge(REALM, "invalid_token", description),
                )
            if SCOPE not in str(claims.get("scope", "")).split():
                record("access_token.insufficient_scope", claims, SCOPE)
                description = f"This resource needs the scope {SCOPE}."
                return _answer(
                    InsufficientScopeError(description=description),
                    challenge(REALM, "insufficient_scope", description, SCOPE),
                )
            audience = claims.get("aud")
            record(
                "access_token.accepted",
                claims,
                f"{request.method} {request.path} (aud {audience})",
            )
            return view(claims)

        guarded.__name__ = view.__name__
        return guarded

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "server": "OAuth Playground print lab API",
                "resources": {"/api/print-jobs": SCOPE},
                "trusts": settings.issuer,
            }
        )

    @app.post("/api/print-jobs", endpoint="create_job")
    @authorized
    def create_job(claims: dict[str, Any]) -> tuple[Response, int]:
        body = request.get_json(silent=True)
        order = _print_order(body)
        if isinstance(order, str):
            error = {"error": "invalid_request", "error_description": order}
            return jsonify(error), 400
        act = claims.get("act")
        job = settings.jobs.add(
            owner=str(claims["sub"]),
            acting=str(act["sub"]) if isinstance(act, dict) and "sub" in act else None,
            client_id=claims.get("client_id"),
            ordered_at=settings.clock.now(),
            **order,
        )
        record("print_job.created", claims, f"{job.id} for {job.owner}")
        return jsonify({"job": job.as_json()}), 201

    @app.get("/api/print-jobs", endpoint="list_jobs")
    @authorized
    def list_jobs(claims: dict[str, Any]) -> Response:
        owner = str(claims["sub"])
        return jsonify({"jobs": [job.as_json() for job in settings.jobs.of(owner)]})

    return app


def _print_order(body: object) -> dict[str, Any] | str:
    """The job's fields from the JSON body, or what is wrong with it."""
    if not isinstance(body, dict):
        return "Send the print order as a JSON object."
    photo = body.get("photo")
    ship_to = body.get("ship_to")
    copies = body.get("copies", 1)
    if not isinstance(photo, dict) or not isinstance(photo.get("id"), str):
        return "The order needs photo.id."
    if not isinstance(ship_to, dict) or not all(
        isinstance(ship_to.get(key), str) for key in ("name", "city")
    ):
        return "The order needs ship_to.name and ship_to.city."
    if isinstance(copies, bool) or not isinstance(copies, int):
        return "copies must be a whole number."
    if not 1 <= copies <= MAX_COPIES:
        return f"copies must be 1 to {MAX_COPIES}."
    return {
        "photo_id": photo["id"],
        "title": str(photo.get("title", "")),
        "copies": copies,
        "ship_to": {"name": ship_to["name"], "city": ship_to["city"]},
    }
