"""The lesson API students write against: `Lesson`, its steps, and `LessonRun`.

A lesson file makes a `Lesson` and decorates its steps in order; each step is
a function of one argument, the `LessonRun`, with its narrative (Markdown) as
the docstring. `runner` replays the steps from the start in a fresh, seeded
world, so going Back is running to step N-1 again.
"""

from __future__ import annotations

import difflib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from mock_servers.clock import Clock
from mock_servers.demo import USERS
from mock_servers.events import Event
from mock_servers.personal_access_tokens import PersonalAccessTokens
from mock_servers.print_orders import TokenExchangeClient
from mock_servers.store import Store
from mock_servers.weaknesses import lookup
from playground.actors.attacker import Attacker
from playground.actors.browser import Browser
from playground.actors.device_app import DeviceApp
from playground.actors.discovering_client import DiscoveringClient
from playground.actors.oauth_client import OAuthClient
from playground.actors.print_lab import PrintLab
from playground.actors.script import ApiScript
from playground.actors.web_client import WebClient
from playground.views.jwt_decoder import DecodedJwt, verify_jwt
from playground.views.pkce import PkceExplanation, explain
from playground.wire.exchange import Exchange, HttpRequest
from playground.world import World

# The kinds of lesson, in the order a course takes them, with their headings.
KINDS = MappingProxyType(
    {
        "introduction": "Start here",
        "grant": "Grants",
        "deprecated": "Deprecated grants",
        "advanced": "Advanced",
        "attack": "Attacks",
    }
)
LEVELS = ("beginner", "intermediate", "advanced")

StepFunction = Callable[["LessonRun"], Any]
ALICE_ID = USERS[0].id


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    function: StepFunction
    narrative: str
    first_line: int
    last_line: int


