"""Placeholders, fallback values and sender ids."""

from __future__ import annotations

import pytest

from smscast.domain.personalize import (
    fallback_values,
    has_placeholders,
    placeholders,
    render,
    sender_is_alphanumeric,
    valid_sender,
)


def test_render_prefers_contact_value_then_fallback_then_empty():
    template = "Hi [~firstName] [~lastName], code [~code]. [~missing]!"
    values = {"firstName": "Maria", "lastName": "", "code": None}
    fallbacks = {"lastName": "friend", "code": "0000"}
    assert render(template, values, fallbacks) == "Hi Maria friend, code 0000. !"


def test_render_leaves_text_without_placeholders_alone():
    assert render("plain [text] ~ here", {}, {}) == "plain [text] ~ here"
    assert not has_placeholders("plain [text] ~ here")
    assert has_placeholders("x [~a] y")


def test_placeholders_distinct_in_order():
    assert placeholders("[~b] [~a] [~b] [~ c ]") == ("b", "a", "c")


def test_repeated_and_adjacent_placeholders():
    assert render("[~a][~a]-[~b]", {"a": "x"}, {"b": "y"}) == "xx-y"


def test_values_are_inserted_literally():
    # A value that looks like a placeholder or a regex replacement is not expanded.
    assert render("[~a]", {"a": r"[~b] \1 \g<0>"}, {"b": "no"}) == r"[~b] \1 \g<0>"


def test_fallback_values_both_shapes():
    assert fallback_values({"firstName": "friend", "n": 5}) == {"firstName": "friend", "n": "5"}
    assert fallback_values([{"name": "firstName", "value": "friend"}, {"name": "x"}]) == {
        "firstName": "friend",
        "x": "",
    }
    assert fallback_values(None) == {}


@pytest.mark.parametrize(
    "raw", ["text", 5, [{"value": "x"}], ["x"], {"": "x"}, {"a": {"nested": 1}}, [{"name": 3}]]
)
def test_fallback_values_refuses_other_shapes(raw: object):
    with pytest.raises(ValueError, match="fallback"):
        fallback_values(raw)


@pytest.mark.parametrize(
    "sender",
    ["Routee", "A", "ABCDEFGHIJK", "My Shop 24", "12345", "+306912345678", "1234567890123456"],
)
def test_valid_senders(sender: str):
    assert valid_sender(sender)


@pytest.mark.parametrize(
    "sender",
    ["", " ", "ABCDEFGHIJKL", "Shop!", "Café", "+12345678901234567", "12345678901234567",
     "My_Shop", "+", "++30", "Ωmega"],
)  # fmt: skip
def test_invalid_senders(sender: str):
    assert not valid_sender(sender)


def test_sender_kind():
    assert sender_is_alphanumeric("Routee")
    assert sender_is_alphanumeric("Shop 24")
    assert not sender_is_alphanumeric("+306912345678")
    assert not sender_is_alphanumeric("12345")
