"""Request dependencies: the process's services and the authenticated caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from smscast.services.auth import Principal
from smscast.services.runtime import Services
from smscast.types import Scope


async def get_services(request: Request) -> Services:
    # async, though it awaits nothing: FastAPI runs a plain ``def`` dependency in its thread
    # pool, a thread hop on every request.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer":
        return None
    return token.strip() or None


def caller(scope: Scope) -> Callable[[Request, Services], Awaitable[Principal]]:
    """A dependency yielding the caller, refusing tokens without ``scope``."""

    async def dependency(request: Request, services: ServicesDep) -> Principal:
        principal = await services.auth.authenticate(_bearer(request))
        principal.require(scope)
        return principal

    return dependency


AccountCaller = Annotated[Principal, Depends(caller(Scope.ACCOUNT))]
SmsCaller = Annotated[Principal, Depends(caller(Scope.SMS))]
ContactCaller = Annotated[Principal, Depends(caller(Scope.CONTACT))]
ReportCaller = Annotated[Principal, Depends(caller(Scope.REPORT))]
