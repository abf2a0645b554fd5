"""The exercise API: a lesson file whose student writes the defence.

An exercise file makes an `Exercise`, marks the function(s) the student
completes with `@exercise.student`, plugs them into the playground's parties
with `@exercise.setup`, and adds scenarios with `@exercise.scenario(title,
attack=...)`: the honest flows that must keep working and the attacks that
must be refused. A scenario is a function of one argument, a `ScenarioRun`
(a `LessonRun` with a few more tools), exactly like a lesson step; its
docstring is the narrative. Each scenario runs in a fresh world of its own,
seeded and with its clock moved by the seed, so one failure never hides
another and an answer written for one run's values does not pass another's.

The student's function is called by the playground's real servers and
clients (PhotoPrint's callback, the photos API, the authorization server),
through `StudentFunction`, which records each call and tells a refusal
(`Refused`, or a JOSE library's own error) from a crash in the student's code.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mock_servers.keys import SigningKey, generate_ec_signing_key
from mock_servers.weaknesses import lookup
from playground.actors.dpop_proofs import make_proof
from playground.lesson import plugs
from playground.lesson.api import LEVELS, LessonRun
from playground.lesson.student_code import (
    Call,
    StudentFunction,
    source_lines,
)
from playground.wire.exchange import Exchange, Party
from playground.wire.network import Host
from playground.world import World, loopback_listener

ScenarioFunction = Callable[["ScenarioRun"], Any]


@dataclass(frozen=True)
class Scenario:
    number: int
    title: str
    function: ScenarioFunction
    narrative: str
    attack: bool
    hints: tuple[str, ...]
    first_line: int
    last_line: int


class Exercise:
    """A lesson the student completes. See lessons/README.md ("Exercises")."""

    kind = "exercise"
    defence = ""
    token_format = "jwt"
    validation = None

    def __init__(
        self,
        title: str,
        *,
        level: str = "beginner",
        summary: str = "",
        spec: str = "",
        weakness: str | tuple[str, ...] | None = None,
    ) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        names = (weakness,) if isinstance(weakness, str) else tuple(weakness or ())
        for name in names:
            lookup(name)  # a typo fails when the exercise loads
        self.title = title
        self.level = level
        self.summary = summary
        self.spec = spec
        # Switches every scenario's world starts with: the other defences a
        # scenario turns off so that the student's is the one that counts.
        self.weaknesses: tuple[str, ...] = names
        self.students: list[StudentFunction] = []
        self.setups: list[ScenarioFunction] = []
        self.scenarios: list[Scenario] = []
        self.path: Any = None

    def student(self, function: Callable[..., Any]) -> StudentFunction:
        """Mark the function the student completes (its docstring is the
        contract); the playground calls it through the returned wrapper."""
        wrapped = StudentFunction(function)
        self.students.append(wrapped)
        return wrapped

    def setup(self, function: ScenarioFunction) -> ScenarioFunction:
        """Run before every scenario: plug the student's function in."""
        self.setups.append(function)
        return function

    def scenario(
        self, title: str, *, attack: bool = False, hints: Sequence[str] = ()
    ) -> Callable[[ScenarioFunction], ScenarioFunction]:
        """Add the decorated function as the next scenario. An attack
        scenario passes when the defence holds; `hints` go from a nudge to
        nearly the answer (`oauth-playground check --hint N`)."""

        def register(function: ScenarioFunction) -> ScenarioFunction:
            lines, first = source_lines(function)
            self.scenarios.append(
                Scenario(
                    number=len(self.scenarios) + 1,
                    title=title,
                    function=function,
                    narrative=textwrap.dedent(function.__doc__ or "").strip(),
                    attack=attack,
                    hints=tuple(hints),
                    first_line=first,
                    last_line=first + max(len(lines) - 1, 0),
                )
            )
            return function

        return register

    def reset_calls(self) -> None:
        for function in self.students:
            function.calls.clear()

    def calls(self) -> list[Call]:
        return [call for function in self.students for call in function.calls]

    def __repr__(self) -> str:
        return f"Exercise({self.title!r}, {len(self.scenarios)} scenarios)"


@dataclass(frozen=True)
class Verdict:
    """How an attack ended: whether the defence held, what the attacker
    walked away with when it did not, and the messages that show it."""

    description: str
    refused: bool
    attacker_gets: str
    evidence: tuple[int, ...]  # exchange indices


