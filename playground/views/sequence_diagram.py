"""A sequence diagram of a transcript: who sent which HTTP message to whom.

Drawn with Graphviz's ``neato`` engine at pinned positions (``pos="x,y!"``,
``splines=false``) rather than ``dot`` with ``rank=same`` rows, because ``dot``
bends arrows and spaces rows unevenly. Every position below is in points
(``inputscale=72``): one header box and a dashed lifeline per party, and for
each exchange two rows, the request (solid) and the reply (dashed), each an
arrow between two invisible points with its label in a plaintext node just
above the arrow's midpoint.

Node names are deterministic (``p_0``, ``m3_req_a``), so the DOT source is
stable from run to run and a test can read it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from types import MappingProxyType
from urllib.parse import urlsplit

import graphviz

from playground.wire.exchange import Channel, Exchange, Party

__all__ = ["build", "has_graphviz_binary", "render_svg", "to_dot"]

# The order of RFC 6749 1.2's figure, left to right, then the API the
# resource server calls (token exchange), with the attacker outside it all.
CANONICAL_ORDER: tuple[Party, ...] = (
    Party.BROWSER,
    Party.CLIENT,
    Party.AUTHORIZATION_SERVER,
    Party.RESOURCE_SERVER,
    Party.PRINT_LAB,
    Party.ATTACKER,
)

FONT = "Helvetica"
BOLD_FONT = "Helvetica-Bold"

# Geometry, in points.
COLUMN_GAP = 240
ROW_GAP = 42
FIRST_ROW = 62  # distance from the header boxes' centres to the first arrow
LABEL_LIFT = 11  # a label's centre sits this far above its arrow
SELF_LOOP = 70  # how far a message a party sends to itself reaches out
LEGEND_GAP = 18  # from the lifelines' ends to the legend's top
LEGEND_ROW_HEIGHT = 21

LABEL_FONT_SIZE = 14
HEADER_FONT_SIZE = 16
TITLE_FONT_SIZE = 20
LEGEND_FONT_SIZE = 12

MAX_PATH_CHARS = 30
HEADER_WIDTH = "2.9"  # inches; "Authorization Server" fits, so all boxes match

CHANNEL_COLOURS: MappingProxyType[Channel, str] = MappingProxyType(
    {
        Channel.FRONT: "#1f5fbf",  # blue: through the browser, the user can see it
        Channel.BACK: "#2e7d32",  # dark green: direct requests, out of sight
    }
)
ERROR_COLOUR = "#c62828"
LIFELINE_COLOUR = "#8a8a8a"
HIGHLIGHT_FILL = "#ffe98a"
LABEL_FILL = "white"  # hides the lifelines behind a label's text
PENWIDTH = "1.4"
HIGHLIGHT_PENWIDTH = "3.2"

HEADER_FILLS: MappingProxyType[Party, str] = MappingProxyType(
    {
        Party.BROWSER: "#e3ecfa",
        Party.CLIENT: "#e6f2e6",
        Party.AUTHORIZATION_SERVER: "#fdf0d9",
        Party.RESOURCE_SERVER: "#efe6f7",
        Party.PRINT_LAB: "#e4f1f6",
        Party.ATTACKER: "#fbdcdc",
    }
)


def has_graphviz_binary() -> bool:
    """Whether SVG/PNG export can work here; the Streamlit UI never needs it."""
    return shutil.which("neato") is not None


def build(
    exchanges: Sequence[Exchange],
    *,
    parties: Sequence[Party] | None = None,
    current_step: int | None = None,
    title: str | None = None,
    first_number: int = 1,
) -> graphviz.Digraph:
    """Lay out the exchanges as a sequence diagram, one arrow row per message.

    ``parties`` forces lifelines (and their order) before anyone has spoken;
    parties that appear in ``exchanges`` but not in ``parties`` are added in
    the canonical order. Exchanges whose ``step`` equals ``current_step`` are
    drawn thicker with a highlighted label, so the learner sees where "Next"
    has brought them. ``first_number`` numbers the first message when the
    exchanges are the latest few of a longer run.
    """
    lanes = _lanes(exchanges, parties)
    column = {party: index for index, party in enumerate(lanes)}

    graph = graphviz.Digraph(name="sequence", engine="neato")
    graph.attr(
        # ``layout`` repeats the engine in the source, so a renderer that only
        # sees the DOT text (st.graphviz_chart) still uses neato.
        layout="neato",
        inputscale="72",
        splines="false",
        outputorder="edgesfirst",
        bgcolor="white",
        pad="0.3",
        fontname=FONT,
    )
    if title:
        graph.attr(
            label=graphviz.escape(title),
            labelloc="t",
            fontsize=str(TITLE_FONT_SIZE),
            fontname=BOLD_FONT,
        )
    graph.attr("node", fontname=FONT, fontsize=str(LABEL_FONT_SIZE))
    graph.attr("edge", fontname=FONT, penwidth=PENWIDTH, arrowsize="0.9")

    bottom = -(FIRST_ROW + max(2 * len(exchanges) - 1, 0) * ROW_GAP + ROW_GAP)
    for index, party in enumerate(lanes):
        _add_lifeline(graph, index, party, bottom)

    rows = _rows(exchanges)
    for number, exchange in enumerate(exchanges, start=1):
        request_row, reply_row = rows[number]
        highlight = current_step is not None and exchange.step == current_step
        sender_x = column[exchange.sender] * COLUMN_GAP
        receiver_x = column[exchange.receiver] * COLUMN_GAP
        if sender_x == receiver_x:
            receiver_x += SELF_LOOP
        colour = CHANNEL_COLOURS[exchange.channel]
        status = exchange.response.status
        _add_message(
            graph,
            f"m{number}_req",
            start_x=sender_x,
            end_x=receiver_x,
            y=_row_y(request_row),
            label=f"{first_number + number - 1}. {request_label(exchange)}",
            tooltip=f"{exchange.request.method} {exchange.request.url}",
            colour=colour,
            reply=False,
            highlight=highlight,
        )
        _add_message(
            graph,
            f"m{number}_rep",
            start_x=receiver_x,
            end_x=sender_x,
            y=_row_y(reply_row),
            label=reply_label(exchange),
            tooltip=_reply_tooltip(exchange),
            colour=ERROR_COLOUR if status >= 400 else colour,
            reply=True,
            highlight=highlight,
        )

    if exchanges:
        _add_legend(
            graph,
            x=(len(lanes) - 1) * COLUMN_GAP / 2,
            y=bottom - LEGEND_GAP,
            current_step=current_step,
        )
    return graph


def to_dot(
    exchanges: Sequence[Exchange],
    *,
    parties: Sequence[Party] | None = None,
    current_step: int | None = None,
    title: str | None = None,
    first_number: int = 1,
) -> str:
    """The DOT source, for st.graphviz_chart and for machines without Graphviz."""
    return build(
        exchanges,
        parties=parties,
        current_step=current_step,
        title=title,
        first_number=first_number,
    ).source


def render_svg(
    exchanges: Sequence[Exchange],
    *,
    parties: Sequence[Party] | None = None,
    current_step: int | None = None,
    title: str | None = None,
) -> bytes | None:
    """SVG bytes, or None when Graphviz is not installed (callers then show DOT)."""
    if not has_graphviz_binary():
        return None
    graph = build(exchanges, parties=parties, current_step=current_step, title=title)
    try:
        return graph.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        return None


def request_label(exchange: Exchange) -> str:
    """``GET /authorize``: method and path, no query, which may hold a code."""
    path = urlsplit(exchange.request.url).path or "/"
    return f"{exchange.request.method} {_shorten_path(path)}"


def reply_label(exchange: Exchange) -> str:
    """``302 Found``: the status line's code and reason phrase (RFC 9112 4).

    An OAuth error answer (RFC 6749 5.2's JSON `error`) shows its error code
    instead of the reason phrase: a device polling the token endpoint gets
    400 after 400, and only `authorization_pending` or `slow_down` tells
    them apart (RFC 8628 3.5)."""
    error = _oauth_error(exchange)
    if error:
        return f"{exchange.response.status} {error}"
    return f"{exchange.response.status} {exchange.response.phrase}".strip()


def _oauth_error(exchange: Exchange) -> str | None:
    response = exchange.response
    content_type = response.header("Content-Type") or ""
    if response.status < 400 or not content_type.startswith("application/json"):
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) and error.isprintable() else None


def _lanes(
    exchanges: Sequence[Exchange], parties: Sequence[Party] | None
) -> list[Party]:
    """Forced parties first, in their order; then anyone else who spoke, canonically."""
    lanes = list(dict.fromkeys(parties or ()))
    speaking = {
        p for exchange in exchanges for p in (exchange.sender, exchange.receiver)
    }
    lanes += [p for p in CANONICAL_ORDER if p in speaking and p not in lanes]
    return lanes


def _rows(exchanges: Sequence[Exchange]) -> dict[int, tuple[int, int]]:
    """Each exchange's (request row, reply row), in the order things happened.

    A nested exchange (the client's token request made while the browser
    waits for /callback) sits between its parent's request and reply. Exchanges
    without open/close ticks (built by hand) get consecutive rows.
    """
    if not all(item.opened and item.closed for item in exchanges):
        return {n: (2 * (n - 1), 2 * (n - 1) + 1) for n in range(1, len(exchanges) + 1)}
    happenings = sorted(
        [(item.opened, n, 0) for n, item in enumerate(exchanges, start=1)]
        + [(item.closed, n, 1) for n, item in enumerate(exchanges, start=1)]
    )
    rows: dict[int, list[int]] = {}
    for row, (_, number, _kind) in enumerate(happenings):
        rows.setdefault(number, []).append(row)
    return {number: (pair[0], pair[1]) for number, pair in rows.items()}


def _row_y(row: int) -> int:
    return -(FIRST_ROW + row * ROW_GAP)


def _pos(x: float, y: float) -> str:
    return f"{x:g},{y:g}!"


def _shorten_path(path: str) -> str:
    """Keep the last segment, which names the endpoint, when a path is too long."""
    if len(path) <= MAX_PATH_CHARS:
        return path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    short = f"/…/{last}"
    if len(short) <= MAX_PATH_CHARS:
        return short
    return path[: MAX_PATH_CHARS - 1] + "…"


def _reply_tooltip(exchange: Exchange) -> str:
    location = exchange.response.header("Location")
    line = f"{exchange.response.status} {exchange.response.phrase}".strip()
    error = _oauth_error(exchange)
    if error:
        line = f"{line}: {error}"
    return f"{line}, Location: {location}" if location else line


def _add_lifeline(
    graph: graphviz.Digraph, index: int, party: Party, bottom: int
) -> None:
    x = index * COLUMN_GAP
    graph.node(
        f"p_{index}",
        label=graphviz.escape(str(party)),
        pos=_pos(x, 0),
        shape="box",
        style="rounded,filled",
        fillcolor=HEADER_FILLS.get(party, "#eeeeee"),
        color="#555555",
        fontname=BOLD_FONT,
        fontsize=str(HEADER_FONT_SIZE),
        width=HEADER_WIDTH,
        height="0.55",
        margin="0.12,0.06",
    )
    graph.node(f"p_{index}_end", pos=_pos(x, bottom), **_invisible_point())
    graph.edge(
        f"p_{index}",
        f"p_{index}_end",
        id=f"lifeline_{index}",
        style="dashed",
        color=LIFELINE_COLOUR,
        penwidth="1.2",
        arrowhead="none",
    )


def _add_message(
    graph: graphviz.Digraph,
    name: str,
    *,
    start_x: float,
    end_x: float,
    y: float,
    label: str,
    tooltip: str,
    colour: str,
    reply: bool,
    highlight: bool,
) -> None:
    """One arrow between invisible points on its row, its label just above."""
    graph.node(f"{name}_a", pos=_pos(start_x, y), **_invisible_point())
    graph.node(f"{name}_b", pos=_pos(end_x, y), **_invisible_point())
    graph.node(
        f"{name}_label",
        label=graphviz.escape(label),
        tooltip=graphviz.escape(tooltip),
        pos=_pos((start_x + end_x) / 2, y + LABEL_LIFT),
        shape="plaintext",
        style="filled",
        fillcolor=HIGHLIGHT_FILL if highlight else LABEL_FILL,
        fontcolor=colour,
        fontname=BOLD_FONT if highlight else FONT,
        width="0",
        height="0",
        margin="0.06,0.02" if highlight else "0.04,0.01",
    )
    graph.edge(
        f"{name}_a",
        f"{name}_b",
        id=name,
        tooltip=graphviz.escape(tooltip),
        color=colour,
        style="dashed" if reply else "solid",
        penwidth=HIGHLIGHT_PENWIDTH if highlight else PENWIDTH,
        arrowhead="vee" if reply else "normal",
    )


def _add_legend(
    graph: graphviz.Digraph, *, x: float, y: float, current_step: int | None
) -> None:
    """A key to the colours, as one HTML-like label so its text aligns."""
    front = CHANNEL_COLOURS[Channel.FRONT]
    back = CHANNEL_COLOURS[Channel.BACK]
    rows = [
        f'<td align="left"><font color="{front}">──▶ front channel</font>'
        " (through the address bar)</td>"
        f'<td align="left"><font color="{back}">──▶ back channel</font>'
        " (direct: server to server, or a page's script)</td>",
        '<td align="left">- - ▷ reply (dashed)</td>'
        f'<td align="left"><font color="{ERROR_COLOUR}">- - ▷ error status</font>'
        " (4xx, 5xx)</td>",
    ]
    if current_step is not None:
        rows.append(
            f'<td align="left" bgcolor="{HIGHLIGHT_FILL}"><b>bold</b>'
            f" = step {current_step}, the current step</td><td></td>"
        )
    table = "".join(f"<tr>{row}</tr>" for row in rows)
    # pos is the centre, so a taller legend sits lower to keep its gap.
    y -= LEGEND_ROW_HEIGHT * len(rows) / 2
    graph.node(
        "legend",
        label=(
            f'<<font point-size="{LEGEND_FONT_SIZE}">'
            '<table border="0" cellborder="0" cellspacing="2" cellpadding="2">'
            f"{table}</table></font>>"
        ),
        pos=_pos(x, y),
        shape="plaintext",
        fontcolor="#444444",
    )


def _invisible_point() -> dict[str, str]:
    return {"shape": "point", "style": "invis", "width": "0.01", "height": "0.01"}
