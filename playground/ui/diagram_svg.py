"""Sequence diagrams drawn once on the server, as SVG, and kept.

`st.graphviz_chart` lays the diagram out again in WebAssembly in the browser
at every rerun (~90 ms of a Next on a 2-core machine). Here Graphviz's own
`neato` binary lays it out once per DOT source, and every session that shows
the same diagram (a class on the same step with the same switches) gets the
kept SVG. The key is the DOT text itself, so two diagrams that differ in
anything, a tooltip's token included, are never mixed up.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections import OrderedDict
from concurrent.futures import Future

from playground.views.handout import diagram_svg

MAX_DIAGRAMS = 256  # SVGs kept per process (~20-60 kB each)


class DiagramRenderer:
    """DOT to SVG with the `neato` binary, each distinct DOT rendered once;
    callers asking for one that is being rendered wait for that run."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("neato")
        self._lock = threading.Lock()
        self._done: OrderedDict[str, str | None] = OrderedDict()
        self._pending: dict[str, Future[str | None]] = {}
        self.rendered = 0  # `neato` runs so far (for tests and benches)

    @property
    def available(self) -> bool:
        return self.binary is not None

    def svg(self, dot: str) -> str | None:
        """The diagram as inline SVG, or None without Graphviz (or when it
        fails: the caller then falls back to the browser's renderer)."""
        if self.binary is None:
            return None
        key = hashlib.sha256(dot.encode()).hexdigest()
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
        if not owner:
            return future.result()
        try:
            svg = self._render(dot)
        finally:
            with self._lock:
                self._pending.pop(key, None)
        with self._lock:
            self._done[key] = svg
            while len(self._done) > MAX_DIAGRAMS:
                self._done.popitem(last=False)
        future.set_result(svg)
        return svg

    def _render(self, dot: str) -> str | None:
        svg = diagram_svg(dot, self.binary)
        self.rendered += 1
        return svg
