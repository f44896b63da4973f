"""Reading an import file: size and encoding, CSV (header row, comma, semicolon or tab) or JSON
(a list of objects), into rows keyed by CI field or attribute; and what a class's file looks like
(its CSV template, the help for each column). A problem with the file as a whole is a
``ValidationError`` on ``file``; problems of single rows are the checks' business."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cmdb.choices import CIStatus, Environment, ImportFormat, RelationType
from cmdb.models import CIClass
from cmdb.services import CI_FIELDS

#: CI fields a file may set, as columns (CSV) or keys (JSON): what a person may set on a CI but
#: the class (the import's) and the attributes (a column each).
FIELD_COLUMNS = tuple(name for name in CI_FIELDS if name not in ("ci_class", "attributes"))
RELATIONS = "relations"
CLASS_COLUMN = "ci_class"
ATTR = "attr."


def max_bytes() -> int:
    return getattr(settings, "CMDB_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "CMDB_IMPORT_MAX_ROWS", 50_000)


def too_big_message() -> str:
    return _("The file is larger than %(size)s; split it into several imports.") % {
        "size": filesizeformat(max_bytes())
    }


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


# --- Reading the file -----------------------------------------------------------------------


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refused unread when larger than the limit."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise _file_error(too_big_message())
    return upload.read(limit + 1)


def guess_format(filename: str, fmt: str | None = None) -> str:
    """The format asked for, else the file's extension (``.csv``, ``.json``)."""
    if fmt:
        if fmt not in ImportFormat.values:
            raise ValidationError(
                {"format": [_("Choose CSV or JSON, or leave it to the file name.")]}
            )
        return fmt
    extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension in ImportFormat.values:
        return extension
    if extension == "txt":
        return ImportFormat.CSV
    raise _file_error(_("Upload a .csv or .json file (or say which format it is)."))


def decode(content: bytes | str) -> str:
    """The file as text: UTF-8 (a byte-order mark is dropped), within the size limit."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    limit = max_bytes()
    if len(content) > limit:
        raise _file_error(too_big_message())
    if content.startswith(b"PK\x03\x04"):
        raise _file_error(
            _("This is a spreadsheet or archive, not text: save it as “CSV UTF-8” or JSON.")
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            _(
                "The file is not UTF-8 text (byte 0x%(byte)02X at position %(pos)s): save it "
                "as “CSV UTF-8” or JSON."
            )
            % {"byte": exc.object[exc.start], "pos": exc.start}
        ) from None
    if "\x00" in text:
        raise _file_error(_("This is a binary file, not CSV or JSON."))
    if not text.strip():
        raise _file_error(_("The file is empty."))
    return text


@dataclass
class Row:
    """One CI of the file: its line (CSV, the header being line 1) or item number (JSON, from 1),
    its values by canonical key (``attr.<name>`` for attributes) and the file's name for each."""

    number: int
    values: dict[str, Any]
    labels: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)
    # False when the row's shape is wrong: its values are not checked further.
    readable: bool = True


def _column_key(name: str, properties: dict) -> str | None:
    """The canonical key of a column or JSON key, or ``None`` if the class has no such field."""
    name = name.strip().lower()
    if name in FIELD_COLUMNS or name in (RELATIONS, CLASS_COLUMN):
        return name
    if name.startswith(ATTR):
        return name if name[len(ATTR) :] in properties else None
    if name in properties:
        return ATTR + name
    return None


def parse(text: str, fmt: str, ci_class: CIClass) -> list[Row]:
    """The file's rows; a problem with the file as a whole is a ``ValidationError`` on ``file``."""
    properties = (ci_class.attribute_schema or {}).get("properties", {})
    rows = (
        _parse_csv(text, properties) if fmt == ImportFormat.CSV else _parse_json(text, properties)
    )
    if not rows:
        raise _file_error(_("The file has no rows to import."))
    return rows


