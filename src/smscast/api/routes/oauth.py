"""``POST /oauth/token``: the OAuth2 client-credentials grant, Routee's auth endpoint."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Request

from smscast.api.deps import ServicesDep
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import TokenOut
from smscast.errors import OAuthError

router = APIRouter(tags=["auth"], route_class=SafeTextRoute)


def _basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    kind, _, encoded = header.partition(" ")
    if kind.lower() != "basic" or not encoded:
        raise OAuthError(401, "Unauthorized", "Full authentication is required")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "Unauthorized", "Malformed basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "Unauthorized", "Malformed basic credentials")
    return client_id, secret


@router.post("/oauth/token", response_model=TokenOut)
async def token(
    request: Request,
    services: ServicesDep,
    grant_type: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> TokenOut:
    client_id, secret = _basic_credentials(request)
    granted = await services.auth.grant(client_id, secret, grant_type, scope)
    return TokenOut(
        access_token=granted.access_token,
        expires_in=granted.expires_in,
        scope=" ".join(sorted(granted.scopes)),
        permissions=[],
    )
