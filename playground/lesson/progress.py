"""A student's progress through the exercises, in a small JSON file.

Kept only where the playground runs on the student's own machine (the CLI,
or the UI on loopback): a classroom server serves many students and keeps
each one's progress in their browser session instead. The file says, per
exercise file name, how many scenarios passed at the last check and
whether all of them ever did.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROGRESS_ENV = "OAUTH_PLAYGROUND_PROGRESS"


def default_progress_file() -> Path:
    """`$OAUTH_PLAYGROUND_PROGRESS`, else ~/.oauth-playground/progress.json."""
    configured = os.environ.get(PROGRESS_ENV)
    if configured:
        return Path(configured)
    return Path.home() / ".oauth-playground" / "progress.json"


def is_loopback(host: str | None) -> bool:
    """Whether a server address is this machine only (a learner's own)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ExerciseProgress:
    passed: int
    total: int
    completed: bool = False  # every scenario passed at least once
    updated: float = 0.0

    @property
    def done(self) -> bool:
        return self.total > 0 and self.passed == self.total


def load(path: Path) -> dict[str, ExerciseProgress]:
    """The progress on file; an unreadable or foreign file counts as none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data.get("exercises", {})
        return {
            str(name): ExerciseProgress(
                int(row["passed"]),
                int(row["total"]),
                bool(row.get("completed")),
                float(row.get("updated", 0.0)),
            )
            for name, row in rows.items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def updated(
    known: ExerciseProgress | None, passed: int, total: int
) -> ExerciseProgress:
    """The progress after a check that passed `passed` of `total` scenarios."""
    completed = (known.completed if known else False) or (0 < total == passed)
    return ExerciseProgress(passed, total, completed, time.time())


def record(path: Path, exercise: str, passed: int, total: int) -> ExerciseProgress:
    """Write one exercise's result to the file (atomically: a crash leaves
    the old file, never half of a new one)."""
    rows = load(path)
    rows[exercise] = updated(rows.get(exercise), passed, total)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"exercises": {name: asdict(row) for name, row in sorted(rows.items())}}
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return rows[exercise]
