"""Structured logging: one line per event (logfmt or JSON), numbers and bodies redacted.

Configured once by the composition root; modules only call ``logging.getLogger``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# E.164-looking runs of digits (with optional +) anywhere in a line.
_NUMBER = re.compile(r"\+?\d[\d ]{6,}\d")


def redact_number(text: str) -> str:
    """``+306912345678`` → ``+3069*****678``: enough to correlate, not enough to dial."""
    return _NUMBER.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    digits = match.group(0)
    keep_head = 5 if digits.startswith("+") else 4
    if len(digits) <= keep_head + 3:
        return "*" * len(digits)
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 3) + digits[-3:]


class _Formatter(logging.Formatter):
    def __init__(self, fmt_name: str, redact: bool) -> None:
        super().__init__()
        self._json = fmt_name == "json"
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if self._redact:
            message = redact_number(message)
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields: dict[str, Any] = {
            "ts": stamp,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        if self._json:
            return json.dumps(fields, ensure_ascii=False)
        head = f"ts={stamp} level={fields['level']} logger={record.name}"
        line = f"{head} {message}"
        if "exc" in fields:
            line += " exc=" + json.dumps(fields["exc"])
        return line


def configure_logging(level: str = "info", fmt: str = "logfmt", redact: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(fmt, redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
