"""A lesson run as text (for the terminal) and as JSON (for other tools).

The CLI's adapter over the same step views the Streamlit UI draws.
"""

from __future__ import annotations

import base64
import textwrap
from typing import Any

from playground.lesson.runner import LessonResult
from playground.views.jwt_decoder import format_text
from playground.views.raw_http import render_exchange
from playground.views.step_view import StepView
from playground.wire.exchange import Exchange

WIDTH = 100


def render_text(result: LessonResult) -> str:
    lesson = result.lesson
    out = [
        f"Lesson: {lesson.title}  [{lesson.kind}, {lesson.level}]",
        f"File: {lesson.path}",
    ]
    if lesson.summary:
        out.append(textwrap.fill(lesson.summary, WIDTH))
    switches = ", ".join(result.weaknesses) or "none (secure defaults)"
    out.append(f"Weaknesses on: {switches}")
    for view in result.step_views():
        if view.ran:
            out.extend(_step_text(view, len(lesson.steps)))
    if lesson.defence and result.steps_run == len(lesson.steps):
        out.extend(["", "How to defend", "-" * len("How to defend"), lesson.defence])
    out.append("")
    if result.error is not None:
        out.append(f"ERROR {result.error}")
        out.append(textwrap.indent(result.error.traceback.rstrip(), "  "))
    passed = sum(check.passed for check in result.checks)
    total = len(result.checks)
    out.append(
        f"{result.steps_run}/{len(lesson.steps)} steps run, "
        f"{passed}/{total} checks passed"
    )
    return "\n".join(out) + "\n"


def _step_text(view: StepView, total: int) -> list[str]:
    step = view.step
    out = ["", "=" * WIDTH, f"Step {step.number}/{total}: {step.title}", "=" * WIDTH]
    if step.narrative:
        out.append(step.narrative)
    for exchange in view.exchanges:
        out.append("")
        out.append(_exchange_heading(exchange))
        out.append(textwrap.indent(render_exchange(exchange, wrap=WIDTH - 4), "    "))
    for found in view.tokens:
        out.append("")
        out.append(f"JWT: {found.where}")
        out.append(textwrap.indent(format_text(found.decoded), "    "))
    for explanation in view.pkce:
        out.append("")
        out.append("PKCE (RFC 7636):")
        out.extend(f"    {label}: {value}" for label, value in explanation.steps())
    if view.events:
        out.append("")
        out.append("Server events:")
        out.extend(
            f"    {event.server}: {event.name}"
            + (f" (client {event.client_id})" if event.client_id else "")
            + (f" (user {event.user})" if event.user else "")
            + (f" - {event.detail}" if event.detail else "")
            for event in view.events
        )
    if view.checks:
        out.append("")
        out.append("Checks:")
        out.extend(
            f"    [{'PASS' if check.passed else 'FAIL'}] {check.description}"
            for check in view.checks
        )
    return out


def _exchange_heading(exchange: Exchange) -> str:
    return (
        f"--- {exchange.index}. {exchange.sender} -> {exchange.receiver} "
        f"({exchange.channel} channel, {exchange.duration_ms:.1f} ms)"
    )


def to_json(result: LessonResult) -> dict[str, Any]:
    """The transcript: one object per exchange, plus checks, events and error."""
    lesson = result.lesson
    return {
        "lesson": {
            "title": lesson.title,
            "file": str(lesson.path),
            "kind": lesson.kind,
            "level": lesson.level,
            "weaknesses": list(lesson.weaknesses),  # what the lesson turns on
        },
        "weaknesses": list(result.weaknesses),
        "steps_run": result.steps_run,
        "passed": result.passed,
        "exchanges": [
            exchange_json(item) for item in result.world.transcript.exchanges
        ],
        "checks": [
            {"step": c.step, "description": c.description, "passed": c.passed}
            for c in result.checks
        ],
        "events": [
            {
                "time": e.time,
                "name": e.name,
                "server": e.server,
                "client_id": e.client_id,
                "user": e.user,
                "detail": e.detail,
            }
            for e in result.world.events
        ],
        "error": None
        if result.error is None
        else {
            "file": result.error.path,
            "line": result.error.line,
            "step": result.error.step,
            "message": result.error.message,
        },
    }


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "index": exchange.index,
        "step": exchange.step,
        "from": str(exchange.sender),
        "to": str(exchange.receiver),
        "channel": str(exchange.channel),
        "duration_ms": round(exchange.duration_ms, 3),
        "request": {
            "method": exchange.request.method,
            "url": exchange.request.url,
            "headers": [list(pair) for pair in exchange.request.headers],
            **_body(exchange.request.body),
        },
        "response": {
            "status": exchange.response.status,
            "headers": [list(pair) for pair in exchange.response.headers],
            **_body(exchange.response.body),
        },
    }


def _body(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}
