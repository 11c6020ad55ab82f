"""The one place where errors become HTTP answers, all in Routee's error shape."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from smscast.errors import (
    ClientError,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    StoreError,
    ValidationFailed,
)

log = logging.getLogger("smscast.api")


def routee_body(error: ClientError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "developerMessage": error.message}
    if error.properties:
        body["properties"] = error.properties
    if error.errors is not None:
        body["errors"] = error.errors
    return body


def client_error_response(error: ClientError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
    return JSONResponse(routee_body(error), status_code=error.http_status, headers=headers)


def store_error_response(error: StoreError) -> JSONResponse:
    """503 in Routee's shape. The request's transaction rolled back whole (or, if the
    connection dropped during COMMIT, may have committed whole): sending it again with an
    Idempotency-Key is safe."""
    log.error("action=store_error error=%s", error)
    body = {"code": "503000000", "developerMessage": "Service temporarily unavailable"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


def install_error_handlers(app: FastAPI) -> None:
    async def on_client_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ClientError)
        return client_error_response(exc)

    async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        if exc.status == 401:
            # Spring Security's shape: Routee clients look for "status": 401.
            body: dict[str, Any] = {
                "status": 401,
                "error": exc.error,
                "message": exc.description,
                "path": request.url.path,
            }
            return JSONResponse(
                body, status_code=401, headers={"WWW-Authenticate": 'Basic realm="smscast"'}
            )
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description}, status_code=exc.status
        )

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return client_error_response(validation_failed(exc.errors()))

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return client_error_response(NotFound("No such resource"))
        if exc.status_code == 405:
            return client_error_response(MethodNotAllowed("Method not allowed on this resource"))
        error = ValidationFailed(str(exc.detail))
        return JSONResponse(routee_body(error), status_code=exc.status_code)

    async def on_store_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StoreError)
        return store_error_response(exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, StoreError):  # raised outside the routes' handlers
            return store_error_response(exc)
        log.exception("action=unhandled_error error=%s", type(exc).__name__)
        body = {"code": "500000000", "developerMessage": "Internal server error"}
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(ClientError, on_client_error)
    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(Exception, on_unexpected)


def validation_failed(errors: Any) -> ValidationFailed:
    """A 400000000 naming each bad field, from pydantic's error list."""
    properties: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        if err.get("type") == "json_invalid":
            return ValidationFailed("Malformed JSON body", properties={"body": "malformed JSON"})
        properties[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
    first = next(iter(properties.items()), ("body", "invalid"))
    return ValidationFailed(f"Invalid {first[0]}: {first[1]}", properties=properties)
