"""The route class every router uses: refuses text the database or UTF-8 cannot hold.

JSON can smuggle in a lone UTF-16 surrogate (``"\\ud800"``) or a NUL (``"\\u0000"``). Neither
can be written as UTF-8 nor stored in a PostgreSQL text column, so either would surface
later as a 500. Both need an escape in the raw body, so one byte scan decides whether the
parsed body must be checked at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from smscast.errors import ValidationFailed

_SUSPECT = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def unstorable(value: Any) -> str | None:
    """What is wrong with the first string in ``value`` that cannot be stored, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired UTF-16 surrogate"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key) or unstorable(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = unstorable(item)
            if problem:
                return problem
    return None


class SafeTextRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            for value in (*request.path_params.values(), *request.query_params.values()):
                problem = unstorable(value)
                if problem:
                    raise ValidationFailed(
                        f"Invalid text: a parameter {problem}", properties={"url": problem}
                    )
            body = await request.body()  # cached: the handler reads the same bytes
            if body and _SUSPECT.search(body):
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None  # malformed JSON: the handler answers 400000000
                problem = unstorable(parsed)
                if problem:
                    raise ValidationFailed(
                        f"Invalid text: a string {problem}", properties={"body": problem}
                    )
            return await handler(request)

        return checked
