"""Read an HTML page as a browser would: its title, visible text, forms and frames.

The one page parser of the playground. The Browser actor fills in the AS's
sign-in and consent forms from what the page says (hidden fields included),
so the learner sees exactly what a real browser would post; it finds the
`<iframe>`s a page embeds; and the UI shows the page's text as a person
reads it. Built on the standard library's tolerant `html.parser`, which is
all three need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that start a new line of text; inline ones ("Signed in as
# <strong>Alice</strong>.") stay on the line they are in.
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    ]
)
# Elements whose content a person never sees as page text.
_HIDDEN = frozenset({"head", "script", "style", "title", "template"})
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    forms: tuple[Form, ...]
    frames: tuple[str, ...] = ()  # each <iframe>'s src, as written
    referrer_policy: str = ""  # <meta name="referrer" content="...">
    links: tuple[tuple[str, str], ...] = ()  # each <a id=... href=...>: (id, href)

    def form(self, form_id: str) -> Form | None:
        return next((form for form in self.forms if form.id == form_id), None)

    def link(self, link_id: str) -> str | None:
        """The `href` of the link `<a id="link_id">`, as written."""
        return next((href for id_, href in self.links if id_ == link_id), None)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.frames: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.referrer_policy = ""
        self.title = ""
        self.parts: list[str] = []
        self._open: list[str] = []
        self._form: Form | None = None
        # The <select> being read, and whether an <option> chose its value.
        self._select: str | None = None
        self._select_chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag not in _VOID:
            self._open.append(tag)
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "form":
            self._form = Form(
                id=attr.get("id", f"form-{len(self.forms) + 1}"),
                action=attr.get("action", ""),
                method=attr.get("method", "get").upper(),
            )
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attr.get("name"):
            self._form.fields[attr["name"]] = attr.get("value", "")
        elif tag == "button" and self._form is not None and attr.get("name"):
            self._form.buttons.append((attr["name"], attr.get("value", "")))
        elif tag == "select" and self._form is not None and attr.get("name"):
            self._select = attr["name"]
            self._select_chosen = False
        elif tag == "option" and self._form is not None and self._select:
            # HTML: a select's value is its selected option's, else its first's.
            if "selected" in attr:
                self._form.fields[self._select] = attr.get("value", "")
                self._select_chosen = True
            elif not self._select_chosen and self._select not in self._form.fields:
                self._form.fields[self._select] = attr.get("value", "")
        elif tag == "iframe" and attr.get("src"):
            self.frames.append(attr["src"])
        elif tag == "a" and attr.get("id") and "href" in attr:
            self.links.append((attr["id"], attr["href"]))
        elif tag == "meta" and attr.get("name", "").lower() == "referrer":
            self.referrer_policy = attr.get("content", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None
        if tag in ("td", "th"):
            self.parts.append(" ")  # table cells read apart, as on screen
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title += data.strip()
        elif not _HIDDEN & set(self._open):
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line)


def parse_page(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return Page(
        parser.title,
        parser.text(),
        tuple(parser.forms),
        tuple(parser.frames),
        parser.referrer_policy,
        tuple(parser.links),
    )
