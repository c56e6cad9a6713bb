"""A small framework for importing tables: read a file, check every row, report every problem.

The pieces, in the order an import uses them:

- :func:`read_table` turns a csv (UTF-8 with or without BOM, GBK/GB18030 as Chinese Excel
  writes it), an xlsx (first sheet) or a GeoJSON FeatureCollection into rows of text cells;
- :func:`parse` maps the headers onto a :class:`Spec` (Chinese or English aliases), checks
  required columns and cells, accepted values, duplicates and geometry, and collects **all**
  problems as :class:`RowError` instead of stopping at the first;
- :class:`ImportReport` carries the counts and errors and renders itself for people (a rich
  table) and for programs (a dict).

Which service a row goes to is the app's business (see ``cityloop/org/importers.py``); this
module knows nothing about places or units.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Coordinates are kept to 7 decimals (about 1 cm): enough for any street office, and it makes
# a converted geometry read back equal to itself, which idempotent re-imports rely on.
COORD_DECIMALS = 7

CRS_CHOICES = ("wgs84", "gcj02")

_FEATURE = "feature"
_LINE = "line"


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, broken encoding, not a table)."""

    def __init__(self, code: str, reason: str, *, line: int = 0):
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.line = line  # where the problem is, when it is on one line (0: the whole file)


@dataclass(frozen=True)
class RowError:
    """One problem: where (line or GeoJSON feature, column as the user wrote it) and why.

    ``line`` 0 means the file as a whole (a missing column, an empty file).
    """

    line: int
    column: str
    reason: str
    code: str = ""
    unit: str = _LINE  # "line" for csv/xlsx, "feature" for GeoJSON

    @property
    def where(self) -> str:
        if self.line == 0:
            return _("file")
        if self.unit == _FEATURE:
            return _("feature %(n)d") % {"n": self.line}
        return _("line %(n)d") % {"n": self.line}

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "unit": self.unit,
            "where": self.where,
            "column": self.column,
            "code": self.code,
            "reason": str(self.reason),
        }


@dataclass(frozen=True)
class Column:
    """One column of a spec.

    ``choices`` maps every accepted spelling (English code, Chinese names) to the stored
    value; spellings are compared case-insensitively.
    """

    name: str
    aliases: tuple[str, ...]
    required: bool = False
    choices: dict[str, str] | None = None
    kind: str = "text"  # text | bool | geometry | number

    @property
    def label(self) -> str:
        """The header to name in messages: the first alias, Chinese by convention."""
        return self.aliases[0] if self.aliases else self.name


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ("code",)  # columns that identify a row; duplicates are errors
    geometry: bool = False  # accepts geometry / lng / lat columns or GeoJSON features

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Geometry columns shared by every spec that has ``geometry=True``.
GEOMETRY_COLUMNS = (
    Column("geometry", ("几何", "geometry", "wkt", "geojson", "空间范围"), kind="geometry"),
    Column("lng", ("经度", "lng", "lon", "longitude", "x"), kind="number"),
    Column("lat", ("纬度", "lat", "latitude", "y"), kind="number"),
)

BOOL_VALUES = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "√": True,
    "×": False,
}


# --- reading --------------------------------------------------------------------------------


@dataclass
class Table:
    """Cells as text, keyed by header as written; ``rows`` are ``(line, cells, geometry)``."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str], dict | None]]
    unit: str = _LINE  # how rows are numbered
    has_feature_geometry: bool = False


def read_table(path: Path | str) -> Table:
    """Read csv, xlsx or GeoJSON by file extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFileError("file_not_found", _("File not found: %(path)s") % {"path": path})
    if suffix in {".csv", ".txt"}:
        return _read_csv(path.read_bytes())
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    if suffix in {".geojson", ".json"}:
        return _read_geojson(path.read_bytes())
    if suffix in {".xls", ".et"}:
        raise ImportFileError(
            "file_old_excel", _("Old .xls files are not read; save the sheet as .xlsx")
        )
    raise ImportFileError(
        "file_bad_type",
        _("Unknown file type %(suffix)s (use .csv, .xlsx or .geojson)") % {"suffix": suffix},
    )


