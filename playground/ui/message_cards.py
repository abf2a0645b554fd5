"""One HTTP exchange as a card: heading, channel, parties and status badges,
and its raw HTTP text."""

from __future__ import annotations

from dataclasses import dataclass

from playground.views.raw_http import render_exchange
from playground.wire.exchange import Channel, Exchange, Party


def status_colour(status: int) -> str:
    """2xx green, 3xx blue, 4xx/5xx red: the colours of st.badge."""
    if 200 <= status < 300:
        return "green"
    if 300 <= status < 400:
        return "blue"
    if status >= 400:
        return "red"
    return "gray"


@dataclass(frozen=True)
class Message:
    """One exchange as a card: a heading, badges and its raw HTTP text."""

    title: str
    channel: Channel
    parties: str
    status: str
    status_colour: str
    raw: str
    from_script: bool = False  # a fetch() from a page, not a server's request

    def badges(self) -> str:
        """The card's badges as Streamlit Markdown directives, in one line."""
        if self.channel is Channel.FRONT:
            channel = ":violet-badge[:material/public: front channel]"
        elif self.from_script:
            channel = ":orange-badge[:material/code: back channel, a page's script]"
        else:
            channel = ":orange-badge[:material/dns: back channel]"
        return " ".join(
            (
                channel,
                f":gray-badge[{_badge_text(self.parties)}]",
                f":{self.status_colour}-badge[{_badge_text(self.status)}]",
            )
        )


def _badge_text(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def message(exchange: Exchange, *, wrap: int | None = None) -> Message:
    """`wrap=None`: the screen soft-wraps long lines, so any width fits."""
    response = exchange.response
    return Message(
        title=f"{exchange.index}. {exchange.label}",
        channel=exchange.channel,
        from_script=exchange.channel is Channel.BACK
        and exchange.sender in (Party.BROWSER, Party.ATTACKER)
        and exchange.request.header("Sec-Fetch-Mode") is not None,
        parties=f"{exchange.sender} → {exchange.receiver}",
        status=f"{response.status} {response.phrase}".strip(),
        status_colour=status_colour(response.status),
        raw=render_exchange(exchange, wrap=wrap, pretty=True),
    )
