"""The Lessons page's handout: the whole lesson, with the switches that are
on, as one HTML file (`playground.views.handout` draws it).

Made only when the learner clicks the download button, on Streamlit's own
thread for it: the session's workers walk a run of their own (its token is
the session's with `:handout`, forgotten afterwards) with the session's keys,
so the tokens in the handout are the ones the page showed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from playground.lesson.catalog import read_source
from playground.lesson.runner import LessonError, lesson_weaknesses
from playground.ui.diagram_svg import DiagramRenderer
from playground.ui.replay_cache import LessonMemo
from playground.views import handout
from playground.world import WorldKeys


def maker(
    memo: LessonMemo,
    path: Path,
    *,
    weaknesses: Sequence[str],
    defended: bool,
    keys: WorldKeys,
    renderer: DiagramRenderer,
) -> Callable[[], str]:
    """A function of no arguments that makes the handout (what
    `st.download_button` calls on a click)."""
    return functools.partial(
        build,
        memo,
        Path(path),
        weaknesses=tuple(weaknesses),
        defended=defended,
        keys=keys,
        renderer=renderer,
    )


def build(
    memo: LessonMemo,
    path: Path,
    *,
    weaknesses: Sequence[str],
    defended: bool,
    keys: WorldKeys,
    renderer: DiagramRenderer,
) -> str:
    source = read_source(path)
    if isinstance(source, LessonError):
        return _broken(path, source)
    outline = memo.catalog.outline(source)
    if isinstance(outline, LessonError):
        return _broken(path, outline)
    session = f"{memo.session}:handout"
    pem = memo.keys_pem(keys)
    pool = memo.catalog.pool
    try:
        collected = handout.collect_steps(
            lambda step: pool.show(
                session,
                source,
                step,
                weaknesses=weaknesses,
                defended=defended,
                keys=pem,
                outline=outline,
            ),
            len(outline.steps),
        )
    finally:
        pool.forget(session)
    return handout.document(
        handout.HandoutLesson.of(outline),
        collected,
        switches=lesson_weaknesses(outline, weaknesses, defended=defended),
        defended=defended,
        svg=renderer.svg,
    )


def file_name(path: Path, switches: Sequence[str], *, defended: bool) -> str:
    """`03_authorization_code_pkce-as.pkce_optional.html`: which run it is."""
    suffix = "".join(f"-{name}" for name in switches) + (
        "-defended" if defended else ""
    )
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{Path(path).stem}{suffix}") + ".html"


def _broken(path: Path, error: LessonError) -> str:
    return handout.render(
        handout.HandoutLesson(f"⚠ {Path(path).name}"),
        handout.Collected((), (), 1, str(error)),
    )