def _delimiter(header_line: str) -> str:
    """Comma, semicolon (spreadsheets in many locales) or tab: the most frequent in the header."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _parse_csv(text: str, properties: dict) -> list[Row]:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    limit = max_rows()
    try:
        header = next(reader, [])
        names = [cell.strip() for cell in header]
        if not any(names):
            raise _file_error(_("The first line must name the columns (name, status, …)."))
        keys, unknown, seen = [], [], {}
        for position, name in enumerate(names, start=1):
            if not name:
                raise _file_error(_("Column %(n)s has no name.") % {"n": position})
            key = _column_key(name, properties)
            if key is None:
                unknown.append(name)
            elif key in seen:
                raise _file_error(
                    _("Columns “%(a)s” and “%(b)s” are the same field.")
                    % {"a": seen[key], "b": name}
                )
            else:
                seen[key] = name
            keys.append(key)
        if unknown:
            raise _file_error(
                _("Unknown columns: %(names)s. Columns are CI fields or this class's attributes.")
                % {"names": ", ".join(f"“{n}”" for n in unknown)}
            )
        labels = dict(seen)
        rows: list[Row] = []
        start = reader.line_num + 1
        for record in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= limit:
                raise _file_error(
                    _("The file has more than %(n)s rows; split it into several imports.")
                    % {"n": limit}
                )
            values = {k: (record[i] if i < len(record) else "") for i, k in enumerate(keys)}
            row = Row(number, values, labels)
            if len(record) > len(keys):
                row.readable = False
                row.errors.append(
                    (
                        "",
                        _("This line has %(n)s cells but the header names %(m)s columns.")
                        % {"n": len(record), "m": len(keys)},
                    )
                )
            rows.append(row)
    except csv.Error as exc:
        raise _file_error(
            _("Line %(n)s is not valid CSV: %(error)s") % {"n": reader.line_num, "error": exc}
        ) from None
    return rows


def _refuse_constant(name: str):
    raise ValueError(name)


def _unstorable_text(data) -> bool:
    """Whether a string holds a NUL or a lone surrogate: JSON escapes (``\\u0000``,
    ``\\ud800``) decode to both, and no database column takes them."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _parse_json(text: str, properties: dict) -> list[Row]:
    try:
        # NaN and Infinity are not JSON, whatever Python's parser accepts.
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise _file_error(
                _("“%(value)s” is not a JSON number.") % {"value": exc.args[0]}
            ) from None
        raise _file_error(
            _("Not valid JSON (line %(line)s, column %(col)s): %(error)s")
            % {"line": exc.lineno, "col": exc.colno, "error": exc.msg}
        ) from None
    except RecursionError:
        raise _file_error(_("The JSON is nested too deeply.")) from None
    if _unstorable_text(data):
        raise _file_error(
            _(
                "The file contains a NUL character or an invalid Unicode escape, which no "
                "field takes."
            )
        )
    if not isinstance(data, list):
        raise _file_error(_("A JSON import is a list of objects, one per CI."))
    if len(data) > max_rows():
        raise _file_error(
            _("The file has more than %(n)s rows; split it into several imports.")
            % {"n": max_rows()}
        )
    return [_json_row(number, item, properties) for number, item in enumerate(data, start=1)]


def _json_row(number: int, item, properties: dict) -> Row:
    row = Row(number, {}, {})
    if not isinstance(item, dict):
        row.errors.append(("", _("Each item must be a JSON object.")))
        row.readable = False
        return row

    def put(key: str, label: str, value) -> None:
        if key in row.values:
            row.errors.append(
                (label, _("“%(a)s” is given twice.") % {"a": row.labels.get(key, label)})
            )
            return
        row.values[key], row.labels[key] = value, label

    for name, value in item.items():
        if name == "attributes":
            if value is None:
                continue
            if not isinstance(value, dict):
                row.errors.append(("attributes", _("Attributes must be a JSON object.")))
                continue
            for attr, attr_value in value.items():
                label = f"attributes.{attr}"
                if attr not in properties:
                    row.errors.append((label, _("Not an attribute of this class.")))
                else:
                    put(ATTR + attr, label, attr_value)
            continue
        key = _column_key(str(name), properties)
        if key is None:
            row.errors.append((str(name), _("Unknown field.")))
        else:
            put(key, str(name), value)
    return row


# --- The class's CSV template ---------------------------------------------------------------


def template_columns(ci_class: CIClass) -> list[str]:
    """The columns of a CSV for a class: the CI fields, each attribute (alphabetically: a
    schema's order is not kept by every database), then relations."""
    properties = sorted((ci_class.attribute_schema or {}).get("properties", {}))
    attributes = [name if name not in FIELD_COLUMNS else ATTR + name for name in properties]
    return [*FIELD_COLUMNS, *attributes, RELATIONS]


def template_csv(ci_class: CIClass) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(template_columns(ci_class))
    return buffer.getvalue()


def column_help(ci_class: CIClass) -> list[dict]:
    """What each column takes, for the upload page."""
    schema = ci_class.attribute_schema or {}
    required = set(schema.get("required", []))
    fixed = {
        "name": _("Text; with the asset tag, identifies the CI (required for a new CI)."),
        "status": ", ".join(CIStatus.values),
        "environment": ", ".join(Environment.values),
        "site": _("Text"),
        "criticality": _("1 (critical) to 4 (low)"),
        "owner_team": _("Team slug"),
        "managed_by": _("Organization slug (default: yours)"),
        "internal_owner": _("Username of internal staff"),
        "provider_owner": _("Username at the managing provider"),
        "asset_tag": _("Unique; identifies the CI when given"),
        "serial": _("Text"),
        "description": _("Text"),
    }
    columns = [{"name": name, "help": fixed[name], "required": name == "name"} for name in fixed]
    for name, spec in sorted(schema.get("properties", {}).items()):
        parts = [spec.get("type", "")]
        if "enum" in spec:
            parts.append(" | ".join(map(str, spec["enum"])))
        if "minimum" in spec or "maximum" in spec:
            parts.append(f"{spec.get('minimum', '')}…{spec.get('maximum', '')}")
        if spec.get("title"):
            parts.insert(0, spec["title"])
        columns.append(
            {
                "name": name if name not in FIELD_COLUMNS else ATTR + name,
                "help": " · ".join(p for p in parts if p),
                "required": name in required,
            }
        )
    columns.append(
        {
            "name": RELATIONS,
            "help": _("type:target;type:target — targets by asset tag or name; types: %(t)s")
            % {"t": ", ".join(RelationType.values)},
            "required": False,
        }
    )
    return columns
