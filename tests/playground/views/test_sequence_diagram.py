"""The sequence diagram's DOT: one lifeline per party, two arrows per exchange.

The DOT is read back statement by statement (node names are deterministic), so
these tests need no Graphviz binary; only the SVG test does.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from itertools import pairwise

import graphviz
import pytest

from playground.views import sequence_diagram
from playground.wire.exchange import Channel, Exchange, HttpRequest, HttpResponse, Party

BROWSER = Party.BROWSER
CLIENT = Party.CLIENT
AS = Party.AUTHORIZATION_SERVER
RS = Party.RESOURCE_SERVER
FRONT = Channel.FRONT
BACK = Channel.BACK

AUTH = "https://auth.photos.test"
APP = "https://photoprint.test"
API = "https://api.photos.test"

ALL_FIVE = (BROWSER, CLIENT, AS, RS, Party.ATTACKER)


def _exchange(
    index: int,
    sender: Party,
    receiver: Party,
    channel: Channel,
    method: str,
    url: str,
    status: int,
    reason: str = "",
    step: int | None = None,
) -> Exchange:
    return Exchange(
        index=index,
        sender=sender,
        receiver=receiver,
        channel=channel,
        request=HttpRequest(method, url),
        response=HttpResponse(status, reason),
        step=step,
    )


@pytest.fixture
def pkce_flow() -> list[Exchange]:
    """An authorization code + PKCE flow, ending with one refused API call."""
    rows = [
        (BROWSER, CLIENT, FRONT, "GET", f"{APP}/login", 302, "Found", 1),
        (
            BROWSER,
            AS,
            FRONT,
            "GET",
            f"{AUTH}/authorize?response_type=code&client_id=demo"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256&state=af0ifjsldkj",
            200,
            "OK",
            2,
        ),
        (BROWSER, AS, FRONT, "POST", f"{AUTH}/login", 302, "Found", 3),
        (BROWSER, AS, FRONT, "POST", f"{AUTH}/authorize", 302, "Found", 3),
        (
            BROWSER,
            CLIENT,
            FRONT,
            "GET",
            f"{APP}/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
            302,
            "Found",
            4,
        ),
        (CLIENT, AS, BACK, "POST", f"{AUTH}/token", 200, "OK", 4),
        (CLIENT, RS, BACK, "GET", f"{API}/api/user", 200, "OK", 5),
        (CLIENT, RS, BACK, "GET", f"{API}/api/admin", 401, "Unauthorized", 6),
    ]
    return [_exchange(i, *row) for i, row in enumerate(rows)]


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    attrs: dict[str, str]


@dataclass(frozen=True)
class Dot:
    nodes: dict[str, dict[str, str]]
    edges: list[Edge]

    def edge(self, edge_id: str) -> Edge:
        (found,) = [e for e in self.edges if e.attrs.get("id") == edge_id]
        return found

    def pos(self, node: str) -> tuple[float, float]:
        x, y = self.nodes[node]["pos"].rstrip("!").split(",")
        return float(x), float(y)


_STATEMENT = re.compile(r"^\t(\w+)(?: -> (\w+))? \[(.*)\]$")
_ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*>|[^\s"]+)')


def _parse(graph: graphviz.Digraph) -> Dot:
    """Nodes and edges of the body; default and graph statements are skipped."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[Edge] = []
    for line in graph.body:
        match = _STATEMENT.match(line.rstrip("\n"))
        if not match or match[1] in {"node", "edge", "graph"}:
            continue
        attrs = {
            key: value[1:-1].replace('\\"', '"') if value.startswith('"') else value
            for key, value in _ATTRIBUTE.findall(match[3])
        }
        if match[2]:
            edges.append(Edge(match[1], match[2], attrs))
        else:
            nodes[match[1]] = attrs
    return Dot(nodes, edges)


def _headers(dot: Dot) -> dict[str, str]:
    return {
        name: attrs["label"]
        for name, attrs in dot.nodes.items()
        if re.fullmatch(r"p_\d+", name)
    }


def _messages(dot: Dot, kind: str) -> list[Edge]:
    return [
        e for e in dot.edges if re.fullmatch(rf"m\d+_{kind}", e.attrs.get("id", ""))
    ]


