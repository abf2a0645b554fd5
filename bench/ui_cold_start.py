"""How long `oauth-playground ui` takes from a cold start until Streamlit
answers `/_stcore/health`, and to stop again on Ctrl-C.

Starts the real command line on a free loopback port N times, one after the
other. Prints median and max. Run: `.venv/bin/python bench/ui_cold_start.py
[--runs N]`. Measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
START_TIMEOUT = 60.0  # seconds
STOP_TIMEOUT = 15.0  # seconds, after Ctrl-C and again after SIGTERM
POLL = 0.02  # seconds between health checks: the resolution of the figure


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


def stop(process: subprocess.Popen[bytes]) -> int:
    """Ctrl-C to the group as in a terminal; SIGTERM, then kill, if it hangs."""
    if process.poll() is not None:
        return process.returncode
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.terminate()  # `ui` passes SIGTERM on to Streamlit
    try:
        return process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def cold_start(client: httpx.Client) -> tuple[float, float]:
    """(start to healthy, Ctrl-C to exited) in seconds, for one fresh process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    command = [sys.executable, "-m", "playground", "ui", "--port", str(port)]
    command += ["--lessons", str(LESSONS)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not healthy(client, url):
            if process.poll() is not None:
                raise SystemExit(f"`ui` exited with {process.returncode}")
            if time.perf_counter() - started > START_TIMEOUT:
                raise SystemExit(f"no answer from {url} in {START_TIMEOUT:.0f} s")
            time.sleep(POLL)
        up = time.perf_counter() - started
    finally:
        stopping = time.perf_counter()
        code = stop(process)
        down = time.perf_counter() - stopping
    if code != 0:
        raise SystemExit(f"`ui` stopped with exit code {code}")
    return up, down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with httpx.Client(timeout=1.0) as client:
        times = [cold_start(client) for _ in range(args.runs)]
    ups = [up for up, _ in times]
    downs = [down for _, down in times]
    print(f"oauth-playground ui, {args.runs} cold starts on free loopback ports")
    print(
        f"start to /_stcore/health 200 : median {statistics.median(ups):6.2f} s"
        f"   max {max(ups):6.2f} s"
    )
    print(
        f"Ctrl-C to exited            : median {statistics.median(downs):6.2f} s"
        f"   max {max(downs):6.2f} s"
    )


if __name__ == "__main__":
    main()
