"""Lesson files a hostile tester writes, for the containment tests.

Each is written into a folder by `write_broken_folder`; `line_of` finds the
line each should be reported at. A step that loops first writes its worker's
pid to `<name>.pid` beside itself, so a test knows (without a timer) that the
loop has started, and which process must be gone afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

HEADER = "from playground import Lesson\n\n"

FINE_STEP = '''

@lesson.step("A fine first step")
def fine(run):
    """Nothing wrong here."""
    run.check("the first step runs", True)
'''

BROKEN: dict[str, str] = {
    "loop_import.py": HEADER
    + 'lesson = Lesson("Loops at import")\n'
    + "while True:  # LOOP\n"
    + "    pass  # END\n",
    "exit_import.py": "import sys\n\n"
    + HEADER
    + 'lesson = Lesson("Exits at import")\n'
    + "sys.exit(3)  # EXIT\n",
    "interrupt_step.py": HEADER
    + 'lesson = Lesson("Interrupts itself")\n'
    + FINE_STEP
    + '''

@lesson.step("Interrupt")
def interrupt(run):
    """A KeyboardInterrupt the student raised."""
    raise KeyboardInterrupt  # INTERRUPT
''',
    "loop_step.py": "import os\nfrom pathlib import Path\n\n"
    + HEADER
    + 'lesson = Lesson("Loops in a step")\n'
    + FINE_STEP
    + '''

@lesson.step("Loops forever, deaf to everything")
def spin(run):
    """Catches BaseException inside its loop."""
    Path(__file__).with_suffix(".pid").write_text(str(os.getpid()))
    while True:  # SPIN
        try:
            pass
        except BaseException:
            pass  # END
''',
    "sleep_step.py": "import time\n\n"
    + HEADER
    + 'lesson = Lesson("Sleeps")\n'
    + FINE_STEP
    + '''

@lesson.step("Sleep for ever")
def sleep(run):
    """Uses no CPU, and never ends."""
    time.sleep(10**6)  # SLEEP
''',
    "deep_step.py": HEADER
    + 'lesson = Lesson("Recurses")\n'
    + FINE_STEP
    + '''

def down(n):
    return down(n + 1)  # RECURSE


@lesson.step("Recurse")
def recurse(run):
    """RecursionError."""
    down(0)
''',
    "hoard_step.py": HEADER
    + 'lesson = Lesson("Hoards memory")\n'
    + FINE_STEP
    + '''

@lesson.step("Hoard")
def hoard(run):
    """More memory than a worker may have."""
    run.hoard = bytearray(3 << 30)  # HOARD: over the 2 GiB limit
''',
    "generator_exit_step.py": HEADER
    + 'lesson = Lesson("GeneratorExit")\n'
    + FINE_STEP
    + '''

@lesson.step("Exit a generator that is not there")
def leave(run):
    """GeneratorExit, raised by hand."""
    raise GeneratorExit("bye")  # GENERATOR
''',
}

# Where each is reported: (marker on the line, message, step).
EXPECTED: dict[str, tuple[str, str, int | None]] = {
    "loop_import.py": (
        "# LOOP",
        "Stopped after {limit:g} s: the file never finished loading (an endless loop?)",
        None,
    ),
    "exit_import.py": ("# EXIT", "SystemExit: 3", None),
    "interrupt_step.py": ("# INTERRUPT", "KeyboardInterrupt", 2),
    "loop_step.py": (
        "# SPIN",
        "Stopped after {limit:g} s: this step never finished (an endless loop?)",
        2,
    ),
    "sleep_step.py": (
        "# SLEEP",
        "Stopped after {wait:g} s: this step never finished "
        "(waiting for what never comes?)",
        2,
    ),
    "deep_step.py": (
        "# RECURSE",
        "RecursionError: maximum recursion depth exceeded",
        2,
    ),
    "hoard_step.py": ("# HOARD", "MemoryError", 2),
    "generator_exit_step.py": ("# GENERATOR", "GeneratorExit: bye", 2),
}


def counting_lesson(steps: int) -> str:
    """A lesson whose steps count, in the process that runs them, how many
    steps have ever run there: each check says so, which shows whether a
    click ran one step or replayed them all."""
    lines = [
        "from playground import Lesson",
        "",
        f'lesson = Lesson("{steps} counted steps")',
        "RAN = []",
        "",
    ]
    for number in range(1, steps + 1):
        lines += [
            "",
            f'@lesson.step("Step {number}")',
            f"def step_{number}(run):",
            f'    """Step {number}."""',
            f"    RAN.append({number})",
            '    run.check(f"steps run in this process: {len(RAN)}", True)',
            f"    if {number} % 1000 == 1:",
            '        run.browser.open(run.issuer + "/jwks.json")',
            "",
        ]
    return "\n".join(lines)


def write_broken_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in BROKEN.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def lines_of(path: Path, marker: str) -> range:
    """The lines an error may be reported at: the marked one, or for a loop
    (marked on its first line, `# END` on its last) any line of it, as the
    loop may be stopped anywhere in its body."""
    first = line_of(path, marker)
    if marker not in ("# LOOP", "# SPIN"):
        return range(first, first + 1)
    return range(first, line_of(path, "# END") + 1)


def line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def running(pid: int) -> bool:
    """Whether a process exists (a zombie counts: it was never reaped)."""
    return Path(f"/proc/{pid}").exists()


def children() -> set[int]:
    """This process's child processes, from /proc."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return found