class ScenarioRun(LessonRun):
    """What a scenario gets: everything a lesson step has (`run.browser`,
    `run.attacker`, `run.check`...), the scenario's seeded randomness, a way
    to say how an attack ended, and the plugs for the student's function."""

    def __init__(self, world: World, exercise: Exercise, seed: int | str) -> None:
        super().__init__(world, exercise)  # type: ignore[arg-type]
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "random", random.Random(f"{seed}"))
        object.__setattr__(self, "verdicts", [])

    seed: int | str
    random: random.Random
    verdicts: list[Verdict]

    def pick(self, options: Sequence[Any]) -> Any:
        """One of `options`, chosen by this scenario's seed."""
        return options[self.random.randrange(len(options))]

    def refused(
        self,
        description: str,
        refused: object,
        *,
        attacker_gets: str,
        evidence: Sequence[Exchange] = (),
    ) -> bool:
        """An attack's outcome: `refused` is true when the defence held. When
        it did not, `attacker_gets` says what Mallory walked away with, and
        `evidence` the messages that prove it (by default the attacker's)."""
        held = bool(refused)
        chosen = (
            list(evidence)
            or [
                e
                for e in self.all_exchanges
                if Party.ATTACKER in (e.sender, e.receiver)
            ][-4:]
        )
        self.verdicts.append(
            Verdict(description, held, attacker_gets, tuple(e.index for e in chosen))
        )
        self.check(description, held)
        return held

    def exchanges_to(self, url: str) -> list[Exchange]:
        """This scenario's messages sent to `url` (query string ignored)."""
        return [e for e in self.all_exchanges if e.request.url.split("?")[0] == url]

    def native_app_on_port(self, port: int) -> Any:
        """Photo Uploader as it runs when the phone's OS gave it loopback port
        `port` for the redirect (RFC 8252 7.3): its listener answers there."""
        redirect_uri = f"http://127.0.0.1:{port}/callback"
        self.world.network.add_host(
            Host(f"127.0.0.1:{port}", Party.CLIENT, loopback_listener())
        )
        return self.world.oauth_client(
            "photo-uploader-native", redirect_uri=redirect_uri
        )

    # --- where the student's function plugs in (see playground.lesson.plugs)
    def use_pkce_pair(self, app: Any, make_pair: Callable[[], Any]) -> None:
        """`app` makes its PKCE code verifier and S256 challenge with
        `make_pair()` (RFC 7636 4.1, 4.2) instead of its own code."""
        app.pkce_pair = make_pair

    def use_state_check(self, check: Callable[..., Any]) -> None:
        """PhotoPrint's callback asks `check(expected, received)` whether the
        `state` that came back is the one this browser's session sent."""
        self.web_client.checks.state = check

    def use_issuer_check(self, check: Callable[..., Any]) -> None:
        """PhotoPrint's callback asks `check(expected, iss, server_sends_iss)`
        whether the response's `iss` fits the server the flow started at."""
        self.web_client.checks.issuer = check

    def use_redirect_target_check(self, check: Callable[..., Any]) -> None:
        """PhotoPrint's `/go?to=` asks `check(to)` whether it may send the
        browser there."""
        self.web_client.checks.redirect_target = check

    def use_redirect_uri_check(self, check: Callable[..., Any]) -> None:
        """The authorization server asks `check(requested, registered)` whether
        a redirect URI is registered for the client (every client)."""
        plugs.check_redirect_uris_with(self.world, check)

    def use_access_token_check(self, check: Callable[..., Any]) -> None:
        """The photos API validates every access token with `check(token, *,
        jwks, issuer, audience, now)` in place of its own validation."""
        plugs.validate_access_tokens_with(self.world, check)

    def use_id_token_check(self, check: Callable[..., Any]) -> None:
        """PhotoPrint validates every ID token with `check(id_token, *, jwks,
        issuer, client_id, nonce, now)`: at its callback and at `/spa/session`."""
        plugs.validate_id_tokens_with(self.world, check)

    def use_dpop_proof_check(self, check: Callable[..., Any]) -> None:
        """The photos API checks every DPoP proof with `check(proof, *,
        method, url, access_token, now, seen_jtis)`, which returns the
        thumbprint of the proof's key (RFC 9449 4.3, 7.1)."""
        plugs.verify_dpop_proofs_with(self.world, check)

    def give_dpop_key(self, app: Any) -> SigningKey:
        """From now on `app` sends DPoP proofs made with an ES256 key of its
        own, and its tokens are bound to that key (RFC 9449)."""
        app.dpop_key = generate_ec_signing_key()
        return app.dpop_key

    def dpop_proof(
        self,
        app: Any,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        iat: int | None = None,
    ) -> str:
        """A proof signed with `app`'s DPoP key for `method` and `url`, as its
        own code signs one (RFC 9449 4.2), made at `iat` (now by default): a
        script running in its page can ask for one without reading the key."""
        return make_proof(
            app.dpop_key,
            method,
            url,
            jti=self.world.randomness.token(12),
            iat=self.clock.now() if iat is None else iat,
            access_token=access_token,
        )

    def use_refresh_token_rotation(self, decide: Callable[..., Any]) -> None:
        """The authorization server's refresh grant asks `decide(token)` what
        to do with each refresh token presented to it."""
        plugs.rotate_refresh_tokens_with(self.world, decide)

    @property
    def student_calls(self) -> list[Call]:
        """Every call of the student's function(s) so far in this scenario."""
        return self.lesson.calls()  # type: ignore[attr-defined]
