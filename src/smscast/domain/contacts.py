"""Address-book rules: labels and their types, contact fields, CSV rows for import/export."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, NamedTuple

from smscast.domain.numbers import Recipient, parse_recipient


class LabelType(StrEnum):
    TEXT = "Text"
    NUMBER = "Number"


# Every account has these; they map onto contact columns rather than label values.
DEFAULT_LABELS: Final = {
    "firstName": LabelType.TEXT,
    "lastName": LabelType.TEXT,
    "country": LabelType.TEXT,
    "email": LabelType.TEXT,
    "mobile": LabelType.TEXT,
}

MAX_NAME = 255
MAX_LABEL_NAME = 100
MAX_LABEL_VALUE = 1000
# Number label values: magnitudes from 1e-9 to below 1e15 (exact as JSON numbers).
MAX_LABEL_DIGITS = 15
_LABEL_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .-]{0,99}")
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUL_OR_SURROGATE: Final = re.compile("[\x00\ud800-\udfff]")
_TRUE: Final = frozenset({"true", "1", "yes", "y"})
_FALSE: Final = frozenset({"false", "0", "no", "n", ""})


class ContactFieldError(ValueError):
    """A contact field that cannot be stored; ``field`` names it as the API does."""

    def __init__(self, field_name: str, problem: str) -> None:
        self.field = field_name
        self.problem = problem
        super().__init__(f"{field_name}: {problem}")


def valid_label_name(name: str) -> bool:
    return bool(_LABEL_NAME.fullmatch(name))


def reserved_label_name(name: str) -> bool:
    """Names a custom label cannot take: the defaults and the other CSV columns, compared as
    the CSV header compares them (case and underscores folded)."""
    folded = name.strip().lower().replace("_", "")
    return folded in CSV_COLUMNS or folded in {n.lower() for n in DEFAULT_LABELS}


def label_value(name: str, kind: LabelType, raw: object) -> str | int | float:
    """A custom label value as stored: text, or a number for ``Number`` labels."""
    if kind is LabelType.NUMBER:
        if isinstance(raw, bool):
            raise ContactFieldError(f"labels.{name}", "must be a number")
        try:
            number = Decimal(raw) if isinstance(raw, int) else Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            raise ContactFieldError(f"labels.{name}", "must be a number") from None
        if not number.is_finite():
            raise ContactFieldError(f"labels.{name}", "must be a finite number")
        # Bounded before any conversion: int(Decimal("1e1000000")) takes seconds, and a
        # value past a double's exact range would not survive JSON.
        # (adjusted() reads the exponent without arithmetic, which could overflow itself.)
        if not number.is_zero() and not -9 <= number.adjusted() <= MAX_LABEL_DIGITS - 1:
            raise ContactFieldError(f"labels.{name}", "out of range")
        return int(number) if number == number.to_integral_value() else float(number)
    if raw is None:
        return ""
    if isinstance(raw, (dict, list)):
        raise ContactFieldError(f"labels.{name}", "must be text")
    text = str(raw)
    if len(text) > MAX_LABEL_VALUE:
        raise ContactFieldError(f"labels.{name}", f"longer than {MAX_LABEL_VALUE} characters")
    return text


def parse_vip(raw: object) -> bool:
    """``vip`` as clients send it: a boolean, or the strings "true"/"false" (and 1/0, yes/no)."""
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContactFieldError("vip", "must be true or false")


def check_text(field_name: str, raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        raise ContactFieldError(field_name, "must be text")
    text = str(raw).strip()
    if len(text) > MAX_NAME:
        raise ContactFieldError(field_name, f"longer than {MAX_NAME} characters")
    return text


def check_email(raw: object) -> str:
    text = check_text("email", raw)
    if text and not _EMAIL.fullmatch(text):
        raise ContactFieldError("email", "not an email address")
    return text


def check_mobile(raw: object) -> Recipient:
    if not isinstance(raw, str) or not raw.strip():
        raise ContactFieldError("mobile", "required")
    recipient = parse_recipient(raw)
    if recipient is None:
        raise ContactFieldError("mobile", "not a valid mobile number in E.164 form (+…)")
    return recipient


LabelValues = dict[str, str | int | float]

# json.dumps with options builds a new encoder per call; one encoder is several times faster,
# and for the flat objects of label values, joining C-escaped strings is faster still.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_string = json.encoder.encode_basestring


def _encode_scalar(value: object) -> str:
    if isinstance(value, str):
        return str(_encode_string(value))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("not a flat scalar")
    return _encode_json(value)


def encode_labels(values: Mapping[str, object]) -> str:
    """Label values as the JSON text a contact stores (a million calls per million rows)."""
    if not values:
        return "{}"
    try:
        return (
            "{"
            + ",".join(f"{_encode_string(k)}:{_encode_scalar(v)}" for k, v in values.items())
            + "}"
        )
    except (TypeError, ValueError):
        return _encode_json(values)


def decode_labels(text: str) -> LabelValues:
    decoded: LabelValues = json.loads(text)
    return decoded


class ImportRow(NamedTuple):
    """One good CSV row, ready to upsert: the mobile is already E.164, the label values are
    already JSON text (encoded once, where the row is validated). A tuple: a million of
    them are made per million-row import."""

    line: int
    mobile: str
    country: str
    first_name: str | None
    last_name: str | None
    email: str | None
    vip: bool | None
    labels_json: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    problem: str


CSV_COLUMNS: Final = {
    "mobile": "mobile",
    "firstname": "firstName",
    "lastname": "lastName",
    "email": "email",
    "vip": "vip",
    "country": "country",
}


def csv_header(columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Canonical column names and the custom label columns. ``mobile`` is required."""
    canonical: list[str] = []
    for column in columns:
        name = column.strip()
        canonical.append(CSV_COLUMNS.get(name.lower().replace("_", ""), name))
    if "mobile" not in canonical:
        raise ContactFieldError("mobile", "the header has no mobile column")
    duplicated = {c for c in canonical if canonical.count(c) > 1}
    if duplicated:
        raise ContactFieldError(",".join(sorted(duplicated)), "column appears twice")
    labels = [c for c in canonical if c not in DEFAULT_LABELS and c != "vip" and c]
    bad = [c for c in labels if not valid_label_name(c)]
    if bad:
        raise ContactFieldError(",".join(bad), "not a usable label name")
    return canonical, labels


