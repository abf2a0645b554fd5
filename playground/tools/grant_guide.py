"""Which grant should my client use? The seeds' decision guide as a small table.

Two questions decide the grant (RFC 9700 2.1, 2.4 and RFC 6749 4.4): is a
user involved at all, and can the client keep a secret? Two more add to the
answer: does the app need to know who signed in (OpenID Connect), and must it
keep access while the user is away (refresh tokens). The implicit and password
grants are never recommended; they are listed as history with the reason.
Pure data and functions: the "Which grant?" page only draws them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
AUTHORIZATION_CODE_PKCE = "authorization_code_pkce"
AUTHORIZATION_CODE_NATIVE = "authorization_code_native"
DEVICE_CODE = "device_code"

# answer values
MACHINE = "machine"
USER = "user"
SERVER = "server"
BROWSER = "browser"
DEVICE = "device"
INPUT_CONSTRAINED = "tv"
YES = "yes"
NO = "no"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question; `asked_if` names earlier answers that must hold to ask it."""

    id: str
    text: str
    choices: tuple[Choice, ...]
    asked_if: tuple[tuple[str, str], ...] = ()
    help: str = ""
    option: str = ""  # its name on the command line: `which-grant --runs browser`

    def label(self, value: str) -> str:
        return next((c.label for c in self.choices if c.value == value), value)


@dataclass(frozen=True)
class Grant:
    """A grant the guide can end in, with its lesson and its reasons."""

    id: str
    name: str
    lesson: str
    spec: str
    why: str


@dataclass(frozen=True)
class Rule:
    """A row of the decision table: when these answers hold, use this grant."""

    when: tuple[tuple[str, str], ...]
    grant: str


@dataclass(frozen=True)
class Extra:
    """Something to add to the grant, when an answer asks for it."""

    question: str
    answer: str
    name: str
    lesson: str
    why: str


@dataclass(frozen=True)
class Recommendation:
    grant: Grant
    extras: tuple[Extra, ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "q1",
        "Is a user involved, or does a service act on its own behalf?",
        (
            Choice(MACHINE, "No user: machine to machine (a service calls an API)"),
            Choice(USER, "A user signs in and lets the app act for them"),
        ),
        help="RFC 6749 4.4: the client credentials grant is for a client acting "
        "on its own behalf, with no resource owner in the picture.",
        option="who",
    ),
    Question(
        "q2",
        "Where does the client's code run?",
        (
            Choice(SERVER, "On a server: a web app that can keep a client secret"),
            Choice(BROWSER, "In the browser: a single-page app (SPA)"),
            Choice(DEVICE, "On the user's device: a native or mobile app"),
            Choice(
                INPUT_CONSTRAINED,
                "On a device with no browser or keyboard: a TV, a console, a "
                "command line on a server",
            ),
        ),
        asked_if=(("q1", USER),),
        help="RFC 6749 2.1: a confidential client can keep a secret; code that "
        "ships to a browser or a phone cannot, so it is a public client.",
        option="runs",
    ),
    Question(
        "q3",
        "Does the app need to know who signed in?",
        (
            Choice(YES, "Yes: it signs the user in (login)"),
            Choice(NO, "No: it only calls the API"),
        ),
        asked_if=(("q1", USER),),
        help="OAuth grants access; it does not say who the user is. OpenID "
        "Connect adds an ID token for that.",
        option="login",
    ),
    Question(
        "q4",
        "Must the app keep access while the user is away?",
        (
            Choice(YES, "Yes: it works in the background or for a long time"),
            Choice(NO, "No: only while the user is using it"),
        ),
        asked_if=(("q1", USER),),
        help="Access tokens are short-lived; a refresh token gets new ones "
        "without asking the user again (RFC 6749 1.5).",
        option="offline",
    ),
)

GRANTS: Mapping[str, Grant] = MappingProxyType(
    {
        grant.id: grant
        for grant in (
            Grant(
                CLIENT_CREDENTIALS,
                "Client credentials",
                "01_client_credentials.py",
                "RFC 6749 4.4",
                "No user is involved: the service proves who it is with its own "
                "credentials (a secret, or better a signed JWT, RFC 7523) and gets a "
                "token for itself.",
            ),
            Grant(
                AUTHORIZATION_CODE,
                "Authorization code (with PKCE recommended)",
                "02_authorization_code.py",
                "RFC 6749 4.1, RFC 9700 2.1.1",
                "The user approves at the authorization server; the browser carries "
                "only a short-lived code, and your server trades it for tokens over "
                "the back channel with its secret. RFC 9700 2.1.1 recommends PKCE "
                "for confidential clients too: it stops code injection.",
            ),
            Grant(
                AUTHORIZATION_CODE_PKCE,
                "Authorization code with PKCE",
                "03_authorization_code_pkce.py",
                "RFC 6749 4.1, RFC 7636, RFC 9700 2.1.1",
                "A public client has no secret to prove who redeems the code, so it "
                "proves it made the request: a code verifier whose hash went in the "
                "authorization request. RFC 9700 2.1.1: public clients MUST use PKCE.",
            ),
            Grant(
                AUTHORIZATION_CODE_NATIVE,
                "Authorization code with PKCE, in the system browser (RFC 8252)",
                "03b_native_app.py",
                "RFC 8252, RFC 7636, RFC 9700 2.1.1",
                "A native app is a public client too. It opens the user's own "
                "browser, never an embedded web view (RFC 8252 8.12), receives the "
                "answer on a loopback port or a claimed https address, and uses "
                "PKCE (RFC 8252 6) because another app may catch the redirect.",
            ),
            Grant(
                DEVICE_CODE,
                "Device authorization grant",
                "10_device_authorization.py",
                "RFC 8628",
                "The device cannot show the authorization server's pages, so it "
                "shows a short user code; the user signs in and approves on their "
                "phone or computer, and the device polls the token endpoint. The "
                "approval page must say which device is being connected: device "
                "code phishing (attack 19) abuses the flow.",
            ),
        )
    }
)

