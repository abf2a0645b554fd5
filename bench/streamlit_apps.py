"""Shared by the browser benches: start a Streamlit app on loopback, read a
process's CPU and memory from /proc, find Debian's Chromium.

Not a benchmark itself (no `main`): `ui_browser_latency.py` and
`class_load.py` import it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# As in tests/browser/test_lessons_in_chromium.py: Debian's Chromium, headless.
CHROMIUM_NAMES = ("chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1000}

# A one-button Streamlit app: the floor any Streamlit page's click stands on.
ONE_BUTTON_APP = """
import streamlit as st

st.session_state.setdefault("clicks", 0)


def click() -> None:
    st.session_state.clicks += 1


st.button("Click", key="click", on_click=click)
st.markdown(f"**Clicks: {st.session_state.clicks}**")
"""


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class App:
    """A running app: its URL and the process that serves it."""

    url: str
    process: subprocess.Popen[bytes]

    def streamlit_pid(self) -> int:
        """The Streamlit server's pid: `oauth-playground ui` starts it as its
        child; a plain `streamlit run` is the process itself."""
        children = child_pids(self.process.pid)
        return children[0] if children else self.process.pid


def child_pids(pid: int) -> list[int]:
    """Children started by any of the process's threads (each thread's
    `children` lists only its own: a worker a sweeper thread started is not
    the main thread's)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(part) for part in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pid: int, *, waited_children: bool = True) -> float:
    """User + system CPU of a process (and of children it has waited for, as
    `neato` runs are), from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError):
        return 0
    return pages * PAGE_SIZE


def wait_healthy(app: App) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise SystemExit(f"{app.url} exited with {app.process.returncode}")
        try:
            if httpx.get(f"{app.url}_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no answer from {app.url} in {START_TIMEOUT:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C to the group as in a terminal; SIGTERM, then kill, if it hangs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=STOP_TIMEOUT)
        return
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serve(
    command: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[App]:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    app = App(f"http://127.0.0.1:{port}/", process)
    try:
        wait_healthy(app)
        yield app
    finally:
        stop(process)


@contextmanager
def playground(port: int | None = None) -> Iterator[App]:
    """`oauth-playground ui` with the repository's lessons."""
    port = port or free_port()
    command = [sys.executable, "-m", "playground", "ui", "--port", str(port)]
    with serve([*command, "--lessons", str(LESSONS)], port) as app:
        yield app


@contextmanager
def one_button_app(folder: Path) -> Iterator[App]:
    """The one-button app, served the way the playground is (headless)."""
    script = folder / "one_button.py"
    script.write_text(ONE_BUTTON_APP, encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    with serve(command, port) as app:
        yield app