class Lesson:
    """A story told in steps. See lessons/README.md for a minimal example."""

    def __init__(
        self,
        title: str,
        *,
        level: str = "beginner",
        kind: str = "grant",
        summary: str = "",
        weakness: str | tuple[str, ...] | None = None,
        defence: str = "",
        token_format: str = "jwt",
        validation: str | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        names = (weakness,) if isinstance(weakness, str) else tuple(weakness or ())
        for name in names:
            lookup(name)  # a typo fails when the lesson loads
        self.title = title
        self.level = level
        self.kind = kind
        self.summary = summary
        # An attack lesson needs these switches on; the first is its name.
        self.weaknesses: tuple[str, ...] = names
        self.weakness = names[0] if names else None
        self.defence = defence
        self.token_format = token_format
        self.validation = validation
        self.steps: list[Step] = []
        self.path: Path | None = None

    def step(self, title: str) -> Callable[[StepFunction], StepFunction]:
        """Add the decorated function as the next step."""

        def register(function: StepFunction) -> StepFunction:
            lines, first = _source_lines(function)
            self.steps.append(
                Step(
                    number=len(self.steps) + 1,
                    title=title,
                    function=function,
                    narrative=textwrap.dedent(function.__doc__ or "").strip(),
                    first_line=first,
                    last_line=first + max(len(lines) - 1, 0),
                )
            )
            return function

        return register

    def __repr__(self) -> str:
        return f"Lesson({self.title!r}, {len(self.steps)} steps)"


def _source_lines(function: StepFunction) -> tuple[list[str], int]:
    try:
        return inspect.getsourcelines(function)
    except (OSError, TypeError):
        return [], function.__code__.co_firstlineno


class LessonRun:
    """What a step gets: the world's parties, `check`, and room for values.

    Steps keep values for later steps as attributes: `run.code = ...`.
    Everything a lesson needs is here; `run.world` is there for the rest.
    """

    def __init__(self, world: World, lesson: Lesson) -> None:
        self.world = world
        self.lesson = lesson

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(getattr(type(self), name, None), property):
            raise AttributeError(
                f"run.{name} is one of the playground's parties and cannot be "
                f"replaced; keep your value under another name (run.my_{name} = ...)"
            )
        super().__setattr__(name, value)

    # the parties
    @property
    def browser(self) -> Browser:
        return self.world.browser

    @property
    def web_client(self) -> WebClient:
        return self.world.web_client

    @property
    def spa(self) -> OAuthClient:
        return self.world.spa

    @property
    def native_app(self) -> OAuthClient:
        return self.world.native_app

    @property
    def service(self) -> OAuthClient:
        return self.world.service

    @property
    def first_party_app(self) -> OAuthClient:
        return self.world.first_party_app

    @property
    def legacy_app(self) -> OAuthClient:
        return self.world.legacy_app

    @property
    def tv(self) -> DeviceApp:
        """Alice's PhotoFrame TV at home: a device client (RFC 8628)."""
        return self.world.tv

    @property
    def photobook(self) -> DiscoveringClient:
        """PhotoBook, a desktop app that knows only the photos API's URL."""
        return self.world.photobook

    @property
    def attacker_tv(self) -> DeviceApp:
        """The PhotoFrame TV app running on Mallory's own machine."""
        return self.world.attacker_tv

    @property
    def fapi_client(self) -> OAuthClient:
        """PhotoPrint Business: the FAPI 2.0 client (private_key_jwt, PAR,
        PKCE, DPoP)."""
        return self.world.fapi_client

    @property
    def photos_web(self) -> OAuthClient:
        """Photos, the photo service's own (first-party) web app."""
        return self.world.photos_web

    @property
    def script(self) -> ApiScript:
        """Alice's own script: calls the API with a token she pasted into it."""
        return self.world.script

    @property
    def photos_api(self) -> TokenExchangeClient:
        """The photos API as a client of the authorization server (`photos-api`,
        its own credentials): `exchange(subject_token, resource=..., ...)`."""
        return self.world.photos_api

    @property
    def print_lab(self) -> PrintLab:
        """The print lab: its jobs, and an HTTP client of its own."""
        return self.world.print_lab

    @property
    def attacker(self) -> Attacker:
        return self.world.attacker

    def oauth_client(
        self, client_id: str, *, auth_method: str | None = None
    ) -> OAuthClient:
        """Another registered client, e.g. with another authentication method."""
        return self.world.oauth_client(client_id, auth_method=auth_method)

    def new_browser(self) -> Browser:
        """Another person's browser (a second user's, or an attacker's)."""
        return self.world.new_browser()

    def browser_app(self, client_id: str, browser: Browser) -> OAuthClient:
        """A browser app (e.g. `photo-gallery-spa`) running in another browser,
        such as Mallory's own: its requests leave from that browser."""
        return self.world.browser_app(client_id, browser)

    def code_flow(
        self,
        app: OAuthClient,
        browser: Browser,
        username: str,
        password: str,
        scope: str = "basic photos.read",
    ) -> httpx.Response:
        """Lesson 03 in one go, for an app with PKCE: `browser` goes to the
        authorization server, signs in as `username` and approves; the code
        comes back to the app, which redeems it with its verifier."""
        browser.open(app.authorization_url(scope, pkce_method="S256"))
        if browser.page.form("login-form") is not None:
            browser.sign_in(username, password)
            # Back to the authorization request, unless the server answered
            # the app at once (consent on record, or a first-party app).
            if (browser.redirect_location or "").startswith(self.issuer):
                browser.follow_redirect()
        if browser.page.form("consent-form") is not None:
            browser.approve()
        browser.follow_redirect()
        return app.exchange_code(browser.query_params.get("code", ""))

    # where things are
    @property
    def issuer(self) -> str:
        """The authorization server's issuer identifier (RFC 8414 2)."""
        return self.world.issuer

    @property
    def api_url(self) -> str:
        """The photos API (the resource server)."""
        return self.world.api_url

    @property
    def client_url(self) -> str:
        """PhotoPrint's site (the web client)."""
        return self.world.client_url

    @property
    def print_lab_url(self) -> str:
        """The print lab's API (a second resource server)."""
        return self.world.print_lab_url

    @property
    def attacker_url(self) -> str:
        """Mallory's site."""
        return self.world.attacker_url

    def party_at(self, url: str) -> str | None:
        """Who answers at this URL on the playground's network."""
        return self.world.network.party_at(url)

    # the world's clock and the servers' own records
    @property
    def clock(self) -> Clock:
        return self.world.clock

    @property
    def store(self) -> Store:
        """The authorization server's records (codes, tokens, consents), to look
        at: a real server's database, which no client could read."""
        return self.world.store

    @property
    def personal_access_tokens(self) -> PersonalAccessTokens:
        """The authorization server's records of personal access tokens (their
        hashes, never the tokens), for teaching."""
        return self.world.deployment.as_settings.personal_access_tokens

    def events_named(self, name: str) -> list[Event]:
        """The servers' events of this name so far, oldest first."""
        return self.world.events.named(name)

    def introspect(self, token: str, hint: str = "access_token") -> httpx.Response:
        """Ask the AS about a token as the photos API does (RFC 7662)."""
        return self.world.introspect(token, hint)

    def use_introspection(self, on: bool = True) -> None:
        """Make the photos API introspect every token instead of reading JWTs."""
        self.world.use_introspection(on)

    def require_dpop_nonces(
        self, *, authorization_server: bool = True, resource_server: bool = False
    ) -> None:
        """Make the servers ask for their own nonce in every DPoP proof (RFC
        9449 8 at the authorization server, 9 at the photos API)."""
        self.world.require_dpop_nonces(
            authorization_server=authorization_server, resource_server=resource_server
        )

    @property
    def weakness_on(self) -> bool:
        """Is this an attack run (the lesson's weaknesses on), not a defended one?"""
        wanted = self.lesson.weaknesses
        return bool(wanted) and all(name in self.world.weaknesses for name in wanted)

    # what crossed the wire
    @property
    def exchanges(self) -> list[Exchange]:
        """The messages of the step now running, in order."""
        transcript = self.world.transcript
        return transcript.exchanges_for(transcript.current_step or 0)

    @property
    def all_exchanges(self) -> list[Exchange]:
        """Every message of the run so far, in order."""
        return list(self.world.transcript.exchanges)

    @property
    def last_exchange(self) -> Exchange:
        return self.world.transcript.exchanges[-1]

    @property
    def last_request(self) -> HttpRequest:
        """The last request that crossed the wire (`.form` has its fields)."""
        return self.last_exchange.request

    # what a learner should now see
    def check(self, description: str, condition: object, detail: str = "") -> bool:
        """Record an expectation; a false one fails the lesson run but not the step."""
        return self.world.transcript.add_check(
            description, bool(condition), detail
        ).passed

    def decode(self, token: str) -> DecodedJwt:
        """Decode and verify a JWT against this world's AS keys and clock; an
        access token must also be for the API it names (the photos API or the
        print lab; any other audience is judged as the photos API would), as
        the JWT panel says."""
        _require_text("run.decode", "token", token, "a JWT, e.g. app.tokens[...]")
        return verify_jwt(token, self.world.token_trust(), at=self.world.clock.now())

    def show_jwt(self, token: str, label: str = "") -> DecodedJwt:
        """Decode a JWT and show it in this step's JWT panel (e.g. one that was
        sent in a request, or an expired one beside the 401 it earned)."""
        _require_text("run.show_jwt", "token", token, "a JWT, e.g. app.tokens[...]")
        self.world.transcript.show_token(label or "shown by the lesson", token)
        return self.decode(token)

    def show_pkce(self, code_verifier: str, method: str = "S256") -> PkceExplanation:
        """Explain a verifier's hashing; the PKCE panel shows it with this step."""
        _require_text(
            "run.show_pkce",
            "code_verifier",
            code_verifier,
            "a code verifier: did the authorization request ask for PKCE "
            '(authorization_url(..., pkce_method="S256"))?',
        )
        self.world.transcript.show_pkce(code_verifier, method)
        return explain(code_verifier, method)

    def present_to_api(
        self,
        token: str,
        path: str = "/api/user",
        *,
        refused_because: str,
        audit: bool = False,
    ) -> httpx.Response:
        """Mallory presents `token` to the photos API, and the checks say what
        each run must show: with the lesson's weakness on, 200 and Alice's
        data; defended, RFC 6750 3.1's 401 `invalid_token` whose
        `error_description` names the check that stopped it. `audit` also
        checks the API's own log: the request recorded as Alice's, or the
        rejection with its reason."""
        response = self.attacker.call_api(path, token)
        body = _json_object(response)
        if self.weakness_on:
            self.check("the API answers 200", response.status_code == 200)
            if path == "/api/photos":
                titles = [photo.get("title") for photo in body.get("photos", [])]
                self.check(
                    "with Alice's photos",
                    titles == ["Tea party", "Croquet lawn"],
                    str(titles),
                )
            else:
                self.check(
                    "with ALICE's profile: Mallory is Alice now",
                    body.get("id") == ALICE_ID and body.get("name") == "Alice Liddell",
                )
            if audit:
                accepted = self.events_named("access_token.accepted")
                self.check(
                    "the API logged the request as Alice's "
                    f"(access_token.accepted, {ALICE_ID})",
                    bool(accepted) and accepted[-1].user == ALICE_ID,
                )
            return response
        self.check("the API answers 401", response.status_code == 401)
        self.check("the error is invalid_token", body.get("error") == "invalid_token")
        self.check(
            f'error_description: "{refused_because}"',
            body.get("error_description") == refused_because,
            str(body.get("error_description")),
        )
        self.check(
            "the WWW-Authenticate header carries invalid_token",
            'error="invalid_token"' in response.headers.get("WWW-Authenticate", ""),
        )
        if audit:
            rejected = self.events_named("access_token.rejected")
            self.check(
                "the API logged access_token.rejected with the reason",
                bool(rejected) and rejected[-1].detail == refused_because,
            )
        return response

    def __getattr__(self, name: str) -> Any:
        known = [n for n in dir(type(self)) if not n.startswith("_")]
        known += [n for n in vars(self) if not n.startswith("_")]
        typo = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
        if typo:  # run.brwoser: a slip of the keyboard, not a missing value
            raise AttributeError(
                f"run.{name} is not part of the lesson API and was never set; "
                f"did you mean run.{typo[0]}?"
            )
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        maybe = f" (or did you mean run.{near[0]}?)" if near else ""
        raise AttributeError(
            f"run.{name} was never set: an earlier step must assign it "
            f"(run.{name} = ...) before this step reads it{maybe}"
        )


def _require_text(call: str, argument: str, value: object, expected: str) -> None:
    """A lesson API call given nothing (often a value an earlier line did not
    produce) says which argument, instead of failing deep inside the library."""
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"{call}() needs {argument}: {expected}; it was given {value!r}"
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
