"""The `oauth-playground` console script: one subcommand per `_add_*` function.

To add a command, write `_add_<name>(subparsers)` that makes its parser and
sets `run=`, and list it in `COMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_servers.weaknesses import REGISTRY, UnknownWeaknessError, lookup

if TYPE_CHECKING:  # imported when a command runs, not for `--help`
    from playground.lesson.outline import LessonOutline
    from playground.lesson.pool import LessonPool
    from playground.lesson.runner import LessonEntry, LessonError


def _weakness_name(value: str) -> str:
    try:
        return lookup(value).name
    except UnknownWeaknessError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0-65535)")
    return port


def _redirect_uri(value: str) -> tuple[str, str]:
    from mock_servers.serve import parse_redirect_uri  # Flask only when serving

    return parse_redirect_uri(value)


def _weakness_help() -> str:
    """The `--weakness` help, generated from the registry (described once)."""
    lines = ["turn on a named weakness (repeatable); all are off by default:"]
    for weakness in REGISTRY:
        lines.append(f"  {weakness.name}")
        description = f"{weakness.description} ({weakness.spec})"
        lines += textwrap.wrap(
            description,
            width=56,
            initial_indent="      ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
    return "\n".join(lines).replace("%", "%%")


def _add_weakness_option(parser: argparse.ArgumentParser) -> None:
    """`--weakness NAME` (repeatable), the same for `serve` and `run`."""
    parser.add_argument(
        "--weakness",
        action="append",
        default=[],
        metavar="NAME",
        type=_weakness_name,
        help=_weakness_help(),
    )


def _add_serve(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the mock authorization server and APIs on loopback",
        description=(
            "Serve the mock authorization server, the resource server and\n"
            "the print lab's API on loopback ports, for curl, a browser or a\n"
            "real OAuth client.\n"
            "They hold demo secrets: only loopback hosts are accepted."
        ),
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--as-port",
        type=_port,
        default=9000,
        help="authorization server port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--rs-port",
        type=_port,
        default=9001,
        help="resource server port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--lab-port",
        type=_port,
        default=9002,
        help="print lab API port (the API the resource server calls with a\n"
        "token exchange), 0 for any free one (default: %(default)s)",
    )
    _add_weakness_option(parser)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="CLIENT_ID=URI",
        type=_redirect_uri,
        help="register another redirect URI for a demo client (repeatable),\n"
        "e.g. photo-gallery-spa=http://127.0.0.1:5173/callback; its origin\n"
        "may then call the servers from a browser (CORS)",
    )
    parser.add_argument(
        "--dpop-nonce",
        action="store_true",
        help="both servers ask for their own nonce in every DPoP proof\n"
        "(RFC 9449 8 and 9: answered use_dpop_nonce with a DPoP-Nonce header)",
    )
    parser.add_argument(
        "--token-format",
        choices=("jwt", "opaque"),
        default="jwt",
        help="access token format; opaque tokens are checked by introspection\n"
        "(default: %(default)s)",
    )
    parser.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from mock_servers.serve import serve  # Flask and Authlib only when serving

    return serve(
        args.host,
        args.as_port,
        args.rs_port,
        args.weakness,
        args.token_format,
        lab_port=args.lab_port,
        redirect_uris=args.redirect_uri,
        dpop_nonces=args.dpop_nonce,
    )


def _add_lessons(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lessons", help="list the lessons (file, title, level, weakness)"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="lesson folder (default: ./lessons)"
    )
    parser.set_defaults(run=_run_lessons)


def _run_lessons(args: argparse.Namespace) -> int:
    from playground.lesson.catalog import LessonCatalog
    from playground.lesson.pool import LessonPool
    from playground.lesson.runner import default_lessons_dir

    folder = args.dir or default_lessons_dir()
    # Listing executes every file (a title is code): in lesson workers, with
    # their time limit, as the UI does.
    with _interruptible(LessonPool()) as pool:
        entries = LessonCatalog(pool).entries(folder)
    if not entries:
        print(f"no lessons in {folder}", file=sys.stderr)
        return 1
    print(lesson_table(entries, folder), end="")
    return 0


def lesson_table(entries: Sequence[LessonEntry], folder: Path) -> str:
    """The lessons by kind, in the order a course takes them; each line says
    its file, its level, its title and the weaknesses an attack turns on."""
    from playground.lesson.api import KINDS

    width = max(len(str(entry.path.relative_to(folder))) for entry in entries)
    lines = []
    for kind, heading in (*KINDS.items(), ("broken", "Broken lesson files")):
        members = [entry for entry in entries if entry.kind == kind]
        if not members:
            continue
        lines += ["" if lines else None, heading]
        for entry in members:
            name = str(entry.path.relative_to(folder)).ljust(width)
            lesson = entry.lesson
            if lesson is None:
                lines.append(f"  {name}  BROKEN: {entry.error}")
                continue
            lines.append(f"  {name}  level: {lesson.level:<12}  {lesson.title}")
            if lesson.weaknesses:
                lines.append(
                    f"  {'':<{width}}  weaknesses: {', '.join(lesson.weaknesses)}"
                )
    return "\n".join(line for line in lines if line is not None) + "\n"


def _add_which_grant(subparsers: argparse._SubParsersAction) -> None:
    from playground.tools import grant_guide

    parser = subparsers.add_parser(
        "which-grant",
        help="which grant should my app use? (the Which grant? page, in the terminal)",
        description="Answer a few questions and get the grant to use, its RFC and\n"
        "its lesson. Give the answers as options, or leave them out to be\n"
        "asked.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    for question in grant_guide.QUESTIONS:
        parser.add_argument(
            f"--{question.option}",
            choices=[choice.value for choice in question.choices],
            help=question.text
            + "\n"
            + "\n".join(f"  {c.value}: {c.label}" for c in question.choices),
        )
    parser.set_defaults(run=_run_which_grant)


def _run_which_grant(args: argparse.Namespace) -> int:
    from playground.tools import grant_guide

    answers = {
        question.id: getattr(args, question.option)
        for question in grant_guide.QUESTIONS
        if getattr(args, question.option)
    }
    while missing := [
        q for q in grant_guide.questions_for(answers) if q.id not in answers
    ]:
        question = missing[0]
        try:
            answers[question.id] = _ask(question)
        except EOFError:
            print(
                f"\nerror: answer --{question.option} "
                f"({'|'.join(c.value for c in question.choices)}): {question.text}",
                file=sys.stderr,
            )
            return 2
    recommendation = grant_guide.recommend(answers)
    assert recommendation is not None
    print(grant_guide.answer_text(recommendation), end="")
    return 0


def _ask(question: Any) -> str:
    """One question at the prompt, by number or value, until it is answered."""
    print(question.text)
    for number, choice in enumerate(question.choices, 1):
        print(f"  {number}. {choice.label}")
    while True:
        reply = input("> ").strip().lower()
        for number, choice in enumerate(question.choices, 1):
            if reply in (str(number), choice.value):
                return choice.value
        print(f"Type a number from 1 to {len(question.choices)}.")


class Interrupted(Exception):
    """Ctrl-C in the terminal while lesson workers ran: they are stopped."""


@contextlib.contextmanager
def _interruptible(pool: LessonPool) -> Iterator[LessonPool]:
    """The pool, closed on the way out; a real Ctrl-C (never a lesson's own
    KeyboardInterrupt, which its worker reports) becomes Interrupted, and a
    second one cannot break the clean-up."""
    try:
        yield pool
    except KeyboardInterrupt:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            pool.close()
        finally:
            signal.signal(signal.SIGINT, previous)
        raise Interrupted from None
    finally:
        pool.close()


def _add_run(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a lesson headless and print what crossed the wire",
        description="Run a lesson without the UI: the narrative, every HTTP\n"
        "message, decoded JWTs, PKCE values and the checks of each step.\n"
        "Exits 0 only when every check passes.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("lesson", type=Path, help="a lesson file, e.g. lessons/...py")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--until", type=int, default=None, metavar="N", help="stop after step N"
    )
    where.add_argument(
        "--step",
        type=int,
        default=None,
        metavar="N",
        help="show step N alone (the steps before it run, unshown)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument(
        "--brief",
        action="store_true",
        help="narrative, request and status lines, form and JSON bodies,\n"
        "decoded claims and checks; no headers or pages",
    )
    form.add_argument(
        "--json", action="store_true", help="print the transcript as JSON instead"
    )
    parser.add_argument(
        "--dot", type=Path, metavar="FILE", help="write the DOT diagram"
    )
    parser.add_argument("--svg", type=Path, metavar="FILE", help="write an SVG diagram")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write a handout: every step in one self-contained HTML file",
    )
    parser.add_argument(
        "--defended",
        action="store_true",
        help="run an attack lesson with its weakness off: the defence must hold",
    )
    parser.add_argument(
        "--step-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop a step (or the file's loading) that runs longer\n"
        "(default: $OAUTH_PLAYGROUND_STEP_LIMIT, else 5)",
    )
    _add_weakness_option(parser)
    parser.set_defaults(run=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from playground.lesson.catalog import read_source
    from playground.lesson.pool import LessonPool
    from playground.lesson.runner import LessonError
    from playground.views import sequence_diagram

    # The lesson runs in a worker process: whatever it raises or however it
    # loops, this command reports it at the lesson's line and exits 1.
    source = read_source(args.lesson)
    if isinstance(source, LessonError):
        return _lesson_failed(source)
    with _interruptible(LessonPool(1, step_limit=args.step_limit)) as pool:
        outline = pool.outline(source)
        if isinstance(outline, LessonError):
            return _lesson_failed(outline)
        refusal = _run_refusal(args, outline)
        if refusal:
            print(f"oauth-playground run: error: {refusal}", file=sys.stderr)
            return 2
        report = pool.report(
            source,
            until=args.until,
            weaknesses=args.weakness,
            defended=args.defended,
            as_json=args.json,
            brief=args.brief,
            only_step=args.step,
            outline=outline,
        )
        handout = args.html and not isinstance(report, LessonError)
        if handout and not _write(args.html, _handout(pool, source, outline, args)):
            return 1
    if isinstance(report, LessonError):  # stopped, or its process ended
        return _lesson_failed(report)
    if args.json:
        print(json.dumps(report.document, indent=2))
    else:
        print(report.text, end="")
    exchanges = report.exchanges
    if args.dot and not _write(
        args.dot, sequence_diagram.to_dot(exchanges, title=outline.title)
    ):
        return 1
    if args.svg:
        svg = sequence_diagram.render_svg(exchanges, title=outline.title)
        if svg is None:
            print(
                "error: no Graphviz binary for --svg (apt-get install graphviz)",
                file=sys.stderr,
            )
            return 1
        if not _write(args.svg, svg):
            return 1
    if report.error is not None:
        print(f"error: {report.error}", file=sys.stderr)
        return 1
    return 0 if report.passed else 1


def _run_refusal(args: argparse.Namespace, outline: LessonOutline) -> str:
    """What `run`'s options ask that this lesson cannot do, in one line, or ''.
    Known only once the file is loaded, so argparse cannot say it."""
    name = args.lesson
    count = len(outline.steps)
    for option, value, lowest in (("--until", args.until, 0), ("--step", args.step, 1)):
        if value is not None and not lowest <= value <= count:
            return (
                f"{option} {value}: {name} has steps 1 to {count}"
                if count
                else f"{option} {value}: {name} has no steps"
            )
    if args.defended and not outline.weaknesses:
        return (
            f"--defended turns an attack lesson's weakness off, and {name} "
            f"is a {outline.kind} lesson that turns on none"
        )
    return ""


def _write(path: Path, data: str | bytes) -> bool:
    """An output file the user named (--html, --dot, --svg, --csv): a path
    that cannot be written is one line on stderr, not a traceback."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as error:
        print(
            f"oauth-playground: error: cannot write {path}: {error.strerror or error}",
            file=sys.stderr,
        )
        return False
    return True


