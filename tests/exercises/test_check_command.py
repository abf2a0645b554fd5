"""`oauth-playground check`: the grade per scenario, the student's errors at
their lines with the other scenarios still run, endless loops stopped, and
`--all` for a folder of submissions."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from playground import cli
from playground.lesson import grader
from playground.lesson.catalog import read_source
from playground.lesson.pool import LessonPool
from playground.lesson.worker import LessonSource
from tests.exercises.conftest import EXERCISES, solution, with_answer


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(["check", *args])
    return code, capsys.readouterr().out


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_check_passes_the_reference_solution_and_records_progress(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, progress_file: Path
) -> None:
    path = with_answer("02_state_check", solution("02_state_check"), tmp_path)
    code, out = check(capsys, str(path), "--seed", "17")
    assert code == 0
    assert "PASS  1. Alice signs in to PhotoPrint  [honest flow]" in out
    assert "3/3 scenarios passed: well done." in out
    assert "Seed: 17" in out
    recorded = json.loads(progress_file.read_text())["exercises"]["02_state_check.py"]
    assert (recorded["passed"], recorded["total"], recorded["completed"]) == (
        3,
        3,
        True,
    )


def test_check_names_an_exercise_by_its_short_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = check(capsys, "state_check", "--seed", "1")
    assert code == 1
    assert f"File: {EXERCISES / '02_state_check.py'}" in out


def test_run_on_an_exercise_points_to_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `run` (with main's --brief and --step too) replays lessons; an exercise
    # file is graded by `check`, and `run` says so in its one error line.
    path = (EXERCISES / "01_pkce_pair.py").resolve()
    for options in ([], ["--brief"], ["--step", "1"], ["--json"]):
        code = cli.main(["run", str(path), *options])
        err = capsys.readouterr().err
        assert code == 1
        assert err.splitlines()[0] == (
            f"error: {path}: an exercise, not a lesson: grade it with "
            "`oauth-playground check`"
        )


def test_a_failed_attack_shows_what_mallory_got_the_messages_and_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = check(capsys, "02_state_check", "--seed", "5")
    assert code == 1
    assert "FAIL  3. Mallory's code arrives when Alice has no sign-in under way" in out
    assert "[NOT] PhotoPrint refuses a callback it never asked for" in out
    assert "Mallory got: Alice's browser signed in to PhotoPrint" in out
    assert "The messages that prove it:" in out
    assert "Browser -> Client" in out and "GET https://photoprint.test/callback?" in out
    assert "-> 200 OK" in out
    assert "state_matches(None, None) returned True" in out
    assert "Hint 1 of 3: When Alice's browser has no sign-in under way" in out
    assert "Hint 2 of 3" not in out
    assert "(a more specific hint: --hint 2)" in out
    assert "1/3 scenarios passed." in out


def test_more_hints_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = check(capsys, "02_state_check", "--seed", "5", "--hint", "3")
    assert "Hint 2 of 3: In Python `None == None` is True" in out
    assert "Hint 3 of 3: return expected is not None" in out
    assert "(a more specific hint" not in out


BROKEN = {
    "raises": (
        "def make_pkce_pair() -> tuple[str, str]:\n"
        "    verifier = 'v' * 43\n"
        "    return verifier, verifier[100]\n",
        "verifier[100]",
        "IndexError: string index out of range (in make_pkce_pair)",
    ),
    "exits": (
        "import sys\n\n\n"
        "def make_pkce_pair() -> tuple[str, str]:\n"
        "    sys.exit('bye')\n",
        "sys.exit('bye')",
        "SystemExit: bye (in make_pkce_pair)",
    ),
    "returns the wrong type": (
        "def make_pkce_pair() -> tuple[str, str]:\n    return None\n",
        "def make_pkce_pair",
        "ContractError: make_pkce_pair() returned None (NoneType); its contract "
        "says it returns tuple[str, str] (in make_pkce_pair)",
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_crash_in_the_students_function_is_reported_at_its_line(
    kind: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answer, marker, message = BROKEN[kind]
    path = with_answer("01_pkce_pair", answer, tmp_path)
    code, out = check(capsys, str(path), "--seed", "2")
    assert code == 1
    where = f"{path.resolve()}:{line_of(path, marker)}: {message}"
    # both scenarios ran, and each reports the student's line
    assert out.count(where) == 2, out
    assert "ERROR 1. Alice signs in to Photo Uploader" in out
    assert "ERROR 2. Mallory's app catches Alice's code" in out


def test_a_syntax_error_is_reported_at_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "01_pkce_pair.py"
    text = (EXERCISES / "01_pkce_pair.py").read_text()
    path.write_text(text.replace("    return True", "    return Tru e", 1))
    path.write_text(
        text.replace("    code_challenge = code_verifier\n", "    code_challenge = (\n")
    )
    code, out = check(capsys, str(path))
    assert code == 1
    assert f"{path.resolve()}:" in out and "SyntaxError" in out


def test_an_endless_loop_is_stopped_at_its_line_and_the_rest_still_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The student's function loops when a callback brings no state: each
    scenario that sends one is stopped after the step limit and reported at
    the loop; the honest scenario, which never does, runs and passes."""
    answer = solution("02_state_check").replace(
        "    if expected is None or received is None:\n",
        "    while received is None:\n"
        "        pass\n"
        "    if expected is None or received is None:\n",
    )
    path = with_answer("02_state_check", answer, tmp_path)
    code, out = check(capsys, str(path), "--seed", "3", "--step-limit", "1")
    assert code == 1
    loop = line_of(path, "while received is None:")
    # 1 s of CPU; on a starved machine the 30 s wait limit may come first.
    stopped = (
        r"Stopped after (1|30) s: this scenario never finished \(an endless loop\?\)"
    )
    assert re.search(
        rf"{re.escape(str(path.resolve()))}:({loop}|{loop + 1}): {stopped}", out
    ), out
    assert "PASS  1. Alice signs in to PhotoPrint" in out
    assert "ERROR 2. Mallory's code arrives while Alice is signing in" in out
    assert "ERROR 3. Mallory's code arrives when Alice has no sign-in" in out


