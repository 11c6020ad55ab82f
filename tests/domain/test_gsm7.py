"""The GSM 03.38 tables, typed from the standard, and septet encoding."""

from __future__ import annotations

import pytest

from smscast.domain.gsm7 import (
    BASIC_CHARACTERS,
    BASIC_TABLE,
    EXTENSION_CHARACTERS,
    decode_septets,
    encode_septets,
    is_gsm,
    septet_cost,
)


def test_table_sizes():
    assert len(BASIC_TABLE) == 128
    assert len(BASIC_CHARACTERS) == 127
    assert len(EXTENSION_CHARACTERS) == 10
    assert not BASIC_CHARACTERS & EXTENSION_CHARACTERS


@pytest.mark.parametrize(
    ("septet", "char"),
    [
        (0x00, "@"), (0x01, "£"), (0x02, "$"), (0x03, "¥"), (0x04, "è"), (0x05, "é"),
        (0x06, "ù"), (0x07, "ì"), (0x08, "ò"), (0x09, "Ç"), (0x0A, "\n"), (0x0B, "Ø"),
        (0x0C, "ø"), (0x0D, "\r"), (0x0E, "Å"), (0x0F, "å"), (0x10, "Δ"), (0x11, "_"),
        (0x12, "Φ"), (0x13, "Γ"), (0x14, "Λ"), (0x15, "Ω"), (0x16, "Π"), (0x17, "Ψ"),
        (0x18, "Σ"), (0x19, "Θ"), (0x1A, "Ξ"), (0x1C, "Æ"), (0x1D, "æ"), (0x1E, "ß"),
        (0x1F, "É"), (0x20, " "), (0x24, "¤"), (0x40, "¡"), (0x5B, "Ä"), (0x5C, "Ö"),
        (0x5D, "Ñ"), (0x5E, "Ü"), (0x5F, "§"), (0x60, "¿"), (0x7B, "ä"), (0x7C, "ö"),
        (0x7D, "ñ"), (0x7E, "ü"), (0x7F, "à"),
    ],
)  # fmt: skip
def test_positions_from_the_standard(septet: int, char: str):
    assert BASIC_TABLE[septet] == char
    assert encode_septets(char) == bytes([septet])


@pytest.mark.parametrize(
    ("char", "code"),
    [("\f", 0x0A), ("^", 0x14), ("{", 0x28), ("}", 0x29), ("\\", 0x2F), ("[", 0x3C),
     ("~", 0x3D), ("]", 0x3E), ("|", 0x40), ("€", 0x65)],
)  # fmt: skip
def test_every_extension_character_costs_two(char: str, code: int):
    assert septet_cost(char) == 2
    assert encode_septets(char) == bytes([0x1B, code])
    assert decode_septets(bytes([0x1B, code])) == char


@pytest.mark.parametrize(
    "char", ["Ç", "Δ", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "\n", "\r"]
)
def test_gsm_characters(char: str):
    assert septet_cost(char) == 1
    assert is_gsm(char)


@pytest.mark.parametrize(
    "char",
    ["ç", "\u00a0", "\t", "`", "‘", "’", "“", "”", "\x1b", "α", "Α", "β", "δ", "ω", "Ά",
     "á", "â", "ê", "õ", "ş", "ğ", "ı", "İ", "œ", "€\u200b"[1], "😀", "中", "ж", "ع"],
)  # fmt: skip
def test_not_gsm(char: str):
    assert septet_cost(char) is None
    assert not is_gsm(char)


def test_round_trip_of_the_whole_alphabet():
    text = "".join(sorted(BASIC_CHARACTERS | EXTENSION_CHARACTERS))
    assert decode_septets(encode_septets(text)) == text


def test_encode_refuses_non_gsm_and_decode_refuses_bytes_above_0x7f():
    with pytest.raises(ValueError, match="U\\+00E7"):
        encode_septets("ç")
    with pytest.raises(ValueError, match="not a septet"):
        decode_septets(b"\x80")


def test_decode_unknown_escape_and_trailing_escape():
    assert decode_septets(bytes([0x1B, 0x41])) == "A"
    assert decode_septets(bytes([0x41, 0x1B])) == "A "


def test_escape_escape_reads_as_a_space():
    assert decode_septets(bytes([0x41, 0x1B, 0x1B, 0x42])) == "A B"
