"""A class on one machine: many sessions against one `oauth-playground ui`.

Each session is a lightweight driver speaking Streamlit's own websocket
protocol (`/_stcore/stream`, protobuf BackMsg/ForwardMsg) the way a browser
tab does: it opens the Lessons page on the PKCE lesson and presses Next to
the end and Back to the start, with a student's pause between clicks. No
browser runs, so what this machine spends is the server's: its CPU is read
from /proc (the Streamlit process, the `neato` runs it waited for, and the
lesson workers), apart from the drivers' own CPU.

Phases, each bounded in time, loopback only:
0. a few real Chromium tabs left idle on a step (`--browsers`): the server's
   CPU per idle tab, and Chromium's own on this machine, apart;
1. one session alone: its click latency (the reference p95);
2. N sessions at once: click latency p50/p95/p99 (send to script_finished),
   errors (an exception on the page, a wrong step, a timeout, a dropped
   connection), server CPU per click, memory per session;
3. the N sessions idle, connected: the server's CPU meanwhile;
4. the tabs closed: how soon the server's memory comes back.

Run: `.venv/bin/python bench/class_load.py [--sessions 30] [--seconds 60]`.
Measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_apps import App, child_pids, cpu_seconds, playground, rss_bytes

PKCE = "03_authorization_code_pkce.py"
STEPS = 7
CLICK_TIMEOUT = 30.0  # seconds: a click not answered by then is an error
THINK = (1.0, 3.0)  # seconds a student looks at a step before the next click
COUNTER = re.compile(r"\*\*Step (\d+) of (\d+)\*\*")
MEMORY_WATCH = 150.0  # seconds to watch memory come back after the tabs close


@dataclass
class Page:
    """What a driver knows of its page after a run: its buttons and step."""

    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> ids
    step: int | None = None
    query: str = ""
    exception: str | None = None


class Session:
    """One tab: a websocket and the page it shows."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.page = Page(query=f"lesson={PKCE}&step=0")
        self.ws: websockets.ClientConnection | None = None

    async def open(self) -> float:
        url = self.app.url.replace("http://", "ws://") + "_stcore/stream"
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            origin=self.app.url.rstrip("/"),  # type: ignore[arg-type]
            max_size=None,
            ping_interval=None,
        )
        return await self._rerun(None)

    async def click(self, label: str) -> float:
        return await self._rerun(label)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _rerun(self, label: str | None) -> float:
        """Send a rerun (a click on `label`, or a page load) and read until
        the run finishes; the seconds it took."""
        assert self.ws is not None
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.page.query
        if label is not None:
            widget_id, fragment_id = self.page.buttons[label]
            widget = WidgetState(id=widget_id, trigger_value=True)
            state.widget_states.widgets.append(widget)
            state.fragment_id = fragment_id
        self.page.exception = None
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        async with asyncio.timeout(CLICK_TIMEOUT):
            while True:
                incoming = ForwardMsg()
                incoming.ParseFromString(await self.ws.recv())
                self._read(incoming)
                if incoming.WhichOneof("type") == "script_finished":
                    return time.perf_counter() - started

    def _read(self, incoming: ForwardMsg) -> None:
        kind = incoming.WhichOneof("type")
        if kind == "page_info_changed":
            self.page.query = incoming.page_info_changed.query_string
        if kind != "delta" or not incoming.delta.HasField("new_element"):
            return
        element = incoming.delta.new_element
        what = element.WhichOneof("type")
        if what == "button":
            ids = (element.button.id, incoming.delta.fragment_id)
            self.page.buttons[element.button.label] = ids
        elif what == "markdown":
            found = COUNTER.match(element.markdown.body)
            if found:
                self.page.step = int(found.group(1))
        elif what == "exception":
            self.page.exception = element.exception.message or "exception"


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clicks(self) -> int:
        return len(self.latencies)


async def arrive(app: App, figures: Figures) -> Session | None:
    """A tab opens the lesson (a new session: keys, a full page)."""
    session = Session(app)
    try:
        figures.latencies.append(await session.open())
        return session
    except (TimeoutError, websockets.ConnectionClosed, OSError) as error:
        figures.errors.append(f"{type(error).__name__}: {error}")
        await session.close()
        return None


