"""Body analysis as Routee reports it: characters, parts, unicode, unsupported characters and
the transcoding offer (API.md, "Body analysis").

Encoding, cost and parts are computed at once: every message of a campaign needs them. The
unsupported-character list and the transcoding offer describe the template, not each
message, so they are worked out the first time they are read, then kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from smscast.domain.segments import Encoding, Layout, layout, unsupported_characters
from smscast.domain.transcode import transcode

MAX_BODY_CHARACTERS: Final = 1600
_UNSET: Final = object()


@dataclass(frozen=True, slots=True)
class Transcoded:
    message: str
    parts: int


class BodyAnalysis:
    """What a body costs and how it is encoded; see the module docstring for laziness."""

    __slots__ = ("_transcode", "_unsupported", "body", "characters", "parts", "unicode")

    def __init__(self, body: str, characters: int, parts: int, unicode: bool) -> None:
        self.body = body
        self.characters = characters  # septets for GSM-7, UTF-16 units for UCS-2
        self.parts = parts
        self.unicode = unicode
        self._unsupported: tuple[str, ...] | None = None if unicode else ()
        self._transcode: object = _UNSET if unicode else None

    @property
    def unsupported_gsm_characters(self) -> tuple[str, ...]:
        """Distinct non-GSM characters in order of first appearance; empty for GSM-7."""
        if self._unsupported is None:
            self._unsupported = unsupported_characters(self.body)
        return self._unsupported

    @property
    def transcode(self) -> Transcoded | None:
        """The GSM-7 version of a UCS-2 body, when every character has a replacement."""
        if self._transcode is _UNSET:
            replaced = transcode(self.body)
            self._transcode = (
                None if replaced is None else Transcoded(replaced, layout(replaced).parts)
            )
        offer = self._transcode
        assert offer is None or isinstance(offer, Transcoded)
        return offer

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BodyAnalysis):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.body, self.characters, self.parts, self.unicode))

    def __repr__(self) -> str:
        return (
            f"BodyAnalysis(characters={self.characters}, parts={self.parts}, "
            f"unicode={self.unicode}, unsupported_gsm_characters="
            f"{self.unsupported_gsm_characters!r}, transcode={self.transcode!r})"
        )

    def _key(self) -> tuple[object, ...]:
        return (
            self.characters,
            self.parts,
            self.unicode,
            self.unsupported_gsm_characters,
            self.transcode,
        )


def analyse(body: str) -> BodyAnalysis:
    return analyse_layout(body, layout(body))


def analyse_layout(body: str, shape: Layout) -> BodyAnalysis:
    """The analysis of a body whose layout is already known (saves a second scan)."""
    return BodyAnalysis(body, shape.cost, len(shape.bounds), shape.encoding is Encoding.UCS2)


class TranscodePolicy(StrEnum):
    """An application's default when a request does not say: ``auto`` transcodes only when
    that saves parts."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def text_to_send(
    body: str, analysis: BodyAnalysis, requested: bool | None, policy: TranscodePolicy
) -> str:
    """The text that goes out: the transcoded one when the request (or, absent a choice, the
    application's policy) asks for it and a transcoding exists."""
    if not analysis.unicode or requested is False:
        return body
    offer = analysis.transcode
    if offer is None:
        return body
    if requested is True or policy is TranscodePolicy.ALWAYS:
        return offer.message
    if policy is TranscodePolicy.AUTO and offer.parts < analysis.parts:
        return offer.message
    return body
