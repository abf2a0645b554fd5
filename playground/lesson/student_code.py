"""The student's code as the playground calls it: each call recorded, a
refusal told apart from a crash.

A student's function is called by the playground's real servers and clients
(PhotoPrint's callback, the photos API, the authorization server). A refusal
(`Refused`, or a JOSE library's own error when a token does not verify)
passes through for the caller to answer with; anything else the code raises,
or a value its signature does not allow, becomes `StudentCodeFailed`, a
BaseException no server on the way swallows, so the grader reports the
student's own line.
"""

from __future__ import annotations

import functools
import inspect
import reprlib
import textwrap
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from joserfc.errors import JoseError


class Refused(Exception):
    """Raise it in your function to refuse what it was given: a token, a
    proof, a request. Its message is what the server or client answers."""


# What a student's check may raise to refuse: our `Refused`, or the error a
# JOSE library raises when a token does not verify (PyJWT, joserfc).
REFUSALS: tuple[type[BaseException], ...] = (Refused, jwt.PyJWTError, JoseError)


class StudentCodeFailed(BaseException):
    """The student's function raised (not to refuse), or returned what its
    contract does not allow. A BaseException, so that no server on the way
    (Flask answers any Exception with a 500) swallows it: the scenario stops
    there, and the grader reports the student's own line."""

    def __init__(self, function: str, error: BaseException) -> None:
        super().__init__(f"{function}: {type(error).__name__}: {error}")
        self.function = function
        self.error = error


class ContractError(TypeError):
    """A student's function returned a value its signature does not allow."""


@dataclass(frozen=True)
class Call:
    """One call of a student's function, as the report shows it."""

    function: str
    arguments: str
    outcome: str  # "returned ...", "refused: ...", "raised ..."
    refused: bool = False


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def short_repr(value: object) -> str:
    """A value as a report line can hold it (a JWT is long)."""
    try:
        return _SHORT.repr(value)
    except Exception:  # a student's object whose __repr__ fails
        return f"<{type(value).__name__}>"


class StudentFunction:
    """A function the student completes; the playground calls it through here.

    Calling it calls the student's code and records the call. A refusal
    (`Refused`, PyJWT's or joserfc's errors) passes through as itself, for the
    server or client that called to answer with; anything else the code
    raises, or a return value of the wrong type, becomes `StudentCodeFailed`.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.name = function.__name__
        self.calls: list[Call] = []
        lines, first = source_lines(function)
        self.first_line = first
        self.last_line = first + max(len(lines) - 1, 0)
        # The `def` line itself, below any decorators.
        self.def_line = first + next(
            (i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0
        )
        self.contract = textwrap.dedent(function.__doc__ or "").strip()
        self.signature = f"{self.name}{_signature(function)}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arguments = ", ".join(
            [short_repr(a) for a in args]
            + [f"{k}={short_repr(v)}" for k, v in kwargs.items()]
        )
        try:
            result = self.function(*args, **kwargs)
        except REFUSALS as refusal:
            self._record(arguments, f"refused: {_one_line(refusal)}", refused=True)
            raise
        except BaseException as error:
            self._record(arguments, f"raised {_one_line(error)}")
            raise StudentCodeFailed(self.name, error) from error
        problem = _return_problem(self.function, result)
        if problem:
            self._record(arguments, f"returned {short_repr(result)}")
            error = ContractError(f"{self.name}() {problem}")
            raise StudentCodeFailed(self.name, error) from None
        self._record(arguments, f"returned {short_repr(result)}")
        return result

    def _record(self, arguments: str, outcome: str, *, refused: bool = False) -> None:
        if len(self.calls) < MAX_CALLS:
            self.calls.append(Call(self.name, arguments, outcome, refused))

    def __repr__(self) -> str:
        return f"<student function {self.signature}>"


MAX_CALLS = 200  # calls of a student's function one scenario records


def _one_line(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text.splitlines()[0][:200] if text else type(error).__name__


def _signature(function: Callable[..., Any]) -> str:
    try:  # annotations are strings in a file compiled with `annotations`
        return str(inspect.signature(function, eval_str=True))
    except Exception:
        try:
            return str(inspect.signature(function))
        except (TypeError, ValueError):
            return "(...)"


def source_lines(function: Callable[..., Any]) -> tuple[list[str], int]:
    try:
        return inspect.getsourcelines(function)
    except (OSError, TypeError):
        return [], function.__code__.co_firstlineno


def _return_problem(function: Callable[..., Any], value: object) -> str | None:
    """Why `value` breaks the function's return annotation, if it plainly does
    (`bool`, `str`, `dict[...]`, `tuple[str, str]`, `X | None`); None when it
    fits or the annotation says nothing checkable."""
    try:
        hint = typing.get_type_hints(function).get("return")
    except Exception:  # an annotation that names nothing importable
        return None
    if hint is None or _fits(value, hint):
        return None
    return (
        f"returned {short_repr(value)} ({type(value).__name__}); "
        f"its contract says it returns {_hint_name(hint)}"
    )


def _fits(value: object, hint: Any) -> bool:
    if hint is Any or hint is typing.Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, argument) for argument in arguments)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return all(_fits(item, arguments[0]) for item in value)
        return len(value) == len(arguments) and all(
            _fits(item, argument)
            for item, argument in zip(value, arguments, strict=True)
        )
    if origin is not None:
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _hint_name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")