# The decision table, first match wins.
RULES: tuple[Rule, ...] = (
    Rule((("q1", MACHINE),), CLIENT_CREDENTIALS),
    Rule((("q1", USER), ("q2", SERVER)), AUTHORIZATION_CODE),
    Rule((("q1", USER), ("q2", BROWSER)), AUTHORIZATION_CODE_PKCE),
    Rule((("q1", USER), ("q2", DEVICE)), AUTHORIZATION_CODE_NATIVE),
    Rule((("q1", USER), ("q2", INPUT_CONSTRAINED)), DEVICE_CODE),
)

EXTRAS: tuple[Extra, ...] = (
    Extra(
        "q3",
        YES,
        "OpenID Connect (scope openid)",
        "08_openid_connect.py",
        "Ask for the openid scope to get an ID token: a statement, for the "
        "client, of who signed in. Never use the access token as proof of login.",
    ),
    Extra(
        "q4",
        YES,
        "Refresh tokens, rotated on use",
        "04_refresh_token.py",
        "The authorization server issues a refresh token (with OpenID Connect, "
        "ask for the offline_access scope); each refresh replaces it "
        "(RFC 9700 4.14.2), so a stolen one is detected when used twice.",
    ),
)

# Grants a newcomer still meets in old code and tutorials: history, not choices.
HISTORY: tuple[Grant, ...] = (
    Grant(
        "implicit",
        "Implicit (deprecated)",
        "05_implicit.py",
        "RFC 6749 4.2, RFC 9700 2.1.2",
        "The access token comes back in the redirect URL's fragment, where "
        "browser history, logs and scripts can read it, and nothing binds it "
        "to the client. It existed because browsers once could not call the "
        "token endpoint; today SPAs use the code flow with PKCE instead.",
    ),
    Grant(
        "password",
        "Resource owner password credentials (deprecated)",
        "06_password.py",
        "RFC 6749 4.3, RFC 9700 2.4",
        "The app collects the user's password itself, so the user must trust "
        "it with everything and the authorization server cannot add a second "
        "factor or ask for consent. RFC 9700 2.4: it MUST NOT be used.",
    ),
)


def questions_for(answers: Mapping[str, str | None]) -> tuple[Question, ...]:
    """The questions to ask, given the answers so far, in order."""
    return tuple(
        question
        for question in QUESTIONS
        if all(answers.get(name) == value for name, value in question.asked_if)
    )


def recommend(answers: Mapping[str, str | None]) -> Recommendation | None:
    """The grant (and extras) for these answers; None until enough are given.

    Answers to questions that are not asked (say, where the code runs when no
    user is involved) are ignored.
    """
    asked = {question.id for question in questions_for(answers)}
    relevant = {name: value for name, value in answers.items() if name in asked}
    for rule in RULES:
        if all(relevant.get(name) == value for name, value in rule.when):
            extras = tuple(
                extra
                for extra in EXTRAS
                if relevant.get(extra.question) == extra.answer
            )
            return Recommendation(GRANTS[rule.grant], extras)
    return None


def lessons() -> tuple[str, ...]:
    """Every lesson file the guide links to."""
    names = [grant.lesson for grant in GRANTS.values()]
    names += [extra.lesson for extra in EXTRAS]
    names += [grant.lesson for grant in HISTORY]
    return tuple(dict.fromkeys(names))


def answer_text(recommendation: Recommendation, width: int = 78) -> str:
    """The recommendation as plain text, for the terminal."""

    def block(title: str, grant: Grant | Extra, why: str) -> list[str]:
        wrapped = textwrap.wrap(why, width - 2)
        return [
            title,
            *(f"  {line}" for line in wrapped),
            f"  Lesson: lessons/{grant.lesson}",
        ]

    grant = recommendation.grant
    lines = block(f"Use: {grant.name} ({grant.spec})", grant, grant.why)
    for extra in recommendation.extras:
        lines += block(f"And: {extra.name}", extra, extra.why)
    lines.append("Never for a new app:")
    lines += [f"  {old.name}, {old.spec}: lessons/{old.lesson}" for old in HISTORY]
    return "\n".join(lines) + "\n"