def test_grading_goes_on_in_the_same_pool_after_a_stopped_worker(
    tmp_path: Path,
) -> None:
    looping = with_answer(
        "01_pkce_pair",
        "def make_pkce_pair() -> tuple[str, str]:\n    while True:\n        pass\n",
        tmp_path,
    )
    with LessonPool(1, step_limit=1) as pool:
        stuck = grader.grade_file(pool, looping, seed=1)
        good = read_source(EXERCISES / "02_state_check.py")
        assert isinstance(good, LessonSource)
        after = grader.grade(pool, good, seed=1)
        started = len(pool.started)
    assert [r.error is not None for r in stuck.results] == [True, True]
    assert all("never finished" in r.error.message for r in stuck.results if r.error)
    assert started == 3  # the first worker, and one for each stopped
    assert after.error is None and len(after.results) == 3
    assert [r.passed for r in after.results] == [True, False, False]


def test_check_all_grades_a_folder_of_submissions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, progress_file: Path
) -> None:
    submissions = tmp_path / "submissions"
    (submissions / "ada").mkdir(parents=True)
    (submissions / "bob").mkdir()
    (submissions / "cy").mkdir()
    (submissions / "ada" / "02_state_check.py").write_text(solution("02_state_check"))
    # Bob edited the scenarios too: only his function counts.
    cheat = (
        (EXERCISES / "02_state_check.py")
        .read_text()
        .replace("run.browser.status == 400 and not signed_in_as_mallory(run)", "True")
    )
    (submissions / "bob" / "02_state_check.py").write_text(cheat)
    (submissions / "cy" / "02_state_check.py").write_text("def state_matches(:\n")
    (submissions / "cy" / "notes.py").write_text("print('not an exercise')\n")
    report = tmp_path / "marks.csv"
    code, out = check(capsys, "--all", str(submissions), "--csv", str(report))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["student", "exercise", "scenarios", "passed"]
    assert lines[1].split() == ["ada", "02_state_check.py", "3/3"]
    assert lines[2].split() == ["bob", "02_state_check.py", "1/3"]
    assert lines[3].startswith("cy") and "0/3  (SyntaxError" in lines[3]
    assert len(lines) == 4
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    assert [(r["student"], r["passed"], r["total"]) for r in rows] == [
        ("ada", "3", "3"),
        ("bob", "1", "3"),
        ("cy", "0", "3"),
    ]
    assert not progress_file.exists()  # an instructor's marks are not progress


def test_splice_keeps_the_official_scenarios_and_the_students_helpers() -> None:
    official = (EXERCISES / "03_redirect_uri.py").read_text()
    text = grader.splice(
        official, solution("03_redirect_uri"), ["redirect_uri_allowed"]
    )
    assert "LOOPBACK = (" in text and "from urllib.parse import urlsplit" in text
    assert "@exercise.student\ndef redirect_uri_allowed(" in text
    assert "# RFC 9700 4.1.3, RFC 3986 6.2.1: simple string comparison." in text
    assert "# TODO" not in text
    assert text.count("def look_alikes(run):") == 1
    with pytest.raises(ValueError, match="no function redirect_uri_allowed"):
        grader.splice(official, "def other():\n    pass\n", ["redirect_uri_allowed"])


def test_module_state_of_the_students_code_starts_afresh_in_every_scenario(
    tmp_path: Path,
) -> None:
    """A list the student keeps at module level (a cache, a counter) does not
    carry from one scenario, or one grading, to the next in a worker."""
    counting = (
        "SEEN = []\n\n\n"
        "def state_matches(expected: str | None, received: str | None) -> bool:\n"
        "    SEEN.append(received)\n"
        "    print(f'call {len(SEEN)}')\n"
        "    return expected is not None and received == expected\n"
    )
    path = with_answer("02_state_check", counting, tmp_path)
    source = read_source(path)
    assert isinstance(source, LessonSource)
    with LessonPool(1) as pool:
        first = grader.grade(pool, source, seed=1)
        again = grader.grade(pool, source, seed=1)
    for graded in (first, again):
        assert [r.output.splitlines()[0] for r in graded.results] == ["call 1"] * 3
    assert first.results[0].output == again.results[0].output == "call 1\ncall 2\n"
