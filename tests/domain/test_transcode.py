"""GSM transcoding: look-alike replacement of non-GSM characters, all or nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscast.domain.gsm7 import GSM_CHARACTERS, is_gsm
from smscast.domain.transcode import REPLACEMENTS, transcode


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # curly and other typographic quotes
        ("‘single’ ‚low‛ 5′", "'single' 'low' 5'"),
        ("“double” „low‟ 5″", '"double" "low" 5"'),
        ("«guillemets» ‹single›", "\"guillemets\" 'single'"),
        ("don`t don´t donʼt", "don't don't don't"),
        ("itʼs", "it's"),
        # dashes, minus, bullet, ellipsis, spacing accents
        ("a‐b‑c‒d–e—f―g−h", "a-b-c-d-e-f-g-h"),
        ("• item", "- item"),
        ("Wait…", "Wait..."),
        ("2ˆ3 ˜5", "2^3 ~5"),
    ],
)
def test_typographic_punctuation_becomes_ascii(body: str, expected: str):
    assert transcode(body) == expected


def test_seventy_ellipses_become_210_dots():
    assert transcode("…" * 70) == "." * 210


@pytest.mark.parametrize(
    "space",
    [
        "\u00a0",
        "\t",
        *map(chr, range(0x2000, 0x200B)),
        "\u202f",
        "\u205f",
        "\u3000",
    ],
)
def test_other_spaces_become_space(space: str):
    assert transcode(f"a{space}b") == "a b"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_zero_width_characters_are_removed(invisible: str):
    assert transcode(f"{invisible}Hel{invisible}lo{invisible}") == "Hello"


def test_literal_escape_has_no_replacement():
    assert "\x1b" not in REPLACEMENTS
    assert transcode("Hi \x1b there") is None
    assert transcode("Hi “\x1b” there") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Καλημέρα", "KAΛHMEPA"),
        ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"),
        ("αβεζηικμνορτυχ", "ABEZHIKMNOPTYX"),
        ("γδθλξπσςφψω", "ΓΔΘΛΞΠΣΣΦΨΩ"),
        ("άέήίόύώϊϋΐΰ", "AEHIOYΩIYIY"),
        ("ΆΈΉΊΌΎΏΪΫ", "AEHIOYΩIY"),
        ("Ευχαριστώ πολύ", "EYXAPIΣTΩ ΠOΛY"),
        ("Τι κάνεις;", "TI KANEIΣ;"),  # with the Greek question mark U+037E
        ("5 µg, 10 Ω, ∆t", "5 Mg, 10 Ω, Δt"),  # micro, ohm and increment signs
    ],
)
def test_greek_becomes_capital_gsm_look_alikes(body: str, expected: str):
    assert transcode(body) == expected


def test_gsm_greek_capitals_stay():
    body = "ΔΦΓΛΩΠΨΣΘΞ"
    assert is_gsm(body)
    assert transcode(body) is body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("ça", "Ça"),  # small ç is not GSM, capital Ç is
        ("À bientôt", "à bientot"),  # À is not GSM, à is
        ("café", "café"),  # é is GSM and stays
        ("más", "mas"),
        ("Noël à l'hôtel, ça coûte 5€", "Noel à l'hotel, Ça coute 5€"),
        ("Çà et là, œuvre Œdipe", "Çà et là, oeuvre OEdipe"),
        ("İstanbul'da ğüşı", "Istanbul'da güsi"),
        ("Çok güzel, şöyle IĞDIR", "Çok güzel, söyle IGDIR"),
        ("Zażółć gęślą jaźń, Łódź", "Zazolc gesla jazn, Lodz"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy", "Prilis zlutoucky kun upel dabelské ody"),
        ("Știință și țară, Ţară şi", "Stiinta si tara, Tara si"),
        ("Grüße aus Köln, Straße", "Grüße aus Köln, Straße"),
        ("È già così, perché no?", "E già così, perché no?"),
        ("Ñandú, Åse, Ærø, Øst", "Ñandu, Åse, Ærø, Øst"),
        ("ĳs Ĳmuiden", "ijs IJmuiden"),
        ("ﬁne ﬂow oﬀ oﬃce waﬄe", "fine flow off office waffle"),
        ("Þór og Ðiðrik", "THor og Didrik"),
        ("Hà Nội, Việt Nam, Đà Nẵng", "Hà Noi, Viet Nam, Dà Nang"),
        ("Ħamrun", "Hamrun"),
        ("ǘ Ǻ ḉ", "ü Å Ç"),  # the outermost accent goes first: the nearest GSM letter wins
    ],
)
def test_accented_latin_becomes_nearest_gsm_letter(body: str, expected: str):
    assert transcode(body) == expected


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("á", "a"),
        ("â", "a"),
        ("ã", "a"),
        ("ā", "a"),
        ("ă", "a"),
        ("ą", "a"),
        ("Á", "A"),
        ("Â", "A"),
        ("Ã", "A"),
        ("ê", "e"),
        ("ë", "e"),
        ("ē", "e"),
        ("ę", "e"),
        ("ě", "e"),
        ("È", "E"),
        ("Ê", "E"),
        ("Ë", "E"),
        ("í", "i"),
        ("î", "i"),
        ("ï", "i"),
        ("Í", "I"),
        ("Î", "I"),
        ("Ï", "I"),
        ("Ì", "I"),
        ("ó", "o"),
        ("ô", "o"),
        ("õ", "o"),
        ("Ó", "O"),
        ("Ô", "O"),
        ("Õ", "O"),
        ("Ò", "O"),
        ("ő", "o"),
        ("ú", "u"),
        ("û", "u"),
        ("ū", "u"),
        ("ů", "u"),
        ("ű", "u"),
        ("Ú", "U"),
        ("Û", "U"),
        ("Ù", "U"),
        ("ý", "y"),
        ("ÿ", "y"),
        ("Ý", "Y"),
        ("ć", "c"),
        ("č", "c"),
        ("Ć", "C"),
        ("Č", "C"),
        ("ď", "d"),
        ("Ď", "D"),
        ("đ", "d"),
        ("Đ", "D"),
        ("ğ", "g"),
        ("Ğ", "G"),
        ("ı", "i"),
        ("İ", "I"),
        ("ł", "l"),
        ("Ł", "L"),
        ("ń", "n"),
        ("ň", "n"),
        ("Ń", "N"),
        ("ř", "r"),
        ("Ř", "R"),
        ("ś", "s"),
        ("š", "s"),
        ("ş", "s"),
        ("ș", "s"),
        ("Ś", "S"),
        ("Š", "S"),
        ("Ş", "S"),
        ("Ș", "S"),
        ("ť", "t"),
        ("ţ", "t"),
        ("ț", "t"),
        ("Ť", "T"),
        ("Ţ", "T"),
        ("Ț", "T"),
        ("ź", "z"),
        ("ż", "z"),
        ("ž", "z"),
        ("Ź", "Z"),
        ("Ż", "Z"),
        ("Ž", "Z"),
        ("ç", "Ç"),
        ("À", "à"),
        ("œ", "oe"),
        ("Œ", "OE"),
        ("ð", "d"),
        ("Ð", "D"),
        ("þ", "th"),
        ("Þ", "TH"),
    ],
)
def test_replacement_of_single_letters(char: str, expected: str):
    assert REPLACEMENTS[char] == expected
    assert transcode(char) == expected


@pytest.mark.parametrize("char", "éèùìòàäöñüåæøÄÖÑÜÅÆØÉÇß")
def test_gsm_latin_letters_are_not_replaced(char: str):
    assert char not in REPLACEMENTS
    assert transcode(f"x{char}") == f"x{char}"


@pytest.mark.parametrize(
    "body",
    [
        "Thanks 👍",
        "你好",
        "مرحبا",
        "Привет",
        "שלום",
        "สวัสดี",
        "नमस्ते",
        "Ѕale",  # Cyrillic DZE looks like S but is not mapped
        "Сafe",  # Cyrillic capital ES looks like C but is not mapped
        "“Thanks” 👍",  # a transcodable character does not rescue the emoji
        "Καλημέρα 😀",
        "Noël ☃",
        "5 × 3 ÷ 2",
        "™",
    ],
)
def test_any_character_without_replacement_makes_body_not_transcodable(body: str):
    assert transcode(body) is None


@pytest.mark.parametrize("body", ["", "Hello world!", "Ça coute 5€ {ok} [x] ~^|\\", "ΔΣ\n\r\f@£$¥"])
def test_all_gsm_body_returns_itself(body: str):
    assert transcode(body) is body


def test_all_gsm_body_with_every_gsm_character_returns_itself():
    body = "".join(sorted(GSM_CHARACTERS))
    assert transcode(body) is body


def test_replacements_are_gsm_and_keys_are_not():
    assert [ch for ch in REPLACEMENTS if ch in GSM_CHARACTERS] == []
    assert {ch: r for ch, r in REPLACEMENTS.items() if not is_gsm(r)} == {}
    assert all(len(ch) == 1 for ch in REPLACEMENTS)


def test_replacements_are_read_only():
    with pytest.raises(TypeError):
        REPLACEMENTS["x"] = "y"  # type: ignore[index]


_transcodable = st.text(
    alphabet=st.sampled_from(sorted(REPLACEMENTS.keys() | GSM_CHARACTERS)), max_size=200
)


@given(_transcodable)
def test_any_transcodable_body_becomes_all_gsm(body: str):
    result = transcode(body)
    assert result is not None
    assert set(result) <= GSM_CHARACTERS
    assert result == "".join(REPLACEMENTS.get(ch, ch) for ch in body)


@given(_transcodable, st.sampled_from(["😀", "Ж", "中", "\x1b", "\u0600"]))
def test_one_foreign_character_spoils_the_whole_body(body: str, foreign: str):
    assert transcode(body + foreign) is None
    assert transcode(foreign + body) is None


def test_review_regressions():
    # Decomposed accents compose (or drop) before the table applies.
    assert transcode("cafe\u0301") == "café"
    assert transcode("a\u0308\u0301") == "ä"
    # Polytonic Greek (Greek Extended block) is Greek too.
    assert transcode("ἀλήθεια") == "AΛHΘEIA"
    # Directional marks are zero-width characters: removed.
    assert transcode("a\u200eb\u200fc") == "abc"
