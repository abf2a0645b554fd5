"""The step buttons: Back, Next, Run to end, Reset, and where each one leads.

Back is a replay to step N-1 (DESIGN decision 6), so a button only moves a number.
"""

from __future__ import annotations

# The step buttons: (key, label). Keys are stable so tests and people find them.
# The step buttons: (key, label). Keys are stable so tests and people find them.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("back", "Back"),
    ("next", "Next"),
    ("run_to_end", "Run to end"),
    ("reset", "Reset"),
)


def step_after(action: str, step: int, total: int | None) -> int:
    """Where a button press takes the learner; Back is a replay to step N-1."""
    if action == "reset":
        return 0
    if total is None:  # the lesson does not load: keep the place until it does
        return step
    if action == "next":
        return min(step + 1, total)
    if action == "back":
        return max(step - 1, 0)
    if action == "run_to_end":
        return total
    raise ValueError(f"unknown step action {action!r}")


def can(action: str, step: int, total: int | None) -> bool:
    """Whether a button does anything here (it is shown disabled otherwise)."""
    if action == "reset":
        return step > 0
    if total is None:
        return False
    if action == "back":
        return step > 0
    return step < total


def counter(step: int, total: int | None) -> str:
    return f"Step {step} of {total}" if total is not None else f"Step {step} of ?"
