"""Keep the zh_Hans catalog complete.

    python scripts/i18n.py           extract, merge incoming/*.po, write the catalog
    python scripts/i18n.py --check   exit 1 listing msgids missing, empty or with bad placeholders

Msgids come from ``src/cityloop/**/*.py`` (gettext-family calls, read with :mod:`ast`) and
from templates (``{% translate %}``, ``{% trans %}``, ``{% blocktranslate %}``, read with
Django's own template lexer so the msgids match what Django looks up at run time).
Translations come from the existing catalog first, then from
``src/cityloop/locale/incoming/*.po`` (other engineers' msgid→Chinese pairs); the catalog
wins a conflict so a reviewed translation is not silently replaced, and conflicts are
printed. Compile with ``make messages`` (Babel), no system gettext needed.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cityloop"
LOCALE = SRC / "locale"
CATALOG = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
INCOMING = LOCALE / "incoming"

# name -> (index of context arg or None, index of msgid, index of plural msgid or None)
PY_FUNCS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ugettext": (None, 0, None),
    "ugettext_lazy": (None, 0, None),
    "_lazy": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
SKIP_DIRS = {"migrations", "__pycache__", "static", "locale"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{\w*\}")


@dataclass(frozen=True)
class Key:
    msgid: str
    context: str | None = None
    plural: str | None = None


@dataclass
class Found:
    key: Key
    locations: list[tuple[str, int]] = field(default_factory=list)


# ---------------------------------------------------------------- extraction


def _py_files() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.relative_to(SRC).parts):
            yield path


def _template_files() -> Iterator[Path]:
    for path in sorted(SRC.rglob("templates/**/*")):
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".md"}:
            yield path


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _const(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(path: Path) -> Iterator[tuple[Key, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        spec = PY_FUNCS.get(_call_name(node.func) or "")
        if spec is None:
            continue
        ctx_i, id_i, pl_i = spec
        args = node.args
        msgid = _const(args[id_i]) if len(args) > id_i else None
        if not msgid:
            continue  # a variable or f-string: nothing static to translate
        context = _const(args[ctx_i]) if ctx_i is not None and len(args) > ctx_i else None
        plural = _const(args[pl_i]) if pl_i is not None and len(args) > pl_i else None
        yield Key(msgid, context, plural), node.lineno


def _unquote(token: str) -> str | None:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return None


def _bits(contents: str) -> list[str]:
    from django.utils.text import smart_split

    return list(smart_split(contents))


def _option(bits: list[str], name: str) -> str | None:
    if name in bits:
        i = bits.index(name)
        if i + 1 < len(bits):
            return _unquote(bits[i + 1])
    return None


def extract_template(path: Path) -> Iterator[tuple[Key, int]]:
    """Mirror of Django's own msgid rules (``django.templatetags.i18n``)."""
    from django.template.base import Lexer, TokenType
    from django.utils.translation import trim_whitespace

    tokens = Lexer(path.read_text(encoding="utf-8")).tokenize()
    block: dict | None = None
    for token in tokens:
        if block is not None:
            if token.token_type == TokenType.BLOCK:
                name = token.contents.split()[0]
                if name == "plural":
                    block["in_plural"] = True
                    continue
                if name in {"endblocktranslate", "endblocktrans"}:
                    singular = "".join(block["singular"])
                    plural = "".join(block["plural"]) if block["in_plural"] else None
                    if block["trimmed"]:
                        singular = trim_whitespace(singular)
                        plural = trim_whitespace(plural) if plural is not None else None
                    yield Key(singular, block["context"], plural), block["line"]
                    block = None
                    continue
                raise SystemExit(
                    f"{path}:{token.lineno}: {{% {name} %}} is not allowed inside blocktranslate"
                )
            part = block["plural"] if block["in_plural"] else block["singular"]
            if token.token_type == TokenType.VAR:
                part.append(f"%({token.contents.strip()})s")
            elif token.token_type == TokenType.TEXT:
                part.append(token.contents.replace("%", "%%"))
            continue
        if token.token_type != TokenType.BLOCK:
            continue
        bits = _bits(token.contents)
        if not bits:
            continue
        if bits[0] in {"translate", "trans"} and len(bits) > 1:
            msgid = _unquote(bits[1])
            if msgid:  # a variable argument has nothing static to extract
                yield Key(msgid, _option(bits, "context")), token.lineno
        elif bits[0] in {"blocktranslate", "blocktrans"}:
            block = {
                "singular": [],
                "plural": [],
                "in_plural": False,
                "trimmed": "trimmed" in bits,
                "context": _option(bits, "context"),
                "line": token.lineno,
            }


