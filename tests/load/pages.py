"""Read pages like a browser does, without one: the forms (their fields, the options of
their selects, the CSRF token Django puts in each) and the links and images a page
shows. Standard library only; tolerant of whatever HTML the templates produce."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Select:
    name: str
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, disabled)
    selected: str | None = None

    def choices(self) -> list[str]:
        return [value for value, disabled in self.options if value and not disabled]


@dataclass
class Form:
    action: str
    method: str
    # Successful controls as a browser would send them with no change, in page order.
    values: list[tuple[str, str]] = field(default_factory=list)
    selects: dict[str, Select] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Boxes a person could tick (unchecked, not disabled): name → values.
    unchecked: dict[str, list[str]] = field(default_factory=dict)

    def fields(self, **changes: str) -> list[tuple[str, str]]:
        """The form's values with `changes` applied (a name's values replaced)."""
        kept = [(name, value) for name, value in self.values if name not in changes]
        return kept + list(changes.items())

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.values if key == name), None)

    def random_choice(self, name: str, rng: random.Random) -> str:
        return rng.choice(self.selects[name].choices())


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self._form: Form | None = None
        self._select: Select | None = None
        self._select_disabled = False
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value or "") for key, value in attrs}
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.srcs.append(a["src"])
        elif tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name", "")
        disabled = "disabled" in a
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                self._form.buttons.append(name)
            elif kind == "file":
                self._form.files.append(name)
            elif disabled:
                pass  # never sent
            elif kind in ("checkbox", "radio") and "checked" not in a:
                self._form.unchecked.setdefault(name, []).append(a.get("value", "on"))
            else:
                default = "on" if kind in ("checkbox", "radio") else ""
                self._form.values.append((name, a.get("value", default)))
        elif tag == "button" and name:
            self._form.buttons.append(name)
        elif tag == "select" and name:
            self._select = Select(name)
            self._select_disabled = disabled
            self._form.selects[name] = self._select
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append((value, "disabled" in a))
            if "selected" in a:
                self._select.selected = value
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            select = self._select
            if not self._select_disabled:
                # A browser sends the selected option, or the first one.
                value = select.selected
                if value is None and select.options:
                    value = select.options[0][0]
                if value is not None:
                    self._form.values.append((select.name, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.values.append((name, "".join(text).lstrip("\n")))
            self._textarea = None


@dataclass
class Page:
    forms: list[Form]
    hrefs: list[str]
    srcs: list[str]

    def form(self, action: str | re.Pattern | None = None) -> Form | None:
        """The first form whose action matches (a regex, or exactly; None: any)."""
        for form in self.forms:
            if action is None or (
                    action.search(form.action) if isinstance(action, re.Pattern)
                    else form.action == action):
                return form
        return None

    def links(self, pattern: re.Pattern) -> list[str]:
        return _unique(href for href in self.hrefs if pattern.fullmatch(href.split("?")[0]))

    def images(self, pattern: re.Pattern) -> list[str]:
        return _unique(src for src in self.srcs if pattern.fullmatch(src))

    def csrf_token(self) -> str | None:
        for form in self.forms:
            token = form.value("csrfmiddlewaretoken")
            if token:
                return token
        return None


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def read(html: str, path: str) -> Page:
    """The page at `path`: a form without an action posts to the page's own path."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        form.action = form.action or path.split("?")[0]
    return Page(parser.forms, parser.hrefs, parser.srcs)


def multipart(fields: list[tuple[str, str]],
              files: list[tuple[str, str, str, bytes]] = ()) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it: (body, Content-Type). `files`
    holds (field name, file name, content type, bytes); a file field left empty is sent
    as an empty part, like a browser's."""
    boundary = f"----LoadTestBoundary{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    for name, filename, content_type, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
