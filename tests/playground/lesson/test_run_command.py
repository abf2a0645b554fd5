"""`oauth-playground run` and `lessons` on the files a hostile tester writes:
each is one clear error line at the lesson's file and line, exit code 1; a
real Ctrl-C stops the command with one line and exit code 130, and leaves no
worker behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.cli import main
from tests.playground.lesson.broken_lessons import (
    BROKEN,
    EXPECTED,
    lines_of,
    running,
    write_broken_folder,
)

ROOT = Path(__file__).resolve().parents[3]
LIMIT = 1
WAIT = 30  # the least a step may wait: sleep_step.py is left to the pool tests


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_broken_folder(tmp_path_factory.mktemp("broken"))


def expected_line(folder: Path, name: str) -> re.Pattern[str]:
    """`error: FILE:LINE: MESSAGE (step N: TITLE)`, LINE one of the lines."""
    marker, message, step = EXPECTED[name]
    path = (folder / name).resolve()
    lines = "|".join(str(n) for n in lines_of(folder / name, marker))
    in_step = rf" \(step {step}: [^)]+\)" if step else ""
    text = re.escape(message.format(limit=LIMIT, wait=WAIT))
    return re.compile(rf"error: {re.escape(str(path))}:({lines}): {text}.*{in_step}")


@pytest.mark.parametrize("name", sorted(set(BROKEN) - {"sleep_step.py"}))
def test_run_reports_a_broken_lesson_in_one_line_and_exits_1(
    folder: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(folder / name), "--step-limit", str(LIMIT)])
    out, err = capsys.readouterr()
    assert code == 1
    first = err.splitlines()[0]
    assert expected_line(folder, name).fullmatch(first), first
    # The student's frames: after the line (a load), or in the step's report.
    assert "Traceback (most recent call last):" in out + err


def test_lessons_lists_the_broken_files_and_still_the_good_ones(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTH_PLAYGROUND_STEP_LIMIT", str(LIMIT))
    assert main(["lessons", "--dir", str(folder)]) == 0
    rows = {
        name: rest.strip()
        for name, _, rest in (
            line.strip().partition("  ")
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("  ")
        )
    }
    assert rows["loop_import.py"].startswith("BROKEN: ")
    assert (
        "Stopped after 1 s: the file never finished loading" in rows["loop_import.py"]
    )
    assert rows["exit_import.py"].endswith(":6: SystemExit: 3")
    assert rows["loop_step.py"] == "level: beginner      Loops in a step"


def test_ctrl_c_stops_run_with_one_line_and_no_worker_left(folder: Path) -> None:
    pid_file = folder / "loop_step.pid"
    pid_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "playground", "run", str(folder / "loop_step.py")]
    process = subprocess.Popen(
        [*command, "--step-limit", "3600"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C goes to the whole group, as in a terminal
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists():  # the lesson's endless loop has begun
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        worker = int(pid_file.read_text())
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert err.decode() == "oauth-playground: interrupted\n"
    assert not running(worker)