def _handout(pool: LessonPool, source: Any, outline: Any, args: Any) -> str:
    """`run --html`: the lesson's steps (up to --until) walked in a worker."""
    from playground.lesson.runner import lesson_weaknesses
    from playground.lesson.worker import KeysPem
    from playground.views import handout
    from playground.world import WorldKeys

    keys = KeysPem.of(WorldKeys.generate())
    steps = len(outline.steps) if args.until is None else args.until
    collected = handout.collect_steps(
        lambda step: pool.show(
            "run --html",
            source,
            step,
            weaknesses=args.weakness,
            defended=args.defended,
            keys=keys,
            outline=outline,
        ),
        max(0, min(steps, len(outline.steps))),
    )
    switches = lesson_weaknesses(outline, args.weakness, defended=args.defended)
    return handout.document(
        handout.HandoutLesson.of(outline),
        collected,
        switches=switches,
        defended=args.defended,
    )


def _lesson_failed(error: LessonError) -> int:
    """One line saying where and what, then the student's traceback."""
    print(f"error: {error}", file=sys.stderr)
    if error.traceback:
        print(error.traceback.rstrip(), file=sys.stderr)
    return 1


def _add_check(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="grade an exercise: the playground attacks your code",
        description="Run every scenario of an exercise against your code: the\n"
        "honest flows must work, the attacks must be refused. Exits 0 only\n"
        "when every scenario passes. With --all, grade a folder of\n"
        "submissions (DIR/<student>/<exercise>.py) and print a table.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "exercise",
        nargs="?",
        help="an exercise file, or a name in lessons/exercises (e.g. pkce_pair)",
    )
    parser.add_argument("--all", type=Path, metavar="DIR", help="grade DIR/*/*.py")
    parser.add_argument(
        "--exercises",
        type=Path,
        metavar="DIR",
        help="the official exercises (default: lessons/exercises)",
    )
    parser.add_argument(
        "--csv", type=Path, metavar="FILE", help="with --all: write CSV"
    )
    parser.add_argument(
        "--hint", type=int, default=1, metavar="N", help="show hints 1..N (default 1)"
    )
    parser.add_argument("--seed", type=int, help="repeat a run's inputs")
    parser.add_argument(
        "--verbose", action="store_true", help="details of passing scenarios too"
    )
    parser.add_argument(
        "--step-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop a scenario that runs longer (default 5)",
    )
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    import os

    from playground.lesson import grader, progress
    from playground.lesson.grading import exercise_files, exercises_dir, find_exercise
    from playground.lesson.pool import LessonPool
    from playground.lesson.runner import default_lessons_dir

    folder = args.exercises or exercises_dir(default_lessons_dir())
    if args.all is not None:
        if not args.all.is_dir() or not exercise_files(folder):
            print(
                f"error: no submissions in {args.all} or no exercises in {folder}",
                file=sys.stderr,
            )
            return 2
        size = min(4, os.cpu_count() or 1)
        with _interruptible(LessonPool(size, step_limit=args.step_limit)) as pool:
            marks = grader.mark_submissions(
                pool, args.all, exercise_files(folder), seed=args.seed
            )
        print(grader.mark_table(marks), end="")
        if args.csv and not _write(args.csv, grader.mark_csv(marks)):
            return 1
        return 0
    path = find_exercise(args.exercise or "", folder) if args.exercise else None
    if path is None:
        names = ", ".join(p.stem for p in exercise_files(folder)) or "none"
        asked = f"no exercise {args.exercise!r}" if args.exercise else "name one"
        print(f"error: {asked} (or --all DIR); exercises: {names}", file=sys.stderr)
        return 2
    with _interruptible(LessonPool(2, step_limit=args.step_limit)) as pool:
        graded = grader.grade_file(pool, path, seed=args.seed)
    print(grader.render_text(graded, hints=args.hint, verbose=args.verbose), end="")
    if graded.outline is not None:
        progress.record(
            progress.default_progress_file(),
            path.name,
            graded.passed_count,
            graded.total,
        )
    return 0 if graded.passed else 1


