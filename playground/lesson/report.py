"""A lesson run as text (for the terminal) and as JSON (for other tools).

The CLI's adapter over the same step views the Streamlit UI draws. Nothing is
hard-wrapped: a token or a URL is one line however long, so it copies whole
from a terminal that wraps it softly.
"""

from __future__ import annotations

import base64
import json
import textwrap
from typing import Any

from playground.lesson.runner import LessonResult
from playground.views.jwt_decoder import format_text
from playground.views.raw_http import render_exchange
from playground.views.step_view import StepView
from playground.wire.exchange import Exchange, Headers

WIDTH = 100
# The headers that carry OAuth itself (credentials, challenges, proofs); the
# brief report shows these and no others.
BRIEF_REQUEST_HEADERS = frozenset({"authorization", "dpop"})
BRIEF_RESPONSE_HEADERS = frozenset({"www-authenticate", "dpop-nonce"})


def render_text(
    result: LessonResult, *, brief: bool = False, only_step: int | None = None
) -> str:
    """The whole report, or with `brief` what a class reads aloud: narrative,
    request and status lines, form and JSON bodies on one line, decoded claims
    and checks, without headers, pages or styles. `only_step` shows that step
    alone (the run still goes through the steps before it)."""
    lesson = result.lesson
    out = [
        f"Lesson: {lesson.title}  [{lesson.kind}, {lesson.level}]",
        f"File: {lesson.path}",
    ]
    if lesson.summary:
        out.append(textwrap.fill(lesson.summary, WIDTH))
    switches = ", ".join(result.weaknesses) or "none (secure defaults)"
    out.append(f"Weaknesses on: {switches}")
    show = _brief_step_text if brief else _step_text
    for view in result.step_views():
        if view.ran and only_step in (None, view.step.number):
            out.extend(show(view, len(lesson.steps)))
    if lesson.defence and result.steps_run == len(lesson.steps) and only_step is None:
        out.extend(["", "How to defend", "-" * len("How to defend"), lesson.defence])
    out.append("")
    if result.error is not None:
        out.append(f"ERROR {result.error}")
        out.append(textwrap.indent(result.error.traceback.rstrip(), "  "))
    checks = [c for c in result.checks if only_step in (None, c.step)]
    passed = sum(check.passed for check in checks)
    total = len(checks)
    if only_step is not None:
        out.append(
            f"step {only_step}/{len(lesson.steps)}: {passed}/{total} checks passed"
        )
        return "\n".join(out) + "\n"
    out.append(
        f"{result.steps_run}/{len(lesson.steps)} steps run, "
        f"{passed}/{total} checks passed"
    )
    return "\n".join(out) + "\n"


def _step_heading(view: StepView, total: int) -> list[str]:
    step = view.step
    out = ["", "=" * WIDTH, f"Step {step.number}/{total}: {step.title}", "=" * WIDTH]
    if step.narrative:
        out.append(step.narrative)
    return out


def _step_text(view: StepView, total: int) -> list[str]:
    out = _step_heading(view, total)
    for exchange in view.exchanges:
        out.append("")
        out.append(_exchange_heading(exchange))
        out.append(textwrap.indent(render_exchange(exchange), "    "))
    for found in view.tokens:
        out.append("")
        out.append(f"JWT: {found.where}")
        out.append(f"    {found.token}")
        out.append(textwrap.indent(format_text(found.decoded), "    "))
    for explanation in view.pkce:
        out.append("")
        out.append("PKCE (RFC 7636):")
        out.extend(f"    {label}: {value}" for label, value in explanation.steps())
    for personal in view.personal_tokens:
        out.append("")
        out.append(f"Personal access token (not a JWT): {personal.where}")
        for part, value, meaning in personal.rows():
            out.append(f"    {part}: {value}")
            out.append(f"        {meaning}")
    for exchange in view.token_exchanges:
        out.append("")
        out.append(f"Token exchange (RFC 8693): {exchange.where} -> {exchange.status}")
        for name, value, meaning in (*exchange.request, *exchange.response):
            out.append(f"    {name}: {value}")
            if meaning:
                out.append(f"        {meaning}")
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


def _brief_step_text(view: StepView, total: int) -> list[str]:
    out = _step_heading(view, total)
    if view.exchanges:
        out.append("")
    for exchange in view.exchanges:
        request, response = exchange.request, exchange.response
        out.append(
            f"{exchange.index}. {exchange.sender} -> {exchange.receiver}: "
            f"{request.method} {request.url}"
        )
        out += _brief_headers(request.headers, BRIEF_REQUEST_HEADERS)
        body = _brief_body(request.body, request.header("Content-Type"))
        if body:
            out.append(f"     {body}")
        status = f"   <- {response.status} {response.phrase}"
        location = response.header("Location")
        out.append(f"{status}  Location: {location}" if location else status)
        out += _brief_headers(response.headers, BRIEF_RESPONSE_HEADERS)
        body = _brief_body(response.body, response.header("Content-Type"))
        if body:
            out.append(f"     {body}")
    for found in view.tokens:
        decoded = found.decoded
        out += ["", f"JWT: {found.where}", f"    {found.token}"]
        if not decoded.ok:
            out.append(f"    not a valid JWT: {decoded.error}")
        for name, value in (*decoded.header.items(), *decoded.claims.items()):
            out.append(f"    {name}: {json.dumps(value, ensure_ascii=False)}")
        verification = decoded.verification
        out.append(
            f"    verification: {verification.status.upper()} - {verification.reason}"
        )
    for explanation in view.pkce:
        out += ["", "PKCE (RFC 7636):"]
        out.append(f"    code_verifier: {explanation.code_verifier}")
        out.append(
            f"    code_challenge ({explanation.method}): {explanation.code_challenge}"
        )
    if view.checks:
        out.append("")
        out.extend(
            f"[{'PASS' if check.passed else 'FAIL'}] {check.description}"
            for check in view.checks
        )
    return out


def _brief_headers(headers: Headers, names: frozenset[str]) -> list[str]:
    return [f"     {name}: {value}" for name, value in headers if name.lower() in names]


def _brief_body(body: bytes, content_type: str | None) -> str:
    """A form or JSON body on one line (the OAuth parameters, tokens and error
    codes); any other body by its type and size only."""
    if not body:
        return ""
    media = (content_type or "").split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    if media == "application/x-www-form-urlencoded":
        return text
    if media == "application/json" or media.endswith("+json"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text.replace("\n", " ")
    return f"({media or 'body'}, {len(body)} bytes)"


def _exchange_heading(exchange: Exchange) -> str:
    return (
        f"--- {exchange.index}. {exchange.sender} -> {exchange.receiver} "
        f"({exchange.channel} channel, {exchange.duration_ms:.1f} ms)"
    )


def to_json(result: LessonResult, *, only_step: int | None = None) -> dict[str, Any]:
    """The transcript: one object per exchange, plus checks, events and error;
    with `only_step`, that step's exchanges, checks and events."""
    lesson = result.lesson

    def shown(step: int | None) -> bool:
        return only_step in (None, step)

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
        "step": only_step,
        "exchanges": [
            exchange_json(item)
            for item in result.world.transcript.exchanges
            if shown(item.step)
        ],
        "checks": [
            {"step": c.step, "description": c.description, "passed": c.passed}
            for c in result.checks
            if shown(c.step)
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
            for e in (
                result.world.events
                if only_step is None
                else result.world.transcript.events_for(only_step)
            )
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