async def student(
    session: Session, figures: Figures, until: float, rng: random.Random, pause: bool
) -> Session | None:
    """Next to the end and Back to the start until `until`; the session is
    returned still open (the tab stays)."""
    try:
        going = "Next"
        while time.monotonic() < until:
            if pause:
                await asyncio.sleep(rng.uniform(*THINK))
            step = session.page.step or 0
            if step >= STEPS:
                going = "Back"
            elif step <= 0:
                going = "Next"
            want = step + 1 if going == "Next" else step - 1
            figures.latencies.append(await session.click(going))
            if session.page.exception:
                figures.errors.append(f"exception: {session.page.exception}")
            elif session.page.step != want:
                figures.errors.append(f"step {session.page.step}, wanted {want}")
        return session
    except (TimeoutError, websockets.ConnectionClosed, OSError, KeyError) as error:
        figures.errors.append(f"{type(error).__name__}: {error}")
        await session.close()
        return None


class Server:
    """The server's processes: Streamlit and its lesson workers."""

    def __init__(self, app: App) -> None:
        self.pid = app.streamlit_pid()

    def pids(self) -> list[int]:
        return [self.pid, *child_pids(self.pid)]

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def rss(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids())

    def rss_parts(self) -> str:
        workers = sum(rss_bytes(pid) for pid in child_pids(self.pid))
        return (
            f"Streamlit {rss_bytes(self.pid) / 2**20:.0f} MB + "
            f"workers {workers / 2**20:.0f} MB"
        )


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (Playwright's driver and its Chromium)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def idle_browsers(app: App, server: Server, tabs: int, seconds: float) -> None:
    """A few real tabs left open on a step: what they cost the server, and
    what Chromium itself spends on this machine, apart."""
    from playwright.sync_api import sync_playwright
    from streamlit_apps import CHROMIUM_ARGS, VIEWPORT, find_chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), args=CHROMIUM_ARGS
        )
        pages = []
        for _ in range(tabs):
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{app.url}?lesson={PKCE}&step=5")
            page.get_by_text(f"Step 5 of {STEPS}", exact=True).wait_for(timeout=60_000)
            pages.append(page)
        time.sleep(3)  # the last page's first paint and fetches
        chromium = descendants(os.getpid())
        browser_cpu = sum(cpu_seconds(pid, waited_children=False) for pid in chromium)
        server_cpu, started = server.cpu(), time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        server_cpu = server.cpu() - server_cpu
        browser_cpu = (
            sum(cpu_seconds(pid, waited_children=False) for pid in chromium)
            - browser_cpu
        )
        browser.close()
    print(
        f"{tabs} Chromium tabs idle on step 5 for {elapsed:.0f} s: server "
        f"{server_cpu / elapsed / tabs * 100:.2f}% of a core a tab; "
        f"Chromium itself {browser_cpu / elapsed / tabs * 100:.2f}% a tab"
    )


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def latency_line(figures: Figures) -> str:
    ms = [value * 1000 for value in figures.latencies]
    return (
        f"p50 {percentile(ms, 50):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms  "
        f"p99 {percentile(ms, 99):6.1f} ms  ({len(ms)} clicks, "
        f"{len(figures.errors)} errors)"
    )


async def phase(
    app: App, server: Server, sessions: int, seconds: float
) -> tuple[Figures, list[Session], float, float]:
    """`sessions` tabs arrive together, then click for `seconds`: the click
    figures, the open tabs, the server's CPU seconds and the phase's length
    (both for the clicking only)."""
    arrivals = Figures()
    started = time.monotonic()
    cpu = server.cpu()
    opened = await asyncio.gather(*(arrive(app, arrivals) for _ in range(sessions)))
    tabs = [session for session in opened if session is not None]
    print(
        f"  {len(tabs)} tabs opened in {time.monotonic() - started:.1f} s: first "
        f"page {latency_line(arrivals)}; server CPU "
        f"{(server.cpu() - cpu) / max(sessions, 1) * 1000:.0f} ms a tab"
    )
    figures = Figures(errors=arrivals.errors)
    rng = random.Random(sessions)
    until = time.monotonic() + seconds
    cpu, mine, started = server.cpu(), own_cpu(), time.monotonic()
    clicking = await asyncio.gather(
        *(student(tab, figures, until, rng, pause=True) for tab in tabs)
    )
    elapsed = time.monotonic() - started
    server_cpu = server.cpu() - cpu
    driver_cpu = own_cpu() - mine
    alive = [session for session in clicking if session is not None]
    print(f"  driver CPU: {driver_cpu:.1f} s in {elapsed:.0f} s (not the server's)")
    return figures, alive, server_cpu, elapsed


