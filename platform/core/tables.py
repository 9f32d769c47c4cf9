"""Reading an uploaded sheet (.csv or .xlsx) into text cells, for every import whose
columns the user maps: the finance team's purchases (analytics.purchases), the IT
team's inventory (exchange.itassets.imports). What the cells mean is the caller's.

`read_table(name, data, limits=...)` checks the upload (size cap, extension and content
agree, zip bombs, rows and columns caps), decodes a CSV (UTF-8 with or without its byte
order mark, else Windows-1252), sniffs its delimiter (`;`, `,` or tab) and returns a
`Table`: header cells, data rows padded to one width, and the file's line number of the
first data row, for error messages. A Table round-trips through the session (JSON)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass(frozen=True)
class TableLimits:
    """What an import accepts. `max_table_chars` bounds what the session keeps between
    the import's steps; `max_xlsx_uncompressed` refuses a workbook that inflates beyond."""

    max_bytes: int = 2 * 1024 * 1024
    max_rows: int = 2000
    max_columns: int = 40
    max_cell_chars: int = 300
    max_table_chars: int = 1_000_000
    max_xlsx_uncompressed: int = 50 * 1024 * 1024


DEFAULT_LIMITS = TableLimits()


@dataclass(frozen=True)
class Table:
    """An uploaded sheet: its header cells and its data rows, all as text. `first_line`
    is the file's line (or sheet row) number of rows[0], for the error messages."""

    headers: list[str]
    rows: list[list[str]]
    first_line: int = 2

    def as_session(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "first_line": self.first_line}

    @classmethod
    def from_session(cls, data: dict) -> Table:
        return cls(list(data["headers"]), [list(r) for r in data["rows"]],
                   int(data["first_line"]))

    def numbered_rows(self):
        """(file line number, row) of every row that is not blank."""
        for offset, row in enumerate(self.rows):
            if any(row):
                yield self.first_line + offset, row


def normalise(text: str) -> str:
    """Lower case, no accents, runs of non-letters as one space: « Numéro d'inventaire »
    → "numero d inventaire"."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _cell_text(value, max_chars: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        # A computed cell may carry binary noise (0.1 * 3 = 0.30000000000000004).
        value = Decimal(str(round(value, 6))).normalize()
    return str(value).strip()[:max_chars]


def decode_text(data: bytes) -> str:
    """A CSV file's text: UTF-8 (a byte order mark is dropped), else Windows-1252, the
    encoding of a spreadsheet saved as CSV on a French Windows."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The CSV file could not be read (use UTF-8)."), code="encoding")


def _read_csv(data: bytes, limits: TableLimits) -> list[list[str]]:
    if b"\x00" in data or data.startswith((_ZIP_MAGIC, _OLE_MAGIC, b"%PDF")):
        raise ValidationError(_("This file is not a CSV file."), code="content")
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    return [[_cell_text(c, limits.max_cell_chars) for c in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(data: bytes, limits: TableLimits) -> list[list[str]]:
    if not data.startswith(_ZIP_MAGIC):
        raise ValidationError(_("This file is not an Excel (.xlsx) workbook."), code="content")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ValidationError(_("This Excel workbook could not be read."),
                              code="content") from exc
    if inflated > limits.max_xlsx_uncompressed:
        raise ValidationError(_("This Excel workbook could not be read."), code="content")
    # openpyxl is heavy and only the imports need it: loaded on first use.
    from openpyxl import load_workbook

    rows: list[list[str]] = []
    try:
        # read_only streams the sheet; data_only reads the values the workbook stored,
        # never a formula (nothing is evaluated here).
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True, max_col=limits.max_columns):
                rows.append([_cell_text(c, limits.max_cell_chars) for c in row])
                if len(rows) > limits.max_rows + 1:
                    break
        finally:
            workbook.close()
    except Exception as exc:  # a damaged workbook raises zip, XML or openpyxl errors alike
        raise ValidationError(_("This Excel workbook could not be read."),
                              code="content") from exc
    return rows


def _too_large(limits: TableLimits) -> ValidationError:
    return ValidationError(_("The file is larger than %(max)s MB.")
                           % {"max": limits.max_bytes // (1024 * 1024)}, code="too_large")


def read_table(name: str, data: bytes, limits: TableLimits = DEFAULT_LIMITS) -> Table:
    """The sheet of an uploaded .csv or .xlsx file, validated: size cap, extension and
    content agree, at most `limits.max_rows` rows. Raises ValidationError."""
    if len(data) > limits.max_bytes:
        raise _too_large(limits)
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "csv":
        rows = _read_csv(data, limits)
    elif extension == "xlsx":
        rows = _read_xlsx(data, limits)
    else:
        raise ValidationError(_("Import a .csv or .xlsx file."), code="extension")
    # Leading blank lines are skipped; the first non-blank one holds the headers.
    start = next((i for i, row in enumerate(rows) if any(row)), None)
    if start is None:
        raise ValidationError(_("The file is empty."), code="empty")
    headers = rows[start][:limits.max_columns]
    body = [row[:limits.max_columns] for row in rows[start + 1:]]
    if len(body) > limits.max_rows:
        raise ValidationError(_("The file has more than %(max)s lines.")
                              % {"max": limits.max_rows}, code="too_many_rows")
    # The width is that of the last non-empty cell (a sheet may pad its rows).
    width = max((i + 1 for row in [headers, *body] for i, cell in enumerate(row) if cell),
                default=0)
    headers = headers[:width]
    body = [row[:width] for row in body]
    if sum(len(cell) for row in [headers, *body] for cell in row) > limits.max_table_chars:
        raise _too_large(limits)
    headers = headers + [""] * (width - len(headers))
    body = [row + [""] * (width - len(row)) for row in body]
    return Table(headers, body, first_line=start + 2)


def csv_text(headers: list[str], rows) -> str:
    """Rows as CSV for a French spreadsheet, the form `read_table` reads back: UTF-8 with
    a byte order mark (Excel then reads the accents), `;` between fields, CRLF. Cells
    are written as given: a caller exporting text a person typed makes it inert first
    (analytics.exports.spreadsheet_text)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()
