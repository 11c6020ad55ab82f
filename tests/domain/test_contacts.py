"""Address-book rules: headers, rows, labels, vip and email as imports and the API see them."""

from __future__ import annotations

import pytest

from smscast.domain.contacts import (
    ContactFieldError,
    ImportRow,
    LabelType,
    RowProblem,
    RowReader,
    csv_header,
    decode_labels,
    encode_labels,
    label_value,
    parse_vip,
)
from smscast.domain.numbers import parse_recipient

HEADER = ["mobile", "firstName", "lastName", "email", "vip", "city", "points"]
TYPES = {"city": LabelType.TEXT, "points": LabelType.NUMBER}


def read(*cells: str, line: int = 2) -> ImportRow | RowProblem:
    reader = RowReader(HEADER, TYPES)
    return reader.read(line, list(cells), parse_recipient(cells[0]) if cells else None)


def test_header_canonical_names_and_labels():
    header, labels = csv_header([" Mobile", "first_name", "LASTNAME", "E-Mail", "vip", "city"])
    assert header == ["mobile", "firstName", "lastName", "E-Mail", "vip", "city"]
    assert labels == ["E-Mail", "city"]


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        (["firstName"], "no mobile column"),
        (["mobile", "Mobile"], "appears twice"),
        (["mobile", "bad/label"], "not a usable label name"),
    ],
)
def test_bad_headers(columns: list[str], problem: str):
    with pytest.raises(ContactFieldError, match=problem):
        csv_header(columns)


def test_a_full_row():
    row = read("+306912345678", " Μαρία ", "Π", "m@example.com", "Yes", "Αθήνα", "42")
    assert row == ImportRow(
        2,
        "+306912345678",
        "GR",
        "Μαρία",
        "Π",
        "m@example.com",
        True,
        '{"city":"Αθήνα","points":42}',
    )


def test_empty_cells_mean_keep():
    row = read("+306912345678", "", "  ", "", "", " ", "")
    assert isinstance(row, ImportRow)
    assert (row.first_name, row.last_name, row.email, row.vip, row.labels_json) == (
        None,
        None,
        None,
        None,
        "{}",
    )


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (("+306912345678", "a"), "2 cells where the header has 7"),
        (("12345", "", "", "", "", "", ""), "mobile '12345' is not a valid mobile number"),
        (("+306912345678", "", "", "nope", "", "", ""), "email: not an email address"),
        (("+306912345678", "", "", "", "maybe", "", ""), "vip: must be true or false"),
        (("+306912345678", "", "", "", "", "", "lots"), "labels.points: must be a number"),
        (("+306912345678", "x" * 256, "", "", "", "", ""), "firstName: longer than 255"),
        (("+306912345678", "", "", "", "", "c" * 1001, ""), "labels.city: longer than 1000"),
    ],
)
def test_bad_rows_name_the_problem(cells: tuple[str, ...], problem: str):
    result = read(*cells, line=7)
    assert isinstance(result, RowProblem)
    assert result.line == 7
    assert result.problem.startswith(problem)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), ("1", True), ("0", False),
     ("yes", True), ("no", False), (None, False), ("", False)],
)  # fmt: skip
def test_vip_forms(raw: object, expected: bool):
    assert parse_vip(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("42", 42), ("4.5", 4.5), (7, 7), (2.5, 2.5), (" 1e2 ", 100)]
)
def test_number_labels(raw: object, expected: float):
    assert label_value("points", LabelType.NUMBER, raw) == expected


@pytest.mark.parametrize("raw", ["x", True, "nan", "inf", None, ""])
def test_number_labels_refuse_non_numbers(raw: object):
    with pytest.raises(ContactFieldError, match="number"):
        label_value("points", LabelType.NUMBER, raw)


@pytest.mark.parametrize("raw", ["1e1000000", "1e16", -1e16, "1e-10", float("inf"), 10**20])
def test_number_labels_are_bounded(raw: object):
    with pytest.raises(ContactFieldError, match=r"range|finite"):
        label_value("points", LabelType.NUMBER, raw)


@pytest.mark.parametrize(
    "values",
    [{}, {"city": 'Αθήνα "q" \\ x\n\x01'}, {"n": 5, "f": 2.5, "s": "7"}, {"a": None, "t": True}],
)
def test_label_values_encode_as_json(values: dict[str, object]):
    import json

    assert json.loads(encode_labels(values)) == values
    assert decode_labels(encode_labels(values)) == values


@pytest.mark.parametrize("cell", ["a\x00b", "x\ud800"])
def test_nul_and_lone_surrogates_are_bad_rows(cell: str):
    result = read("+306912345678", "", "", "", "", cell, "")
    assert isinstance(result, RowProblem)
    assert "NUL or an unpaired surrogate" in result.problem
