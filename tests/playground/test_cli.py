"""`oauth-playground ui`: Streamlit on the playground app, loopback by default."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import playground.cli as cli
from playground.cli import main, streamlit_command
from playground.lesson.runner import LESSONS_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "playground" / "ui" / "app.py"


def test_ui_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ui", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--port", "--lessons DIR", "--host", "127.0.0.1"):
        assert option in out


def test_streamlit_command_is_headless_quiet_and_on_loopback() -> None:
    assert streamlit_command(8599) == [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        "8599",
    ]
    assert Path(streamlit_command()[4]).is_absolute()


def test_streamlit_command_takes_the_host_and_python() -> None:
    command = streamlit_command(9000, "0.0.0.0", python="/opt/py")
    assert command[0] == "/opt/py"
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert command[-1] == "9000"


class FakeProcess:
    """Stands in for Streamlit's process; records the signals it is sent."""

    def __init__(self, command: list[str], env: dict[str, str], **options) -> None:
        self.command, self.env, self.options = command, env, options
        self.code = 3
        self.signals: list[int] = []

    def wait(self, timeout: float | None = None) -> int:
        return self.code

    def poll(self) -> int:
        return self.code

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)

    def terminate(self) -> None:
        self.signals.append(signal.SIGTERM)


def fake_popen(
    monkeypatch: pytest.MonkeyPatch, kind: type[FakeProcess] = FakeProcess
) -> list[FakeProcess]:
    """Replace subprocess.Popen; the list fills with the processes started."""
    started: list[FakeProcess] = []

    def popen(command: list[str], **options) -> FakeProcess:
        started.append(kind(command, **options))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def test_ui_passes_lessons_through_the_environment_and_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = fake_popen(monkeypatch)
    assert main(["ui", "--port", "8600", "--lessons", str(tmp_path)]) == 3
    (process,) = started
    command = process.command
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert process.env[LESSONS_DIR_ENV] == str(tmp_path.resolve())
    assert process.options == {"start_new_session": True}


def test_ui_refuses_a_missing_lessons_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", "--lessons", str(tmp_path / "nope")]) == 2
    assert "no lesson folder" in capsys.readouterr().err


def test_ui_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ui", "--port", "http"])
    assert "is not a port" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ui_serves_the_app_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "playground", "ui", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C goes to the whole group, as in a terminal
    )
    try:
        deadline = time.monotonic() + 30
        healthy = False
        while time.monotonic() < deadline and not healthy:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_stcore/health")
                healthy = health.text == "ok"
            except httpx.TransportError:
                time.sleep(0.3)
        assert healthy, "Streamlit did not answer /_stcore/health"
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.terminate()  # passed on to Streamlit, which then stops
            process.wait(timeout=15)
        assert process.stdout is not None
        process.stdout.close()


def test_ctrl_c_is_forwarded_once_and_streamlits_code_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Interrupted(FakeProcess):
        def wait(self, timeout: float | None = None) -> int:
            if not self.signals:
                raise KeyboardInterrupt  # Ctrl-C while Streamlit runs
            return 0

    started = fake_popen(monkeypatch, Interrupted)
    args = SimpleNamespace(port=8601, host="127.0.0.1", lessons=None)
    assert cli._run_ui(args) == 0
    assert started[0].signals == [signal.SIGINT]


def test_sigterm_is_passed_on_to_streamlit(monkeypatch: pytest.MonkeyPatch) -> None:
    class Killed(FakeProcess):
        def wait(self, timeout: float | None = None) -> int:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # `kill` arrives
            return -signal.SIGTERM

    before = signal.getsignal(signal.SIGTERM)
    started = fake_popen(monkeypatch, Killed)
    args = SimpleNamespace(port=8601, host="127.0.0.1", lessons=None)
    assert cli._run_ui(args) == 128 + signal.SIGTERM
    assert started[0].signals == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is before  # restored afterwards


def test_which_grant_answers_from_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["which-grant", "--who", "user", "--runs", "device"]
    assert main([*args, "--login", "no", "--offline", "no"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Use: Authorization code with PKCE, in the system browser")
    assert "Lesson: lessons/03b_native_app.py" in out
    assert "And:" not in out  # no sign-in, no offline access asked for
    assert "lessons/06_password.py" in out  # listed only as never for a new app


def test_which_grant_asks_what_the_options_left_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = iter(["9", "browser", "1", "2"])  # a wrong number is asked again
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    assert main(["which-grant", "--who", "user"]) == 0
    out = capsys.readouterr().out
    assert "Type a number from 1 to 4." in out
    assert "Use: Authorization code with PKCE (" in out
    assert "And: OpenID Connect (scope openid)" in out


def test_which_grant_without_an_answer_at_eof_names_the_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_more(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_more)
    assert main(["which-grant"]) == 2
    assert "error: answer --who (machine|user)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "details"),
    [("127.0.0.1", None), ("localhost", None), ("::1", None), ("0.0.0.0", "type")],
)
def test_beyond_loopback_an_error_shows_its_type_not_server_paths(
    host: str, details: str | None
) -> None:
    command = streamlit_command(8599, host)
    option = "--client.showErrorDetails"
    shown = command[command.index(option) + 1] if option in command else None
    assert shown == details  # Streamlit's default ("full") on the teacher's machine