# Encodings a Chinese office saves tables in and this reader accepts. Chinese Excel and WPS
# save "CSV" in the system code page (GBK); GB18030 is its superset, so it decodes both.
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "hz"}
_ENCODING_NAMES = {
    "big5": "Big5",
    "big5hkscs": "Big5-HKSCS",
    "cp950": "Big5",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
}
# Below this share of characters from the common simplified set (GB2312), a text that decoded
# as GB18030 is taken for another encoding read wrongly: Big5 bytes decode as GB18030 without
# an error but give rare and private-use characters.
_MIN_COMMON_SHARE = 0.8


def _line_of(data: bytes | str, offset: int) -> int:
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def _unreadable(line: int, detected: str | None) -> ImportFileError:
    if detected:
        reason = _(
            "Line %(line)d cannot be read as UTF-8 or GBK (the file looks like %(encoding)s); "
            "open it in Excel or WPS and save it as CSV UTF-8"
        ) % {"line": line, "encoding": detected}
    else:
        reason = _(
            "Line %(line)d cannot be read as UTF-8 or GBK; open the file in Excel or WPS and "
            "save it as CSV UTF-8"
        ) % {"line": line}
    return ImportFileError("file_bad_encoding", reason, line=line)


def _suspect_offset(text: str) -> int | None:
    """Where a GB18030 reading of the text goes wrong, or None when it reads as Chinese."""
    wide = 0
    common = 0
    first_rare = None
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        if "\ue000" <= ch <= "\uf8ff":  # private use: never in a real table
            return i
        wide += 1
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            if first_rare is None:
                first_rare = i
    if wide and common / wide < _MIN_COMMON_SHARE:
        return first_rare
    return None


