"""``POST /oauth/token``: the OAuth2 client-credentials grant, Routee's auth endpoint."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from smscast.api.deps import ServicesDep
from smscast.api.errors import validation_failed
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import TokenOut
from smscast.errors import OAuthError, ValidationFailed


class OAuthRoute(SafeTextRoute):
    """A malformed token request (a form that cannot be parsed, text that cannot be stored)
    is an OAuth ``invalid_request``: the token endpoint answers every error in OAuth's shape,
    which is what token clients read, never in Routee's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def oauth_shaped(request: Request) -> Response:
            try:
                return await handler(request)
            except ValidationFailed as exc:
                raise OAuthError(400, "invalid_request", exc.message) from None
            except RequestValidationError as exc:
                message = validation_failed(exc.errors()).message
                raise OAuthError(400, "invalid_request", message) from None
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                raise OAuthError(400, "invalid_request", str(exc.detail)) from None

        return oauth_shaped


router = APIRouter(tags=["auth"], route_class=OAuthRoute)


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
