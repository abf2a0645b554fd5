"""`oauth-playground serve` under load: throughput, latency, errors and memory.

First times the lookup introspection and revocation make (`Store.find_token`)
in process, at 1,000 and 25,000 tokens. Then starts `serve` in its own
process on free loopback ports (so its memory is its own), once with JWT
access tokens and once with opaque ones, and for each:

0. times a new client's request while 99 connections are held open, silent
   or stalled in the middle of a request line (`--hold`);
1. issues access tokens until 1,000 exist, then times introspection alone;
2. issues more until 25,000 exist, then times introspection again (a lookup
   that scans grows with the tokens; an index does not);
3. runs 12 workers for 60 s (`--seconds`), each mixing token requests,
   calls to the photos API and introspection, and reports throughput,
   p50/p95/p99 per kind, errors (anything but the expected status, or no
   answer) and the server's RSS sampled every second.

Run: `.venv/bin/python bench/serve_load.py [--seconds 60] [--workers 12]
[--fill 25000] [--formats jwt opaque] [--mix 2 6 2]` (`--formats` alone:
the store's lookup only; `--mix 0 8 2`: no new tokens in the mixed phase).
`--source DIR` runs the same bench against another checkout (e.g. `git
archive` of an older commit), for a before/after comparison. Loopback
only; every loop is bounded in count and time and stops by itself. Measured
here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ("print-shop-service", "print-shop-secret")
API = ("photos-api", "photos-api-secret")
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
# Mixed phase: what a worker does next (weights: --mix).
KINDS = ("token", "api", "introspect")


def basic(client: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()


@dataclass
class Server:
    process: subprocess.Popen
    as_port: int
    rs_port: int

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(token_format: str, source: Path) -> Server:
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from playground.cli import main; sys.exit(main())",
            "serve",
            "--as-port",
            "0",
            "--rs-port",
            "0",
            "--token-format",
            token_format,
        ],
        cwd=source,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    banner = ""
    while "Press Ctrl-C" not in banner:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"serve did not start:\n{banner}")
        banner += line
    # Keep reading stdout so the server never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    issuer = re.search(r"^Authorization server\s+(\S+)$", banner, re.MULTILINE)
    api = re.search(r"^Resource server\s+(\S+)$", banner, re.MULTILINE)
    assert issuer and api, banner
    return Server(
        process,
        urlsplit(issuer.group(1)).port or 0,
        urlsplit(api.group(1)).port or 0,
    )


class Client:
    """One worker's keep-alive connections to both servers."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def request(
        self, port: int, method: str, path: str, body: str | None, headers: dict
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            connection = self.connections.get(port)
            if connection is None:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=REQUEST_TIMEOUT
                )
                self.connections[port] = connection
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    del self.connections[port]
                return response.status, data
            except (http.client.HTTPException, OSError):
                connection.close()
                self.connections.pop(port, None)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def token(self) -> tuple[int, str | None]:
        status, data = self.request(
            self.server.as_port,
            "POST",
            "/token",
            urlencode({"grant_type": "client_credentials", "scope": "photos.read"}),
            {
                "Authorization": basic(SERVICE),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return status, json.loads(data)["access_token"] if status == 200 else None

    def introspect(self, token: str) -> tuple[int, bool]:
        status, data = self.request(
            self.server.as_port,
            "POST",
            "/introspect",
            urlencode({"token": token}),
            {
                "Authorization": basic(API),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return status, status == 200 and json.loads(data).get("active") is True

    def api(self, token: str) -> int:
        status, _ = self.request(
            self.server.rs_port,
            "GET",
            "/api/photos",
            None,
            {"Authorization": f"Bearer {token}"},
        )
        return status

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def issue(server: Server, count: int, workers: int) -> tuple[list[str], int]:
    """Issue `count` tokens with `workers` threads; (some tokens, errors)."""
    tokens: list[str] = []
    errors = [0]
    lock = threading.Lock()
    remaining = [count]

    def work() -> None:
        client = Client(server)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            try:
                status, token = client.token()
            except OSError:
                status, token = 0, None
            with lock:
                if status != 200 or token is None:
                    errors[0] += 1
                else:
                    tokens.append(token)
                    del tokens[:-1000]  # the newest thousand
        client.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tokens, errors[0]


def time_introspection(
    server: Server, tokens: list[str], count: int, active: bool = True
) -> list[float]:
    """One client, one request at a time: the lookup's own latency. The
    tokens are the newest (a scan in issue order meets them last), or
    unknown ones (a scan looks through every access and refresh token)."""
    client = Client(server)
    times = []
    for i in range(-WARM_UP, count):
        started = time.perf_counter()
        status, found = client.introspect(tokens[i % len(tokens)])
        if i >= 0:
            times.append(time.perf_counter() - started)
        assert status == 200 and found is active, (status, found)
    client.close()
    return times


# Requests sent before timing starts (connection, caches, the interpreter's
# specialisation), and rounds whose median percentile is reported: one
# round's p95 moves by milliseconds with whatever else the machine does.
WARM_UP = 200
ROUNDS = 5


def steady(server: Server, tokens: list[str], count: int, active: bool) -> str:
    rounds = [time_introspection(server, tokens, count, active) for _ in range(ROUNDS)]
    p50 = statistics.median(percentile(r, 50) for r in rounds)
    p95 = statistics.median(percentile(r, 95) for r in rounds)
    return f"p50 {p50:.2f} ms p95 {p95:.2f} ms"


def introspection_line(server: Server, tokens: list[str], label: str, n: int) -> str:
    unknown = [f"unknown-{i}" for i in range(100)]
    return (
        f"introspection at {label:>3} tokens: newest {steady(server, tokens, n, True)}"
        f"; unknown {steady(server, unknown, n, False)}"
        f"  (RSS {server.rss_mb():.0f} MB)"
    )


def hold_connections(server: Server, count: int, partial: bool) -> float:
    """Seconds a new client waits while `count` connections are held open,
    silent or stalled in the middle of a request line."""
    held = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", server.as_port), 10)
            if partial:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            held.append(s)
        time.sleep(0.2)
        client = Client(server)
        started = time.perf_counter()
        try:
            status, _ = client.request(
                server.as_port, "GET", "/jwks.json", None, {"Host": "127.0.0.1"}
            )
        except OSError:  # no answer within REQUEST_TIMEOUT (twice)
            return float("inf")
        finally:
            client.close()
        assert status == 200, status
        return time.perf_counter() - started
    finally:
        for s in held:
            s.close()


def mixed(
    server: Server,
    tokens: list[str],
    seconds: float,
    workers: int,
    seed: int,
    mix: tuple[tuple[str, int], ...],
) -> tuple[Results, list[tuple[float, float]], float]:
    results = Results()
    stop = threading.Event()
    kinds = [kind for kind, weight in mix for _ in range(weight)]

    def work(worker: int) -> None:
        rng = random.Random(seed + worker)
        client = Client(server)
        mine = list(tokens[worker::workers]) or list(tokens)
        while not stop.is_set():
            kind = rng.choice(kinds)
            started = time.perf_counter()
            try:
                if kind == "token":
                    status, token = client.token()
                    ok = status == 200
                    if token:
                        mine[rng.randrange(len(mine))] = token
                elif kind == "api":
                    ok = client.api(rng.choice(mine)) == 200
                else:
                    status, active = client.introspect(rng.choice(mine))
                    ok = status == 200 and active
            except OSError:
                ok = False
            results.add(kind, time.perf_counter() - started, ok)
        client.close()

    rss: list[tuple[float, float]] = []
    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while (elapsed := time.perf_counter() - started) < seconds:
        rss.append((elapsed, server.rss_mb()))
        time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    return results, rss, time.perf_counter() - started


def bench(token_format: str, args: argparse.Namespace) -> None:
    print(f"\n== {token_format} access tokens ==", flush=True)
    server = start_server(token_format, args.source)
    try:
        rss_start = server.rss_mb()
        for partial in (False, True):
            waited = hold_connections(server, args.hold, partial)
            kind = "stalled mid-request" if partial else "silent"
            print(
                f"a new client with {args.hold} {kind} connections open: "
                f"answered in {waited:.2f} s",
                flush=True,
            )
        tokens, errors = issue(server, 1000, args.workers)
        print(introspection_line(server, tokens, "1k", args.introspections))
        started = time.perf_counter()
        tokens, more_errors = issue(server, args.fill - 1000, args.workers)
        errors += more_errors
        fill_time = time.perf_counter() - started
        print(
            introspection_line(
                server, tokens, f"{args.fill // 1000}k", args.introspections
            )
            + f"; filled at {(args.fill - 1000) / fill_time:.0f} tokens/s, "
            f"{errors} errors",
            flush=True,
        )
        mix = tuple(zip(KINDS, args.mix, strict=True))
        print(
            "mix: " + ", ".join(f"{kind} {weight}" for kind, weight in mix), flush=True
        )
        results, rss, elapsed = mixed(
            server, tokens, args.seconds, args.workers, args.seed, mix
        )
        total = sum(len(v) for v in results.latencies.values())
        print(
            f"mixed, {args.workers} workers, {elapsed:.0f} s: "
            f"{total / elapsed:.0f} requests/s, "
            f"{sum(results.errors.values())} errors",
            flush=True,
        )
        for kind in KINDS:
            values = results.latencies[kind]
            if values:
                print(
                    f"  {kind:<11} {len(values):>7} requests  "
                    f"p50 {percentile(values, 50):6.2f} ms  "
                    f"p95 {percentile(values, 95):6.2f} ms  "
                    f"p99 {percentile(values, 99):6.2f} ms  "
                    f"errors {results.errors[kind]}"
                )
        warm = [mb for t, mb in rss if t >= args.warmup]
        print(
            f"RSS: {rss_start:.0f} MB at start, {rss[0][1]:.0f} MB when the mix "
            f"began, {warm[0]:.0f} -> {warm[-1]:.0f} MB after {args.warmup:.0f} s "
            f"of warm-up ({(warm[-1] / warm[0] - 1) * 100:+.1f}%), max {max(warm):.0f}"
        )
        every = max(1, len(rss) // 12)
        print(
            "RSS over time (s: MB): "
            + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb in rss[::every])
        )
    finally:
        server.stop()


def store_lookups(counts: tuple[int, ...], lookups: int = 20_000) -> None:
    """The lookup introspection and revocation make, alone and in process:
    `Store.find_token` with the newest token and an unknown one."""
    sys.path.insert(0, str(ROOT))
    from mock_servers.clock import Clock
    from mock_servers.models import Client as Registered
    from mock_servers.models import Token
    from mock_servers.store import Store

    clock = Clock()
    client = Registered("c", "C", "confidential", (), (), (), "", ())
    store = Store(clock=clock)
    issued = 0
    for count in counts:
        while issued < count:
            token_id = f"t{issued}"
            store.save_token(
                Token(
                    id=token_id,
                    client=client,
                    user=None,
                    scope="photos.read",
                    access_token=f"access-{issued:08d}-" + "x" * 30,
                    issued_at=clock.now(),
                    expires_in=3600,
                    family_id=token_id,
                    grant_type="client_credentials",
                    refresh_token=f"refresh-{issued:08d}",
                    clock=clock,
                )
            )
            issued += 1
        figures = []
        for label, wanted in (
            ("newest", f"access-{issued - 1:08d}-" + "x" * 30),
            ("unknown", "no-such-token"),
        ):
            times = []
            for _ in range(lookups):
                started = time.perf_counter()
                store.find_token(wanted)
                times.append(time.perf_counter() - started)
            figures.append(
                f"{label} p50 {percentile(times, 50) * 1000:.2f} us "
                f"p95 {percentile(times, 95) * 1000:.2f} us"
            )
        print(f"store lookup at {count // 1000:>3}k tokens: " + "; ".join(figures))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--fill", type=int, default=25_000)
    parser.add_argument(
        "--introspections", type=int, default=1000, help="per round, 5 rounds"
    )
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formats", nargs="*", default=["jwt", "opaque"])
    parser.add_argument(
        "--hold", type=int, default=99, help="connections held open at the start"
    )
    parser.add_argument(
        "--mix",
        nargs=3,
        type=int,
        default=[2, 6, 2],
        metavar=("TOKEN", "API", "INTROSPECT"),
        help="weights of the mixed phase's requests",
    )
    parser.add_argument("--source", type=Path, default=ROOT)
    args = parser.parse_args()
    if args.source == ROOT:
        store_lookups((1000, args.fill))
    for token_format in args.formats:
        bench(token_format, args)


if __name__ == "__main__":
    main()