def extract() -> dict[Key, Found]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure()  # the lexer needs settings, not a project
        django.setup()
    found: dict[Key, Found] = {}
    sources = [(p, extract_python) for p in _py_files()]
    sources += [(p, extract_template) for p in _template_files()]
    for path, fn in sources:
        rel = str(path.relative_to(ROOT))
        for key, line in fn(path):
            found.setdefault(key, Found(key)).locations.append((rel, line))
    return found


# ---------------------------------------------------------------- catalogs


def _message_key(message) -> Key:
    if isinstance(message.id, tuple | list):
        return Key(message.id[0], message.context, message.id[1])
    return Key(message.id, message.context)


def _string(message) -> str:
    if isinstance(message.string, tuple | list):
        return message.string[0] if message.string else ""
    return message.string or ""


def read_translations(path: Path) -> dict[Key, str]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    return {_message_key(m): _string(m) for m in catalog if m.id}


def incoming_translations() -> tuple[dict[Key, str], list[str]]:
    merged: dict[Key, str] = {}
    notes: list[str] = []
    for path in sorted(INCOMING.glob("*.po")):
        for key, text in read_translations(path).items():
            if not text:
                continue
            if merged.get(key, text) != text:
                notes.append(f"incoming conflict for {key.msgid!r}: kept {merged[key]!r}")
                continue
            merged[key] = text
    return merged, notes


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def problems(found: dict[Key, Found], translations: dict[Key, str]) -> list[str]:
    out = []
    for key in sorted(found, key=lambda k: (k.msgid, k.context or "")):
        path, line = found[key].locations[0]
        where = f"{path}:{line}"
        text = translations.get(key, "")
        ctx = f" [context {key.context!r}]" if key.context else ""
        if not text.strip():
            out.append(f"missing: {key.msgid!r}{ctx}  ({where})")
        elif _placeholders(key.msgid) != _placeholders(text):
            out.append(f"placeholders differ: {key.msgid!r} -> {text!r}  ({where})")
    return out


def build_catalog(found: dict[Key, Found], translations: dict[Key, str]) -> Catalog:
    catalog = Catalog(
        locale="zh_Hans",
        domain="django",
        project="cityloop",
        version="0.1",
        msgid_bugs_address="cityloop maintainers",
        last_translator="cityloop maintainers",
        language_team="cityloop <zh_Hans>",
        fuzzy=False,
    )
    keys = set(found) | {k for k in translations if translations[k]}
    for key in sorted(keys, key=lambda k: (k.msgid, k.context or "")):
        text = translations.get(key, "")
        msgid: str | tuple[str, str] = key.msgid
        string: str | tuple[str] = text
        if key.plural is not None:
            msgid = (key.msgid, key.plural)
            string = (text,)  # Chinese has one plural form
        locations = found[key].locations if key in found else []
        flags = ["python-format"] if "%(" in key.msgid else []
        catalog.add(msgid, string, locations=locations, flags=flags, context=key.context)
    return catalog


def write_catalog(catalog: Catalog) -> None:
    CATALOG.parent.mkdir(parents=True, exist_ok=True)
    with CATALOG.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False, include_lineno=False)
    # Babel writes the generator's date; drop it so re-runs do not churn the file.
    text = CATALOG.read_text(encoding="utf-8")
    text = re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', "", text)
    text = re.sub(
        r"^# (Translations template|Copyright \(C\)|FIRST AUTHOR).*\n", "", text, flags=re.M
    )
    CATALOG.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report problems, write nothing")
    args = parser.parse_args(argv)

    found = extract()
    existing = read_translations(CATALOG)
    incoming, notes = incoming_translations()
    if args.check:
        bad = problems(found, existing)
        for line in bad:
            print(line)
        print(f"{len(found)} msgids, {len(bad)} problem(s)")
        return 1 if bad else 0

    translations = dict(incoming)
    for key, text in existing.items():
        if not text:
            continue
        if incoming.get(key, text) != text:
            notes.append(f"catalog kept {text!r} over incoming {incoming[key]!r} for {key.msgid!r}")
        translations[key] = text
    catalog = build_catalog(found, translations)
    write_catalog(catalog)
    for note in notes:
        print(note)
    bad = problems(found, translations)
    for line in bad:
        print(line)
    print(f"wrote {CATALOG.relative_to(ROOT)}: {len(catalog)} messages, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