async def main_async(args: argparse.Namespace) -> None:
    with playground() as app:
        server = Server(app)
        warm = Session(app)  # imports, workers, outlines: not a learner's cost
        await warm.open()
        for _ in range(STEPS):
            await warm.click("Next")
        await warm.close()
        await asyncio.sleep(2)
        base_rss = server.rss()
        print(f"warm server: {server.rss_parts()}")
        if args.browsers:
            await asyncio.to_thread(
                idle_browsers, app, server, args.browsers, args.idle
            )
            await asyncio.sleep(2)
            base_rss = server.rss()

        print(f"1 session alone, {args.alone:.0f} s:")
        alone, tabs, cpu, _ = await phase(app, server, 1, args.alone)
        print(f"  latency {latency_line(alone)}")
        print(f"  server CPU per click: {cpu / max(alone.clicks(), 1) * 1000:.1f} ms")
        for tab in tabs:
            await tab.close()
        await asyncio.sleep(1)

        print(f"{args.sessions} sessions, {args.seconds:.0f} s:")
        load, tabs, cpu, elapsed = await phase(app, server, args.sessions, args.seconds)
        loaded_rss = server.rss()
        print(f"  latency {latency_line(load)}")
        ratio = percentile(load.latencies, 95) / percentile(alone.latencies, 95)
        print(f"  p95 under load / p95 alone: {ratio:.2f}x")
        per_click = cpu / max(load.clicks(), 1) * 1000
        print(
            f"  server CPU per click: {per_click:.1f} ms "
            f"({cpu / elapsed * 100:.0f}% of one core over the phase)"
        )
        for error in sorted(set(load.errors))[:10]:
            print(f"  error: {error} (x{load.errors.count(error)})")
        growth = loaded_rss - base_rss
        print(
            f"  memory: {base_rss / 2**20:.0f} MB before, "
            f"{loaded_rss / 2**20:.0f} MB with {len(tabs)} sessions open: "
            f"{growth / max(len(tabs), 1) / 2**20:.1f} MB a session "
            f"({server.rss_parts()})"
        )

        cpu_before, idle_start = server.cpu(), time.monotonic()
        await asyncio.sleep(args.idle)
        idle_cpu = server.cpu() - cpu_before
        idle_time = time.monotonic() - idle_start
        print(
            f"{len(tabs)} sessions idle for {idle_time:.0f} s: server CPU "
            f"{idle_cpu * 1000:.0f} ms ({idle_cpu / idle_time * 100:.2f}% of a core, "
            f"{idle_cpu / idle_time / max(len(tabs), 1) * 100:.3f}% a page)"
        )

        for tab in tabs:
            await tab.close()
        closed = time.monotonic()
        print("tabs closed; server memory (MB) every 15 s:", end="", flush=True)
        back_at = None
        while time.monotonic() - closed < MEMORY_WATCH:
            await asyncio.sleep(15)
            now = server.rss()
            print(f" {now / 2**20:.0f}", end="", flush=True)
            if back_at is None and now - base_rss <= 0.25 * max(growth, 1):
                back_at = time.monotonic() - closed
        print(f"\n  then: {server.rss_parts()}")
        if back_at is None:
            print(f"  RSS not back within {MEMORY_WATCH:.0f} s")
        else:
            print(
                f"  back within {back_at:.0f} s (within a quarter of the growth "
                "above the warm server)"
            )
        # What the processes freed, they reuse: a second class the same size.
        before_second = server.rss()
        print(f"a second class of {args.sessions} sessions, {args.seconds:.0f} s:")
        second, tabs, _, _ = await phase(app, server, args.sessions, args.seconds)
        print(f"  latency {latency_line(second)}")
        print(
            f"  memory grew {(server.rss() - before_second) / 2**20:.1f} MB "
            f"(the first class: {growth / 2**20:.1f} MB)"
        )
        for tab in tabs:
            await tab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--alone", type=float, default=30.0)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument(
        "--browsers", type=int, default=5, help="idle Chromium tabs (0: none)"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