class RowReader:
    """Reads data rows of one CSV file: column positions are worked out once, from the header.

    Empty cells leave what the contact already has; the country comes from the number, never
    from the file.
    """

    def __init__(self, header: Sequence[str], label_types: Mapping[str, LabelType]) -> None:
        self._width = len(header)
        position = {name: i for i, name in enumerate(header)}
        self.mobile_at = position["mobile"]
        self._first = position.get("firstName")
        self._last = position.get("lastName")
        self._email = position.get("email")
        self._vip = position.get("vip")
        self._labels = [
            (name, position[name], label_types.get(name, LabelType.TEXT))
            for name in label_types
            if name in position
        ]

    def read(
        self, line: int, cells: Sequence[str], recipient: Recipient | None
    ) -> ImportRow | RowProblem:
        # The hot loop of an import (a million calls per million rows): checks are inlined
        # for the common case and fall back to the general validators only when needed.
        if len(cells) != self._width:
            return RowProblem(line, f"{len(cells)} cells where the header has {self._width}")
        if recipient is None:
            return RowProblem(
                line, f"mobile {cells[self.mobile_at]!r} is not a valid mobile number"
            )
        if _NUL_OR_SURROGATE.search("".join(cells)):
            return RowProblem(line, "a cell holds a NUL or an unpaired surrogate")
        labels: dict[str, str | int | float] = {}
        try:
            for name, at, kind in self._labels:
                cell = cells[at]
                if not cell or cell.isspace():
                    continue
                if kind is LabelType.TEXT and len(cell) <= MAX_LABEL_VALUE:
                    labels[name] = cell
                else:
                    labels[name] = label_value(name, kind, cell)
            first = last = email = None
            vip: bool | None = None
            if self._first is not None and (cell := cells[self._first]):
                first = cell.strip() or None
                if first is not None and len(first) > MAX_NAME:
                    raise ContactFieldError("firstName", f"longer than {MAX_NAME} characters")
            if self._last is not None and (cell := cells[self._last]):
                last = cell.strip() or None
                if last is not None and len(last) > MAX_NAME:
                    raise ContactFieldError("lastName", f"longer than {MAX_NAME} characters")
            if self._email is not None and (cell := cells[self._email]):
                email = cell.strip()
                if len(email) > MAX_NAME:
                    raise ContactFieldError("email", f"longer than {MAX_NAME} characters")
                if not _EMAIL.fullmatch(email):
                    email = check_email(email)  # empty after strip, or the precise error
            if self._vip is not None and (cell := cells[self._vip]):
                lowered = cell.strip().lower()
                vip = (
                    True if lowered in _TRUE else (False if lowered in _FALSE else parse_vip(cell))
                )
        except ContactFieldError as exc:
            return RowProblem(line, f"{exc.field}: {exc.problem}")
        return ImportRow(
            line, recipient.e164, recipient.country, first, last, email, vip, encode_labels(labels)
        )
