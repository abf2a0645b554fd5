"""The lesson engine: loading, replay, errors with file and line, reports."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from playground.cli import main
from playground.lesson.runner import discover, load_lesson, run_lesson
from playground.views import sequence_diagram
from playground.views.raw_http import parse_request, wire_request
from playground.wire.exchange import Channel, Party
from playground.world import WorldKeys

LESSONS = Path(__file__).resolve().parents[3] / "lessons"
PKCE_LESSON = LESSONS / "03_authorization_code_pkce.py"


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


@pytest.fixture
def lesson_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lessons" / PKCE_LESSON.name
    target.parent.mkdir()
    shutil.copy(PKCE_LESSON, target)
    return target


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_pkce_lesson_passes_with_the_expected_exchanges(keys):
    result = run_lesson(load_lesson(PKCE_LESSON), keys=keys)
    assert result.passed, result.error
    sequence = [
        (e.step, e.sender, e.receiver, e.channel, e.request.method, e.response.status)
        for e in result.world.transcript.exchanges
    ]
    assert sequence == [
        (2, Party.BROWSER, Party.AUTHORIZATION_SERVER, Channel.FRONT, "GET", 200),
        (3, Party.BROWSER, Party.AUTHORIZATION_SERVER, Channel.FRONT, "POST", 302),
        (3, Party.BROWSER, Party.AUTHORIZATION_SERVER, Channel.FRONT, "GET", 200),
        (4, Party.BROWSER, Party.AUTHORIZATION_SERVER, Channel.FRONT, "POST", 302),
        (4, Party.BROWSER, Party.CLIENT, Channel.FRONT, "GET", 200),
        # The single-page app's fetch() calls leave from the browser; the
        # API call, with an Authorization header, is preceded by a preflight.
        (5, Party.BROWSER, Party.AUTHORIZATION_SERVER, Channel.BACK, "POST", 200),
        (6, Party.BROWSER, Party.RESOURCE_SERVER, Channel.BACK, "OPTIONS", 204),
        (6, Party.BROWSER, Party.RESOURCE_SERVER, Channel.BACK, "GET", 200),
        (
            6,
            Party.RESOURCE_SERVER,
            Party.AUTHORIZATION_SERVER,
            Channel.BACK,
            "GET",
            200,
        ),
    ]
    assert len(result.checks) == 19


def test_replay_to_the_same_step_gives_the_same_messages(keys):
    lesson = load_lesson(PKCE_LESSON)
    first = run_lesson(lesson, until=5, keys=keys)
    again = run_lesson(lesson, until=5, keys=keys)
    bodies = [e.response.body for e in first.world.transcript.exchanges]
    assert bodies == [e.response.body for e in again.world.transcript.exchanges]
    assert first.run.access_token == again.run.access_token
    back = run_lesson(lesson, until=4, keys=keys)
    assert back.steps_run == 4
    assert len(back.world.transcript.exchanges) == 5


def test_syntax_error_reports_file_and_line(lesson_copy, capsys):
    text = lesson_copy.read_text().replace(
        "run.browser.open(run.url)", "run.browser.open(run.url"
    )
    lesson_copy.write_text(text)
    code = main(["run", str(lesson_copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(rf"{re.escape(str(lesson_copy))}:\d+: SyntaxError", err)


def test_exception_in_a_step_reports_file_line_and_step(lesson_copy, keys):
    text = lesson_copy.read_text().replace(
        "run.browser.sign_in(", 'raise RuntimeError("oops")\n    run.browser.sign_in('
    )
    lesson_copy.write_text(text)
    result = run_lesson(load_lesson(lesson_copy), keys=keys)
    assert result.error is not None
    assert result.error.step == 3
    assert result.error.line == line_of(lesson_copy, 'raise RuntimeError("oops")')
    assert result.error.message == "RuntimeError: oops"
    assert result.steps_run == 2
    assert str(lesson_copy) in str(result.error)


def test_changed_scope_changes_the_outcome(lesson_copy, keys):
    text = lesson_copy.read_text().replace(
        'authorization_url("basic photos.read"', 'authorization_url("basic"'
    )
    lesson_copy.write_text(text)
    result = run_lesson(load_lesson(lesson_copy), keys=keys)
    assert result.error is None
    [api] = [
        e
        for e in result.world.transcript.exchanges
        if "/api/photos" in e.request.url and e.request.method == "GET"
    ]
    assert api.response.status == 403
    failed = [c.description for c in result.checks if not c.passed]
    assert failed == [
        "the consent page lists the scopes",
        "the API answers 200",
        "Alice's photos come back",
    ]


def test_a_value_never_set_names_the_missing_assignment(lesson_copy, keys):
    text = lesson_copy.read_text().replace("run.code = params", "code = params")
    lesson_copy.write_text(text)
    result = run_lesson(load_lesson(lesson_copy), keys=keys)
    assert result.error is not None
    assert "run.code was never set" in result.error.message


def test_discover_lists_broken_lessons_beside_working_ones(lesson_copy):
    (lesson_copy.parent / "zz_broken.py").write_text("lesson = (\n")
    entries = discover(lesson_copy.parent)
    assert [entry.path.name for entry in entries] == [lesson_copy.name, "zz_broken.py"]
    assert entries[0].lesson is not None
    assert entries[1].lesson is None and entries[1].error.line == 1


def test_recorded_token_request_round_trips_through_raw_text(keys):
    result = run_lesson(load_lesson(PKCE_LESSON), keys=keys)
    [token_request] = [
        e.request
        for e in result.world.transcript.exchanges
        if e.request.url.endswith("/token")
    ]
    parsed = parse_request(wire_request(token_request))
    assert parsed.method == "POST"
    assert parsed.url == token_request.url
    assert parsed.headers == token_request.headers
    assert parsed.body == token_request.body
    assert b"code_verifier=" in parsed.body


def test_pkce_diagram_has_one_lifeline_per_party_and_one_arrow_per_exchange(keys):
    result = run_lesson(load_lesson(PKCE_LESSON), keys=keys)
    exchanges = result.world.transcript.exchanges
    dot = sequence_diagram.to_dot(exchanges)
    parties = {e.sender for e in exchanges} | {e.receiver for e in exchanges}
    assert len(re.findall(r"\bp_\d+ \[", dot)) == len(parties) == 4
    numbers = re.findall(r'label="(\d+)\. ', dot)
    assert numbers == [str(n) for n in range(1, len(exchanges) + 1)]
    # The RS's JWKS fetch happens inside the API call: its rows sit between
    # the API request's row and the API reply's row.
    y = {
        m[0]: float(m[1])
        for m in re.findall(r'(m\d+_re[qp])_a \[.*?pos="[-\d.]+,([-\d.]+)!', dot)
    }
    api, jwks = 8, 9  # after the API call's preflight (7)
    assert y[f"m{api}_req"] > y[f"m{jwks}_req"] > y[f"m{jwks}_rep"] > y[f"m{api}_rep"]


@pytest.mark.skipif(
    not sequence_diagram.has_graphviz_binary(),
    reason="Graphviz's binaries are not installed (apt-get install graphviz)",
)
def test_pkce_lesson_renders_to_svg_from_the_cli(tmp_path, capsys):
    svg = tmp_path / "pkce.svg"
    assert main(["run", str(PKCE_LESSON), "--svg", str(svg)]) == 0
    capsys.readouterr()
    content = svg.read_text()
    assert "<svg" in content and "Authorization Server" in content


def test_run_json_has_one_object_per_exchange(capsys):
    assert main(["run", str(PKCE_LESSON), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is True
    assert [e["index"] for e in document["exchanges"]] == list(range(1, 10))
    assert document["exchanges"][5]["to"] == "Authorization Server"
    assert document["exchanges"][5]["channel"] == "back"


def test_lessons_command_lists_kinds_in_course_order_with_their_levels(capsys):
    assert main(["lessons"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line and not line[0].isspace()]
    assert headings == [
        "Start here",
        "Grants",
        "Deprecated grants",
        "Advanced",
        "Attacks",
    ]
    line = next(
        row for row in out.splitlines() if "03_authorization_code_pkce.py" in row
    )
    assert "level: beginner" in line and "Authorization code with PKCE" in line
    assert out.index("00_why_oauth.py") < out.index("01_client_credentials.py")


def test_overwriting_a_party_names_the_problem(lesson_copy, keys):
    text = lesson_copy.read_text().replace(
        "run.url = run.spa.authorization_url(", "run.spa = run.spa.authorization_url("
    )
    lesson_copy.write_text(text)
    result = run_lesson(load_lesson(lesson_copy), keys=keys)
    assert result.error is not None and result.error.step == 1
    assert "run.spa is one of the playground's parties" in result.error.message


def test_show_jwt_puts_a_token_in_its_steps_panel(keys):

    result = run_lesson(load_lesson(LESSONS / "01_client_credentials.py"), keys=keys)
    assert result.passed, result.error
    shown = [
        (view.step.number, found.where)
        for view in result.step_views()
        for found in view.tokens
        if found.where == "the service's access token"
    ]
    assert len(shown) == 1
    [(step, _)] = shown
    view = result.step_views()[step - 1]
    [token] = [found for found in view.tokens if found.where == shown[0][1]]
    assert token.decoded.verification.status == "valid"
    assert token.decoded.claims["sub"] == "print-shop-service"


def test_last_request_form_and_redirect_params(keys):
    from playground.world import World

    world = World(keys=keys)
    world.browser.open("https://photoprint.test/login?scope=basic")
    params = world.browser.redirect_params
    assert params["client_id"] == "photoprint" and params["scope"] == "basic"
    world.service.client_credentials("photos.read")
    request = world.transcript.exchanges[-1].request
    assert request.form == {"grant_type": "client_credentials", "scope": "photos.read"}
    assert request.header("User-Agent").startswith("Print Shop (service)")


def test_jwt_panel_judges_each_token_as_of_its_own_step(keys):

    result = run_lesson(load_lesson(LESSONS / "04_refresh_token.py"), keys=keys)
    assert result.passed, result.error
    views = result.step_views()
    first = next(view for view in views if view.tokens)
    [issued] = [t for t in first.tokens if "access_token" in t.where]
    # Valid when its step ran, though the clock later moves past its exp.
    assert issued.decoded.verification.status == "valid"
    later = run_lesson(load_lesson(LESSONS / "04_refresh_token.py"), keys=keys)
    assert later.run.decode(issued.token).verification.exception == (
        "ExpiredSignatureError"
    )


def test_lessons_command_lists_attacks_with_the_weaknesses_they_need(capsys):
    assert main(["lessons"]) == 0
    out = capsys.readouterr().out
    rows = out.splitlines()
    at = next(i for i, row in enumerate(rows) if "03_redirect_uri_prefix" in row)
    assert rows[at].strip().startswith("attacks/") and "level: advanced" in rows[at]
    assert rows[at + 1].strip() == (
        "weaknesses: as.loose_redirect_uri, client.open_redirect"
    )


def test_every_weakness_has_an_attack_lesson_that_exploits_it():
    from mock_servers.weaknesses import REGISTRY

    needed = {
        name
        for entry in discover(LESSONS)
        if entry.lesson is not None and entry.lesson.kind == "attack"
        for name in entry.lesson.weaknesses
    }
    assert needed == {weakness.name for weakness in REGISTRY}
    assert not [entry.path for entry in discover(LESSONS) if entry.lesson is None]