def streamlit_command(
    port: int = 8501,
    host: str = "127.0.0.1",
    *,
    python: str | None = None,
    app: Path | None = None,
) -> list[str]:
    """The `streamlit run` command line for the playground app.

    Headless and without usage statistics; bound to `host`, loopback unless
    the instructor asks for more (the app holds demo secrets). Beyond
    loopback, an unexpected error shows its type only: Streamlit's default
    shows the message and traceback, server paths and all, to every student.
    """
    app = app or Path(__file__).resolve().parent / "ui" / "app.py"
    command = [
        python or sys.executable,
        "-m",
        "streamlit",
        "run",
        str(Path(app).resolve()),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    if not _is_loopback(host):
        command += ["--client.showErrorDetails", "type"]
    return [*command, "--server.address", host, "--server.port", str(port)]


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _add_ui(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="start the Streamlit playground in your browser",
        description="Start the Streamlit playground: step through lessons,\n"
        "decode tokens, try PKCE. Open the printed URL; Ctrl-C stops it.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "--port", type=_port, default=8501, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only;\n"
        "0.0.0.0 shows it to the classroom's network)",
    )
    parser.add_argument(
        "--lessons",
        type=Path,
        default=None,
        metavar="DIR",
        help="lesson folder (default: ./lessons)",
    )
    parser.set_defaults(run=_run_ui)


def _run_ui(args: argparse.Namespace) -> int:
    import os
    import signal
    import subprocess

    from playground.lesson.runner import LESSONS_DIR_ENV

    env = dict(os.environ)
    if args.lessons is not None:
        if not args.lessons.is_dir():
            print(f"error: no lesson folder {args.lessons}", file=sys.stderr)
            return 2
        env[LESSONS_DIR_ENV] = str(args.lessons.resolve())
    command = streamlit_command(args.port, args.host)
    print(f"OAuth Playground on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    # Streamlit runs in its own session, so one Ctrl-C reaches it exactly once:
    # forwarded from here, not also straight from the terminal.
    process = subprocess.Popen(command, env=env, start_new_session=True)
    previous = signal.signal(
        signal.SIGTERM, lambda *_: process.send_signal(signal.SIGTERM)
    )
    try:
        try:
            return _exit_code(process.wait())
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)  # Streamlit's own clean shutdown
            try:
                return _exit_code(process.wait(timeout=STOP_TIMEOUT))
            except (KeyboardInterrupt, subprocess.TimeoutExpired):
                process.terminate()
                return _exit_code(process.wait())
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.kill()
            process.wait()


STOP_TIMEOUT = 10.0  # seconds Streamlit gets to stop after Ctrl-C


def _exit_code(returncode: int) -> int:
    """A child killed by signal N exits the shell way: 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_serve,
    _add_lessons,
    _add_run,
    _add_check,
    _add_which_grant,
    _add_ui,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oauth-playground",
        description="OAuth Playground: learn OAuth 2.0 by watching real messages.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Interrupted:
        print("oauth-playground: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `oauth-playground lessons | head`: the reader left; so do we, quietly.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