def _detected_name(data: bytes) -> str | None:
    """The encoding to name in the refusal, when charset-normalizer finds one a user here
    meets (Big5 from Taiwan or Hong Kong, UTF-16 from some exports); else None."""
    from charset_normalizer import from_bytes

    for match in from_bytes(data):
        if match.encoding in _ENCODING_NAMES:
            return _ENCODING_NAMES[match.encoding]
    return None


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK/GB18030; anything else is refused with its line.

    A wrong guess is worse than a refusal: the text would be stored as garbage.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _unreadable(_line_of(data, exc.start), None) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = _line_of(data, min(exc.start, utf8_error.start))
        raise _unreadable(line, _detected_name(data)) from exc
    suspect = _suspect_offset(text)
    if suspect is None:
        from charset_normalizer import from_bytes

        # charset-normalizer must see a Chinese (GB) reading among its plausible ones; short
        # texts are ambiguous (EUC-KR decodes the same bytes), so it need not be the first.
        if any(m.encoding in _GB_FAMILY for m in from_bytes(data)):
            return text
        suspect = 0
    line = _line_of(text, suspect) if suspect else _line_of(data, utf8_error.start)
    raise _unreadable(line, _detected_name(data))


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    del data
    try:
        return _table_from_records(csv.reader(_lines(text)))
    except csv.Error as exc:
        raise ImportFileError(
            "file_bad_csv", _("The CSV file cannot be read: %(error)s") % {"error": exc}
        ) from exc


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, one at a time (``io.StringIO`` would copy
    the whole text first). A line break inside a quoted cell is the csv reader's business."""
    start, size = 0, len(text)
    newline = "\n" if "\n" in text else "\r"  # old Mac files end lines with CR alone
    while start < size:
        end = text.find(newline, start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


class FormulaWithoutValue(str):
    """A cell holding a formula that was never calculated: the file has no value to read.

    Files written by scripts (or saved by some tools) keep the formula only; Excel and WPS
    store the result when they save. The text is the formula, so a row with one is not blank.
    """


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_extras(sheet) -> tuple[list[str], dict[tuple[int, int], str]]:
    """What the read-only reader does not give: merged ranges and formulas with no value.

    One streaming pass over the sheet's XML: ``(["A2:A4", …], {(row, col): formula})``.
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple

    merged: list[str] = []
    formulas: dict[tuple[int, int], str] = {}
    with sheet._get_source() as source:
        for _event, elem in iterparse(source):
            tag = elem.tag
            if tag == f"{_SHEET_NS}c":
                f = elem.find(f"{_SHEET_NS}f")
                v = elem.find(f"{_SHEET_NS}v")
                if f is not None and (v is None or not (v.text or "")) and elem.get("r"):
                    formulas[coordinate_to_tuple(elem.get("r"))] = f"={f.text or ''}"
                elem.clear()
            elif tag == f"{_SHEET_NS}mergeCell":
                merged.append(elem.get("ref", ""))
            elif tag == f"{_SHEET_NS}row":
                elem.clear()
    return [m for m in merged if ":" in m], formulas


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or mislabelled file
        raise ImportFileError("file_bad_xlsx", _("The Excel file cannot be read")) from exc
    try:
        sheet = book.worksheets[0]
        records: list[list[str]] = [
            [_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        merged, formulas = _sheet_extras(sheet)
    finally:
        book.close()
    for (r, c), formula in formulas.items():
        _put(records, r, c, FormulaWithoutValue(formula))
    # A merged range shows its top-left value in every cell (a 地址 written once for the
    # three buildings of one compound); read as empty, it would erase stored values.
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        top_left = _get(records, min_row, min_col)
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    _put(records, r, c, top_left)
    return _table_from_records(records)


def _get(records: list[list[str]], row: int, col: int) -> str:
    if row <= len(records) and col <= len(records[row - 1]):
        return records[row - 1][col - 1]
    return ""


def _put(records: list[list[str]], row: int, col: int, value: str) -> None:
    while len(records) < row:
        records.append([])
    cells = records[row - 1]
    while len(cells) < col:
        cells.append("")
    cells[col - 1] = value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # Codes typed into Excel become numbers: 410106001.0 must read back as "410106001".
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _strip(cell: str) -> str:
    return cell if isinstance(cell, FormulaWithoutValue) else cell.strip()


def _cells_type(headers: list[str]):
    """A row's cells as a tuple that answers ``get(header)`` like the dict it replaces: a
    third of the memory for a 100 k-row file (the header index is shared by every row)."""
    index = {h: i for i, h in enumerate(headers)}
    width = len(headers)

    class Cells(tuple):
        __slots__ = ()

        def get(self, header: str, default: str = "") -> str:
            i = index.get(header)
            return tuple.__getitem__(self, i) if i is not None and i < len(self) else default

        def __getitem__(self, key):
            if isinstance(key, str):  # by header, as the dict did (KeyError if unknown)
                i = index[key]
                return tuple.__getitem__(self, i) if i < len(self) else ""
            return tuple.__getitem__(self, key)

    return lambda cells: Cells(cells[:width])


def _table_from_records(records: Iterable[list[str]]) -> Table:
    # Line numbers are the row numbers Excel shows: the header is line 1. One pass, no copy
    # of the records: a 100 k-row file is held once, as the rows.
    headers: list[str] | None = None
    rows = []
    for line, record in enumerate(records, start=1):
        cells = [_strip(c) for c in record]
        if not any(cells):  # blank lines are not rows
            continue
        if headers is None:
            headers = cells
            while headers and not headers[-1]:
                headers = headers[:-1]
            cells_of = _cells_type(headers)
            continue
        rows.append((line, cells_of(cells), None))
    if headers is None:
        return Table(headers=[], rows=[])
    return Table(headers=headers, rows=rows)


def _read_geojson(data: bytes) -> Table:
    try:
        doc = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            "file_bad_json",
            _("The GeoJSON file cannot be read: %(error)s") % {"error": exc.msg},
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFileError("file_bad_geojson", _("A GeoJSON FeatureCollection is expected"))
    headers: list[str] = []
    rows = []
    for n, feature in enumerate(doc.get("features") or [], start=1):
        props = (feature or {}).get("properties") or {}
        for key in props:
            if key not in headers:
                headers.append(key)
        cells = {k: _prop_text(v) for k, v in props.items()}
        rows.append((n, cells, (feature or {}).get("geometry")))
    return Table(headers=headers, rows=rows, unit=_FEATURE, has_feature_geometry=True)


def _prop_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


# --- parsing --------------------------------------------------------------------------------


# What a row's values become once the row is in its built object (see org's importers): one
# shared, read-only empty mapping rather than an empty dict per row of a 100 k-row file.
LET_GO: Any = MappingProxyType({})


@dataclass(slots=True)
class Row:
    """A row that passed the column checks: values keyed by column name.

    Slots: a 100 k-row file keeps a row for each line until it is written (its errors are
    reported by line), and a per-row ``__dict__`` was a tenth of that import's memory."""

    line: int
    values: dict[str, Any]
    geometry: dict | None = None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Parsed:
    rows: list[Row]
    present: set[str]  # column names found in the file (geometry counts if it can be given)
    headers: dict[str, str]  # column name → header as the user wrote it
    unit: str
    errors: list[RowError]  # file-level and cell-level, in line order
    warnings: list[str]

    def header(self, name: str, spec: Spec) -> str:
        if name in self.headers:
            return self.headers[name]
        try:
            return spec.column(name).label
        except StopIteration:
            return name

    def error(self, row: Row, name: str, reason: str, code: str = "") -> RowError:
        """Record a problem found after parsing (by the apply step) on ``row``."""
        column = self.headers.get(name, name) if name else ""
        err = RowError(row.line, column, reason, code, self.unit)
        row.errors.append(err)
        self.errors.append(err)
        return err


def normalise_header(text: str) -> str:
    return re.sub(r"[\s*＊:：]", "", text).lower()


def parse(table: Table, spec: Spec, *, crs: str = "wgs84") -> Parsed:
    """Map headers onto ``spec`` and check every cell; never stops at the first problem."""
    columns = list(spec.columns) + (list(GEOMETRY_COLUMNS) if spec.geometry else [])
    by_alias = {normalise_header(a): c for c in columns for a in (c.name, *c.aliases)}
    parsed = Parsed([], set(), {}, table.unit, [], [])
    if not table.headers:
        parsed.errors.append(
            RowError(0, "", _("The file is empty: no header row"), "file_empty", table.unit)
        )
        return parsed
    for header in table.headers:
        col = by_alias.get(normalise_header(header))
        if col is None:
            if header:
                parsed.warnings.append(
                    _("Column %(column)s is not used by this import") % {"column": header}
                )
            continue
        if col.name in parsed.headers:
            parsed.errors.append(
                RowError(
                    0,
                    header,
                    _("Column %(column)s appears twice (also as %(other)s)")
                    % {"column": header, "other": parsed.headers[col.name]},
                    "column_duplicate",
                    table.unit,
                )
            )
            continue
        parsed.headers[col.name] = header
    parsed.present = set(parsed.headers)
    if table.has_feature_geometry:
        parsed.present.add("geometry")
    for col in spec.columns:
        if col.required and col.name not in parsed.present:
            parsed.errors.append(
                RowError(
                    0,
                    col.label,
                    _("Required column %(column)s is missing (also accepted: %(aliases)s)")
                    % {"column": col.label, "aliases": " / ".join(col.aliases[1:]) or "-"},
                    "column_missing",
                    table.unit,
                )
            )
    if parsed.errors:
        return parsed
    if not table.rows:
        parsed.errors.append(
            RowError(0, "", _("The file has a header but no rows"), "file_no_rows", table.unit)
        )
        return parsed

    seen: dict[tuple, int] = {}
    # The table's rows are taken as they are read (the list reversed once, then popped): a
    # 100 k-row file is never held twice, as cells and as parsed rows.
    pending = table.rows
    pending.reverse()
    while pending:
        line, cells, feature_geometry = pending.pop()
        row = Row(line, {})
        for name, header in parsed.headers.items():
            col = next(c for c in columns if c.name == name)
            raw = cells.get(header, "")
            if isinstance(raw, FormulaWithoutValue):
                row.errors.append(
                    RowError(
                        line,
                        header,
                        _(
                            "This cell holds the formula %(formula)s but no calculated value; "
                            "open the file in Excel or WPS and save it again"
                        )
                        % {"formula": raw},
                        "cell_formula_no_value",
                        table.unit,
                    )
                )
                row.values[name] = None if col.kind != "text" else ""
                continue
            value, reason = _convert(col, raw)
            if reason:
                row.errors.append(RowError(line, header, reason, "cell_invalid", table.unit))
            elif col.required and value in ("", None):
                row.errors.append(
                    RowError(line, header, _("This cell is required"), "cell_required", table.unit)
                )
            row.values[name] = value
        if spec.geometry:
            _row_geometry(row, parsed, feature_geometry, table, crs)
        key = tuple(row.values.get(k) for k in spec.key)
        if key[0] not in ("", None):
            if key in seen:
                first = spec.key[0]
                row.errors.append(
                    RowError(
                        line,
                        parsed.headers.get(first, first),
                        _("Same as %(where)s: each row must appear once in a file")
                        % {"where": RowError(seen[key], "", "", unit=table.unit).where},
                        "row_duplicate",
                        table.unit,
                    )
                )
            else:
                seen[key] = line
        parsed.rows.append(row)
        parsed.errors.extend(row.errors)
    return parsed


def _convert(col: Column, raw: str) -> tuple[Any, str]:
    """Returns ``(value, reason)``; ``reason`` is empty when the cell is acceptable."""
    raw = raw.strip()
    if col.kind == "geometry":
        return raw, ""  # parsed with lng/lat in _row_geometry
    if raw == "":
        return ("" if col.kind == "text" else None), ""
    if col.choices is not None:
        value = col.choices.get(raw.lower()) or col.choices.get(raw)
        if value is None:
            chinese = "、".join(sorted(k for k in col.choices if not k.isascii()))
            codes = ", ".join(sorted(set(col.choices.values())))
            return None, _("%(value)s is not an accepted value (accepted: %(accepted)s)") % {
                "value": raw,
                "accepted": f"{chinese}; {codes}" if chinese else codes,
            }
        return value, ""
    if col.kind == "bool":
        value = BOOL_VALUES.get(raw.lower())
        if value is None:
            return None, _("%(value)s is not yes/no (是/否)") % {"value": raw}
        return value, ""
    if col.kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return None, _("%(value)s is not a number") % {"value": raw}
        if not math.isfinite(number):
            return None, _("%(value)s is not a number") % {"value": raw}
        return number, ""
    return raw, ""


def _row_geometry(row: Row, parsed: Parsed, feature: dict | None, table: Table, crs: str) -> None:
    """Fill ``row.geometry`` from the feature, a geometry cell, or lng/lat cells."""
    text = row.values.pop("geometry", "") or ""
    lng, lat = row.values.pop("lng", None), row.values.pop("lat", None)
    geometry: dict | None = None
    column = parsed.headers.get("geometry", "geometry")
    try:
        if table.has_feature_geometry and feature is not None:
            column = "geometry"
            geometry = geometry_from_geojson(feature)
        elif text:
            geometry = geometry_from_text(text)
        elif lng is not None or lat is not None:
            column = parsed.headers.get("lng" if lng is None else "lat", "lng")
            if lng is None or lat is None:
                raise ValueError(_("Both longitude and latitude are needed for a point"))
            if crs != "gcj02":  # rounded at once: one dict per point, not a copy of it
                row.geometry = {
                    "type": "Point",
                    "coordinates": [round(lng, COORD_DECIMALS), round(lat, COORD_DECIMALS)],
                }
                return
            geometry = {"type": "Point", "coordinates": [lng, lat]}
    except ValueError as exc:
        row.errors.append(RowError(row.line, column, str(exc), "geometry_unreadable", table.unit))
        return
    if geometry is not None:
        if crs == "gcj02":
            # core.geo brings numpy, shapely and pyproj (~25 MB): only a GCJ-02 file needs it.
            from cityloop.core.geo import gcj02_to_wgs84

            geometry = map_coordinates(geometry, gcj02_to_wgs84)
        geometry = map_coordinates(
            geometry, lambda x, y: (round(x, COORD_DECIMALS), round(y, COORD_DECIMALS))
        )
    row.geometry = geometry


def geometry_from_text(text: str) -> dict:
    """GeoJSON text (a geometry or a Feature) or WKT → GeoJSON geometry dict with lists."""
    text = text.strip()
    if text.startswith("{"):
        try:
            return geometry_from_geojson(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(_("Geometry is neither GeoJSON nor WKT")) from exc
    from shapely import wkt
    from shapely.errors import ShapelyError
    from shapely.geometry import mapping

    try:
        geom = wkt.loads(text)
    except (ShapelyError, ValueError) as exc:
        raise ValueError(_("Geometry is neither GeoJSON nor WKT")) from exc
    return _as_lists(mapping(geom))


def geometry_from_geojson(obj: Any) -> dict:
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or "type" not in obj or "coordinates" not in obj:
        raise ValueError(_("Geometry is neither GeoJSON nor WKT"))
    return _as_lists(obj)


def _as_lists(obj: Any) -> Any:
    # Stored geometry comes back from JSON as lists; tuples here would look "changed" forever.
    if isinstance(obj, dict):
        return {k: _as_lists(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_as_lists(v) for v in obj]
    return obj


def map_coordinates(geometry: dict, fn) -> dict:
    """Apply ``fn(lng, lat) -> (lng, lat)`` to every position of a GeoJSON geometry."""

    def walk(coords: Any) -> Any:
        if (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
        ):
            x, y = fn(float(coords[0]), float(coords[1]))
            return [x, y, *coords[2:]]
        if isinstance(coords, list):
            return [walk(c) for c in coords]
        return coords

    out = dict(geometry)
    if "coordinates" in out:
        out["coordinates"] = walk(out["coordinates"])
    if "geometries" in out:
        out["geometries"] = [map_coordinates(g, fn) for g in out["geometries"]]
    return out


# --- report ---------------------------------------------------------------------------------

OUTCOMES = ("created", "updated", "unchanged")

# What the report calls each kind, in the language of the rest of the report (the code
# "places" in a Chinese table was the one English word left).
KIND_LABELS = {
    "places": gettext_lazy("places"),
    "units": gettext_lazy("units"),
    "people": gettext_lazy("people"),
    "zones": gettext_lazy("zones"),
    "duties": gettext_lazy("duties"),
    "partnerships": gettext_lazy("partnerships"),
    "categories": gettext_lazy("categories"),
    "hotline": gettext_lazy("hotline work orders"),
    "projects": gettext_lazy("projects"),
    "work_items": gettext_lazy("work items"),
    "households": gettext_lazy("households"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@dataclass
class ImportReport:
    kind: str
    source: str
    dry_run: bool = False
    rows: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, dict.fromkeys(OUTCOMES, 0))[outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(c.get(outcome, 0) for c in self.counts.values())

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.line, e.column, e.code))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "written": self.written,
            "rows": self.rows,
            "counts": {k: dict(c) for k, c in sorted(self.counts.items())},
            "errors": [e.as_dict() for e in self.sorted_errors()],
            "warnings": [str(w) for w in self.warnings],
        }

    def summary(self) -> str:
        if not self.ok:
            return _("%(n)d problems found; nothing was imported") % {"n": len(self.errors)}
        values = {
            "rows": self.rows,
            "created": self.total("created"),
            "updated": self.total("updated"),
            "unchanged": self.total("unchanged"),
        }
        if self.dry_run:
            return (
                _(
                    "Dry run: %(rows)d rows checked; would create %(created)d, update "
                    "%(updated)d, leave %(unchanged)d unchanged; nothing was written"
                )
                % values
            )
        return (
            _(
                "%(rows)d rows imported: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged"
            )
            % values
        )

    def renderables(self) -> Iterable[Any]:
        """Rich renderables: the counts table, the errors table, warnings, the summary."""
        from rich.table import Table as RichTable
        from rich.text import Text

        counts = RichTable(title=f"{self.source} · {kind_label(self.kind)}")
        counts.add_column(_("Kind"))
        for label in (_("Created"), _("Updated"), _("Unchanged")):
            counts.add_column(label, justify="right")
        for kind, c in sorted(self.counts.items()):
            counts.add_row(kind_label(kind), *(str(c[o]) for o in OUTCOMES))
        if self.ok:
            yield counts
        if self.errors:
            table = RichTable(title=_("Problems"), show_lines=False)
            table.add_column(_("Where"), no_wrap=True)
            table.add_column(_("Column"), no_wrap=True)
            table.add_column(_("Reason"), overflow="fold")
            for e in self.sorted_errors():
                table.add_row(e.where, e.column, str(e.reason))
            yield table
        for w in self.warnings:
            yield Text(f"! {w}", style="yellow")
        yield Text(self.summary(), style="green" if self.ok else "bold red")


# --- import kinds of the other apps ----------------------------------------------------------
# ``cityloop import KIND FILE`` lives in org (places, units, people …); an app with import kinds
# of its own (cases: categories, the 12345 hotline; projects) registers its runner in its
# ``AppConfig.ready``, so org does not import those apps. Every runner takes
# ``(kind, path, *, actor, dry_run, crs, …)`` and answers an :class:`ImportReport`.
_RUNNERS: dict[str, Callable[..., ImportReport]] = {}


def register_runner(kinds: Iterable[str], runner: Callable[..., ImportReport]) -> None:
    for kind in kinds:
        _RUNNERS[kind] = runner


def runners() -> dict[str, Callable[..., ImportReport]]:
    """The registered kinds → runners, in registration order."""
    return dict(_RUNNERS)