def test_one_header_per_party_present_in_canonical_order(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    assert _headers(dot) == {
        "p_0": "Browser",
        "p_1": "Client",
        "p_2": "Authorization Server",
        "p_3": "Resource Server",
    }
    xs = [dot.pos(f"p_{i}")[0] for i in range(4)]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert len({dot.pos(f"p_{i}")[1] for i in range(4)}) == 1


def test_each_party_has_one_dashed_lifeline_to_the_bottom(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    lifelines = [e for e in dot.edges if e.attrs.get("id", "").startswith("lifeline_")]
    assert [(e.tail, e.head) for e in lifelines] == [
        (f"p_{i}", f"p_{i}_end") for i in range(4)
    ]
    assert all(e.attrs["style"] == "dashed" for e in lifelines)
    assert all(e.attrs["arrowhead"] == "none" for e in lifelines)
    lowest_arrow = min(dot.pos(e.tail)[1] for e in _messages(dot, "rep"))
    assert all(dot.pos(e.head)[1] < lowest_arrow for e in lifelines)


def test_each_exchange_is_one_request_and_one_reply_numbered_in_order(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    requests, replies = _messages(dot, "req"), _messages(dot, "rep")
    assert [e.attrs["id"] for e in requests] == [f"m{n}_req" for n in range(1, 9)]
    assert [e.attrs["id"] for e in replies] == [f"m{n}_rep" for n in range(1, 9)]
    assert [dot.nodes[f"m{n}_req_label"]["label"] for n in range(1, 9)] == [
        "1. GET /login",
        "2. GET /authorize",
        "3. POST /login",
        "4. POST /authorize",
        "5. GET /callback",
        "6. POST /token",
        "7. GET /api/user",
        "8. GET /api/admin",
    ]
    assert [dot.nodes[f"m{n}_rep_label"]["label"] for n in range(1, 9)] == [
        "302 Found",
        "200 OK",
        "302 Found",
        "302 Found",
        "302 Found",
        "200 OK",
        "200 OK",
        "401 Unauthorized",
    ]


def test_request_labels_leave_out_the_query_and_its_code(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    labels = [a["label"] for n, a in dot.nodes.items() if n.endswith("_label")]
    assert not any("?" in label or "code=" in label for label in labels)


def test_requests_go_sender_to_receiver_and_replies_come_back(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))
    column_x = {label: dot.pos(name)[0] for name, label in _headers(dot).items()}

    for number, exchange in enumerate(pkce_flow, start=1):
        request, reply = dot.edge(f"m{number}_req"), dot.edge(f"m{number}_rep")
        sender_x, receiver_x = column_x[exchange.sender], column_x[exchange.receiver]
        assert (dot.pos(request.tail)[0], dot.pos(request.head)[0]) == (
            sender_x,
            receiver_x,
        )
        assert (dot.pos(reply.tail)[0], dot.pos(reply.head)[0]) == (
            receiver_x,
            sender_x,
        )
        assert request.attrs["style"] == "solid"
        assert reply.attrs["style"] == "dashed"


def test_rows_descend_strictly_and_evenly_in_exchange_order(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    rows = []
    for number in range(1, len(pkce_flow) + 1):
        for kind in ("req", "rep"):
            edge = dot.edge(f"m{number}_{kind}")
            tail_y, head_y = dot.pos(edge.tail)[1], dot.pos(edge.head)[1]
            assert tail_y == head_y  # horizontal: both ends on the same row
            rows.append(tail_y)
    gaps = [upper - lower for upper, lower in pairwise(rows)]
    assert all(gap > 0 for gap in gaps)
    assert len(set(gaps)) == 1
    assert rows[0] < dot.pos("p_0")[1]


def test_labels_sit_just_above_their_arrows_midpoint(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    for edge in _messages(dot, "req") + _messages(dot, "rep"):
        (tail_x, y), (head_x, _) = dot.pos(edge.tail), dot.pos(edge.head)
        label = dot.nodes[f"{edge.attrs['id']}_label"]
        label_x, label_y = dot.pos(f"{edge.attrs['id']}_label")
        assert label["shape"] == "plaintext"
        assert label_x == (tail_x + head_x) / 2
        assert 0 < label_y - y < sequence_diagram.ROW_GAP / 2


def test_front_and_back_channel_arrows_are_styled_differently(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    front = dot.edge("m1_req").attrs["color"]
    back = dot.edge("m6_req").attrs["color"]
    assert front != back
    assert dot.edge("m5_req").attrs["color"] == front  # the callback: via browser
    assert dot.edge("m7_req").attrs["color"] == back  # the API call
    assert dot.nodes["m6_req_label"]["fontcolor"] == back
    assert "front channel" in dot.nodes["legend"]["label"]
    assert "back channel" in dot.nodes["legend"]["label"]


def test_current_step_arrows_are_highlighted(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow, current_step=4))
    highlighted = {"m5_req", "m5_rep", "m6_req", "m6_rep"}

    for edge in _messages(dot, "req") + _messages(dot, "rep"):
        name = edge.attrs["id"]
        label = dot.nodes[f"{name}_label"]
        if name in highlighted:
            assert edge.attrs["penwidth"] == sequence_diagram.HIGHLIGHT_PENWIDTH
            assert label["fillcolor"] == sequence_diagram.HIGHLIGHT_FILL
            assert label["fontname"] == sequence_diagram.BOLD_FONT
        else:
            assert edge.attrs["penwidth"] == sequence_diagram.PENWIDTH
            assert label["fillcolor"] != sequence_diagram.HIGHLIGHT_FILL
            assert label["fontname"] == sequence_diagram.FONT


def test_no_current_step_highlights_nothing(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))

    assert all(
        e.attrs["penwidth"] == sequence_diagram.PENWIDTH
        for e in _messages(dot, "req") + _messages(dot, "rep")
    )


def test_error_replies_are_red_and_their_requests_are_not(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow))
    red = sequence_diagram.ERROR_COLOUR

    assert dot.edge("m8_rep").attrs["color"] == red
    assert dot.nodes["m8_rep_label"]["fontcolor"] == red
    assert dot.edge("m8_req").attrs["color"] != red
    assert all(dot.edge(f"m{n}_rep").attrs["color"] != red for n in range(1, 8))


def test_missing_reason_phrase_falls_back_to_the_standard_one():
    flow = [_exchange(0, CLIENT, RS, BACK, "GET", f"{API}/missing", 404)]

    dot = _parse(sequence_diagram.build(flow))

    assert dot.nodes["m1_rep_label"]["label"] == "404 Not Found"
    assert dot.edge("m1_rep").attrs["color"] == sequence_diagram.ERROR_COLOUR


def test_parties_argument_forces_an_empty_lifeline(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow, parties=ALL_FIVE))

    assert _headers(dot)["p_4"] == "Attacker"
    assert ("p_4", "p_4_end") in [(e.tail, e.head) for e in dot.edges]
    attacker_x = dot.pos("p_4")[0]
    for edge in _messages(dot, "req") + _messages(dot, "rep"):
        assert attacker_x not in (dot.pos(edge.tail)[0], dot.pos(edge.head)[0])


def test_parties_that_speak_but_were_not_forced_are_still_drawn(pkce_flow):
    dot = _parse(sequence_diagram.build(pkce_flow, parties=[AS]))

    assert list(_headers(dot).values()) == [
        "Authorization Server",
        "Browser",
        "Client",
        "Resource Server",
    ]


def test_empty_exchange_list_gives_lifelines_only():
    dot = _parse(sequence_diagram.build([], parties=ALL_FIVE))

    assert list(_headers(dot).values()) == [str(p) for p in ALL_FIVE]
    assert [e.attrs["id"] for e in dot.edges] == [f"lifeline_{i}" for i in range(5)]
    assert not any(name.startswith("m") for name in dot.nodes)
    assert "legend" not in dot.nodes
    assert sequence_diagram.build([]).body  # nobody yet: still a valid graph


def test_long_paths_keep_the_segment_that_names_the_endpoint():
    flow = [
        _exchange(
            0,
            CLIENT,
            AS,
            BACK,
            "GET",
            f"{AUTH}/.well-known/oauth-authorization-server",
            200,
            "OK",
        )
    ]

    dot = _parse(sequence_diagram.build(flow))

    assert dot.nodes["m1_req_label"]["label"] == "1. GET /…/oauth-authorization-server"


def test_a_party_talking_to_itself_still_gets_a_visible_arrow():
    flow = [_exchange(0, Party.ATTACKER, Party.ATTACKER, BACK, "GET", APP, 200)]

    dot = _parse(sequence_diagram.build(flow))
    edge = dot.edge("m1_req")

    assert dot.nodes["m1_req_label"]["label"] == "1. GET /"
    assert dot.pos(edge.tail)[0] != dot.pos(edge.head)[0]


def test_labels_are_escaped_for_dot():
    title = 'Lesson 1: "<b>" C:\\new'
    flow = [_exchange(0, BROWSER, CLIENT, FRONT, "GET", f"{APP}/a:b\\n", 200, "OK")]

    source = sequence_diagram.to_dot(flow, title=title)

    assert 'label="Lesson 1: \\"<b>\\" C:\\\\new"' in source
    assert 'label="1. GET /a:b\\\\n"' in source


def test_layout_is_neato_with_pinned_positions_in_points(pkce_flow):
    graph = sequence_diagram.build(pkce_flow, title="Code + PKCE")
    dot = _parse(graph)

    assert graph.engine == "neato"
    for setting in ("layout=neato", "splines=false", "inputscale=72"):
        assert setting in graph.source
    assert all(attrs["pos"].endswith("!") for attrs in dot.nodes.values())


def test_dot_source_is_stable(pkce_flow):
    first = sequence_diagram.to_dot(pkce_flow, current_step=4, title="Code + PKCE")
    again = sequence_diagram.to_dot(pkce_flow, current_step=4, title="Code + PKCE")

    assert first == again
    assert (
        first
        == sequence_diagram.build(pkce_flow, current_step=4, title="Code + PKCE").source
    )


@pytest.mark.skipif(
    shutil.which("neato") is None,
    reason="Graphviz's neato binary is not installed (apt-get install graphviz)",
)
def test_render_svg_draws_every_party(pkce_flow):
    svg = sequence_diagram.render_svg(
        pkce_flow, parties=ALL_FIVE, current_step=4, title='Code + PKCE: "\\n"'
    )

    assert sequence_diagram.has_graphviz_binary()
    assert svg is not None
    assert svg.startswith(b"<?xml") or b"<svg" in svg
    text = svg.decode("utf-8")
    for party in ALL_FIVE:
        assert f">{party}</text>" in text
    assert 'id="m8_rep"' in text


def test_render_svg_gives_none_without_graphviz(pkce_flow, monkeypatch):
    monkeypatch.setattr(sequence_diagram.shutil, "which", lambda name: None)

    assert not sequence_diagram.has_graphviz_binary()
    assert sequence_diagram.render_svg(pkce_flow) is None


def test_render_svg_gives_none_when_the_executable_vanishes(pkce_flow, monkeypatch):
    def vanish(self, *args, **kwargs):
        raise graphviz.ExecutableNotFound(["neato"])

    monkeypatch.setattr(sequence_diagram.shutil, "which", lambda name: "/usr/bin/neato")
    monkeypatch.setattr(graphviz.Digraph, "pipe", vanish)

    assert sequence_diagram.render_svg(pkce_flow) is None


def _json_error(index: int, error: str) -> Exchange:
    return Exchange(
        index=index,
        sender=CLIENT,
        receiver=AS,
        channel=BACK,
        request=HttpRequest("POST", f"{AUTH}/token"),
        response=HttpResponse(
            400,
            "Bad Request",
            (("Content-Type", "application/json"),),
            f'{{"error": "{error}", "error_description": "..."}}'.encode(),
        ),
    )


def test_polling_replies_show_their_oauth_error_codes():
    """RFC 8628 3.5: a device's polls are 400 after 400; the diagram says which."""
    polls = [
        _json_error(1, "authorization_pending"),
        _json_error(2, "slow_down"),
        _exchange(3, CLIENT, AS, BACK, "POST", f"{AUTH}/token", 200, "OK"),
    ]
    dot = _parse(sequence_diagram.build(polls))
    assert [dot.nodes[f"m{n}_rep_label"]["label"] for n in (1, 2, 3)] == [
        "400 authorization_pending",
        "400 slow_down",
        "200 OK",
    ]
    assert sequence_diagram._reply_tooltip(polls[1]) == "400 Bad Request: slow_down"
