"""Walk the pages as one account would, by following links, and read them as its user does.

Used by the every-page-every-role test: a page "leaks" when its visible text or an attribute a
user reads (title, placeholder, aria-label, alt, a button's value) holds a word of ASCII
letters that is not an allowed name — an untranslated msgid ("Progress"), a snake_case code
("milestone_done"), an English enum value ("handed_over") or a verb ("create").
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve

# Names a Chinese user reads as they are: products, formats, standards, units of measure.
ALLOWED = {
    "cityloop",
    "api",
    "openapi",
    "swagger",
    "excel",
    "word",
    "pdf",
    "docx",
    "xlsx",
    "csv",
    "json",
    "xml",
    "geojson",
    "open311",
    "georeport",
    "wps",
    "sms",
    "wecom",
    "echarts",
    "leaflet",
    "openstreetmap",
    "km",
    "kb",
    "mb",
    "ha",
    "id",
    "gps",
    "wgs",
    "gcj",
    "url",
    "http",
    "https",
    "www",
    "gb",
    "tf",
    "idf",
    "svm",
    "macro",
    "f1",
    "top",
    "english",  # the language switch names the other language in that language
    "tipdm",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Codes of the records themselves are data: case codes (261113-J29VU), unit and place codes,
# scheme codes (CW-ZXL), task codes (JYL-2020-01), document numbers. Upper case or digits only.
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_\-]*$")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
SKIP_TAGS = {"script", "style", "code", "pre", "template", "noscript"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._no_check = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIP_TAGS:
            self._skip += 1
        if "data-raw" in attrs:  # a deliberately verbatim value (an address someone typed)
            self._no_check += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in READ_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


FILE_TYPES = {"jpg", "jpeg", "png", "gif", "webp", "pdf", "doc", "docx", "xls", "xlsx", "csv"}


def leaks(html: str, extra_allowed: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(the suspicious words of a page, its links)."""
    reader = _Reader()
    reader.feed(html)
    found = []
    allowed = ALLOWED | {w.lower() for w in extra_allowed}
    for text in reader.texts:
        for token in text.split():
            for word in WORD.findall(token):
                if CODE.match(word) or word.lower() in allowed:
                    continue
                if token.startswith(("http://", "https://", "/")):
                    continue  # a URL shown as such
                if word.lower() in FILE_TYPES and token.lower().endswith("." + word.lower()):
                    continue  # an uploaded file's own name (决议公告.jpg)
                found.append(word)
    return found, reader.links


@dataclass
class Visit:
    pages: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    came_from: dict[str, str] = field(default_factory=dict)  # a URL → the page linking to it

    def error_report(self) -> str:
        return "\n".join(
            f"{url}: {status} (linked from {self.came_from.get(url, '-')})"
            for url, status in sorted(self.errors.items())
        )


SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/logout", "/i18n/", "/open311/")
SKIP_IN_URL = ("format=xlsx", "format=csv", "/file.", ".docx", ".pdf", ".xlsx", ".csv", "/photo")


def crawl(client, start: str = "/", *, per_route: int = 2, limit: int = 400, allowed=()) -> Visit:
    """Breadth-first over the site's own HTML pages, at most ``per_route`` URLs per route."""
    visit = Visit()
    seen: set[str] = set()
    per: dict[str, int] = {}
    queue = deque([start])
    while queue and visit.pages < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        try:
            match = resolve(path)
        except Resolver404:
            visit.errors[url] = 404
            continue
        route = f"{match.namespace}:{match.url_name}"
        if per.get(route, 0) >= per_route:
            continue
        per[route] = per.get(route, 0) + 1
        response = client.get(url)
        visit.pages += 1
        if response.status_code in (301, 302):
            continue
        if response.status_code != 200:
            visit.errors[url] = response.status_code
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        words, links = leaks(response.content.decode(), set(allowed))
        if words:
            visit.problems[url] = sorted(set(words))
        for href in links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue
            if href.startswith(SKIP_PREFIXES) or any(s in href for s in SKIP_IN_URL):
                continue
            if href not in seen:
                visit.came_from.setdefault(href, url)
                queue.append(href)
    return visit
