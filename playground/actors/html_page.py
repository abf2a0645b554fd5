"""Read the forms and visible text of an HTML page, as a browser would.

The Browser actor fills in the AS's sign-in and consent forms from what the
page says (hidden fields included), so the learner sees exactly what a real
browser would post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.title = ""
        self.text: list[str] = []
        self._in: list[str] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        self._in.append(tag)
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

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data.strip()
        elif not {"style", "script", "head"} & set(self._in) and data.strip():
            self.text.append(" ".join(data.split()))


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    forms: tuple[Form, ...]

    def form(self, form_id: str) -> Form | None:
        return next((form for form in self.forms if form.id == form_id), None)


def parse_page(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return Page(parser.title, "\n".join(parser.text), tuple(parser.forms))
