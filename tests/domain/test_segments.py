"""Cost and segmentation: boundaries, pairs never split, split agrees with the count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscast.domain.gsm7 import BASIC_CHARACTERS, EXTENSION_CHARACTERS, septet_cost
from smscast.domain.segments import CAPACITY, Encoding, layout, split, unsupported_characters


def reference_parts(text: str) -> list[str]:
    """A slow, obviously-correct greedy split: the oracle for the fast one."""
    gsm = all(septet_cost(ch) is not None for ch in text)
    encoding = Encoding.GSM7 if gsm else Encoding.UCS2

    def cost(ch: str) -> int:
        if gsm:
            return septet_cost(ch) or 0
        return 2 if ord(ch) > 0xFFFF else 1

    total = sum(cost(ch) for ch in text)
    capacity = CAPACITY[encoding]
    if total <= capacity.single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        if used + cost(ch) > capacity.multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost(ch)
    parts.append("".join(current))
    return parts


@pytest.mark.parametrize(
    ("text", "encoding", "cost", "parts"),
    [
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("a" * 459, Encoding.GSM7, 459, 3),
        ("a" * 460, Encoding.GSM7, 460, 4),
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("a" * 159 + "€", Encoding.GSM7, 161, 2),
        ("ж" * 70, Encoding.UCS2, 70, 1),
        ("ж" * 71, Encoding.UCS2, 71, 2),
        ("ж" * 134, Encoding.UCS2, 134, 2),
        ("ж" * 135, Encoding.UCS2, 135, 3),
        ("😀" * 35, Encoding.UCS2, 70, 1),
        ("😀" * 36, Encoding.UCS2, 72, 2),
        ("😀" * 67, Encoding.UCS2, 134, 3),
        ("", Encoding.GSM7, 0, 1),
        ("   ", Encoding.GSM7, 3, 1),
        ("\n\r", Encoding.GSM7, 2, 1),
        ("\f", Encoding.GSM7, 2, 1),
    ],
)
def test_boundaries(text: str, encoding: Encoding, cost: int, parts: int):
    shape = layout(text)
    assert (shape.encoding, shape.cost, shape.parts) == (encoding, cost, parts)
    assert split(text) == reference_parts(text)


def test_escape_pair_straddling_a_part_moves_whole():
    text = "a" * 152 + "€" + "a" * 152
    parts = split(text)
    assert [len(p) for p in parts] == [152, 152, 1]
    assert parts[1].startswith("€")
    assert layout(text).parts == 3


def test_escape_pair_that_just_fits():
    text = "a" * 151 + "€" + "a" * 10
    assert [len(p) for p in split(text)] == [152, 10]


def test_surrogate_pair_straddling_67_moves_whole():
    text = "ж" * 66 + "😀" + "ж" * 66
    parts = split(text)
    assert [len(p) for p in parts] == [66, 66, 1]
    assert parts[1][0] == "😀"


def test_every_extension_character_at_the_edge():
    for ch in EXTENSION_CHARACTERS:
        parts = split("a" * 152 + ch + "a" * 10)
        assert parts[0] == "a" * 152
        assert parts[1].startswith(ch)


def test_one_ucs2_character_makes_the_whole_body_ucs2():
    text = "a" * 100 + "ç"
    shape = layout(text)
    assert shape.encoding is Encoding.UCS2
    assert shape.parts == 2
    assert unsupported_characters(text + "ж😀ç") == ("ç", "ж", "😀")


def test_1600_character_bodies():
    assert layout("a" * 1600).parts == 11  # ceil(1600 / 153)
    assert layout("ж" * 1600).parts == 24  # ceil(1600 / 67)
    assert layout("€" * 1600).parts == 22  # ceil(1600 / 76): 76 pairs per part
    assert layout("😀" * 1600).parts == 49  # ceil(1600 / 33): 33 pairs per part


_gsm_text = st.text(
    alphabet=st.sampled_from(sorted(BASIC_CHARACTERS | EXTENSION_CHARACTERS)), max_size=700
)
_any_text = st.text(max_size=700)
_mixed_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(sorted(BASIC_CHARACTERS | EXTENSION_CHARACTERS)),
        st.sampled_from(["😀", "🇬", "中", "ж", "ç", "\u00a0", "𝄞"]),
    ),
    max_size=400,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_gsm_text, _any_text, _mixed_text))
def test_split_properties(text: str):
    shape = layout(text)
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == shape.parts
    assert parts == reference_parts(text)
    capacity = CAPACITY[shape.encoding]
    limit = capacity.single if len(parts) == 1 else capacity.multi
    for part in parts:
        if shape.encoding is Encoding.GSM7:
            assert sum(septet_cost(ch) or 0 for ch in part) <= limit
        else:
            assert len(part.encode("utf-16-le")) // 2 <= limit
    assert shape.cost == (
        sum(septet_cost(ch) or 0 for ch in text)
        if shape.encoding is Encoding.GSM7
        else len(text.encode("utf-16-le", "surrogatepass")) // 2
    )


@pytest.mark.parametrize("text", ["a\ud800", "😀" + "\ud800" * 100, "\udc00x"])
def test_lone_surrogates_are_refused_not_guessed(text: str):
    with pytest.raises(ValueError, match="surrogate"):
        layout(text)
