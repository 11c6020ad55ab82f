"""Body analysis exactly as API.md specifies it, across languages and edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscast.domain.analysis import (
    BodyAnalysis,
    Transcoded,
    TranscodePolicy,
    analyse,
    text_to_send,
)
from smscast.domain.segments import split


def report(body: str) -> tuple[object, ...]:
    a = analyse(body)
    return (a.characters, a.parts, a.unicode, a.unsupported_gsm_characters, a.transcode)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hello world", (11, 1, False, (), None)),
        ("a" * 160, (160, 1, False, (), None)),
        ("a" * 161, (161, 2, False, (), None)),
        ("a" * 306, (306, 2, False, (), None)),
        ("a" * 307, (307, 3, False, (), None)),
        ("Price: 5€ [promo] {x}", (26, 1, False, (), None)),
        ("a" * 152 + "€" + "a" * 152, (306, 3, False, (), None)),
        ("line\nbreak\r\n", (12, 1, False, (), None)),
        ("page\fbreak", (11, 1, False, (), None)),
        ("   \n  ", (6, 1, False, (), None)),
        ("ΔΦΓΛΩΠΨΣΘΞ", (10, 1, False, (), None)),
        ("Ça va? Où êtes-vous?", (20, 1, True, ("ê",), Transcoded("Ça va? Où etes-vous?", 1))),
        ("Grüße aus München", (17, 1, False, (), None)),
        ("Perché così? Più tardi", (22, 1, False, (), None)),
        ("È così", (6, 1, True, ("È",), Transcoded("E così", 1))),
        (
            "İstanbul'da ğüzel",
            (17, 1, True, ("İ", "ğ"), Transcoded("Istanbul'da güzel", 1)),
        ),
        ("Καλημέρα", (8, 1, True, ("Κ", "α", "λ", "η", "μ", "έ", "ρ"), Transcoded("KAΛHMEPA", 1))),
        ("你好世界", (4, 1, True, ("你", "好", "世", "界"), None)),
        ("مرحبا", (5, 1, True, ("م", "ر", "ح", "ب", "ا"), None)),
        ("Hi 😀", (5, 1, True, ("😀",), None)),
        ("😀" * 67, (134, 3, True, ("😀",), None)),
        ("ж" * 70, (70, 1, True, ("ж",), None)),
        ("ж" * 71, (71, 2, True, ("ж",), None)),
        ("ж" * 134, (134, 2, True, ("ж",), None)),
        ("ж" * 135, (135, 3, True, ("ж",), None)),
        ("tab\there", (8, 1, True, ("\t",), Transcoded("tab here", 1))),
        (
            "‘quoted’ “text”",
            (15, 1, True, ("‘", "’", "“", "”"), Transcoded("'quoted' \"text\"", 1)),
        ),
        ("`tick`", (6, 1, True, ("`",), Transcoded("'tick'", 1))),
        ("esc\x1bape", (7, 1, True, ("\x1b",), None)),
        ("\u00a0", (1, 1, True, ("\u00a0",), Transcoded(" ", 1))),
        ("ç", (1, 1, True, ("ç",), Transcoded("Ç", 1))),
    ],
)
def test_reports(body: str, expected: tuple[object, ...]):
    assert report(body) == expected


def test_transcoding_can_cost_more_parts():
    analysis = analyse("…" * 70)
    assert (analysis.characters, analysis.parts) == (70, 1)
    assert analysis.transcode == Transcoded("." * 210, 2)


def test_transcoding_that_saves_parts():
    body = "Καλημέρα σας " * 10  # 130 UCS-2 units: 2 parts; 130 septets transcoded: 1 part
    analysis = analyse(body)
    assert analysis.parts == 2
    assert analysis.transcode is not None
    assert analysis.transcode.parts == 1


def test_1600_character_bodies():
    assert report("a" * 1600)[:3] == (1600, 11, False)
    assert report("€" * 1600)[:3] == (3200, 22, False)
    assert report("ж" * 1600)[:3] == (1600, 24, True)
    assert report("😀" * 1600)[:3] == (3200, 49, True)


@pytest.mark.parametrize(
    ("requested", "policy", "expected"),
    [
        (None, TranscodePolicy.AUTO, "saves"),
        (None, TranscodePolicy.NEVER, "original"),
        (None, TranscodePolicy.ALWAYS, "saves"),
        (True, TranscodePolicy.NEVER, "saves"),
        (False, TranscodePolicy.ALWAYS, "original"),
    ],
)
def test_text_to_send_follows_request_then_policy(
    requested: bool | None, policy: TranscodePolicy, expected: str
):
    body = "Καλημέρα σας " * 10
    analysis = analyse(body)
    sent = text_to_send(body, analysis, requested, policy)
    assert sent == (body if expected == "original" else analysis.transcode.message)  # type: ignore[union-attr]


def test_auto_keeps_the_original_when_transcoding_saves_nothing():
    body = "Ça va? Où êtes-vous?"
    assert text_to_send(body, analyse(body), None, TranscodePolicy.AUTO) == body
    assert text_to_send(body, analyse(body), True, TranscodePolicy.AUTO) == "Ça va? Où etes-vous?"
    emoji = "Hi 😀"
    assert text_to_send(emoji, analyse(emoji), True, TranscodePolicy.ALWAYS) == emoji


def test_equality_and_repr():
    assert analyse("abc") == analyse("abc")
    assert analyse("abc") != analyse("abd ")
    assert isinstance(analyse("x"), BodyAnalysis)
    assert "parts=1" in repr(analyse("x"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_parts_always_equal_the_split(body: str):
    analysis = analyse(body)
    assert analysis.parts == len(split(body))
    if not analysis.unicode:
        assert analysis.unsupported_gsm_characters == ()
        assert analysis.transcode is None
    else:
        assert analysis.unsupported_gsm_characters
        assert len(set(analysis.unsupported_gsm_characters)) == len(
            analysis.unsupported_gsm_characters
        )
        if analysis.transcode is not None:
            assert not analyse(analysis.transcode.message).unicode
            assert analysis.transcode.parts == len(split(analysis.transcode.message))
