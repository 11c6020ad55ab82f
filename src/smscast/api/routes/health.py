"""``GET /health``: liveness without auth, with the database's answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smscast.api.deps import ServicesDep
from smscast.api.routing import SafeTextRoute
from smscast.errors import StoreError

router = APIRouter(tags=["system"], route_class=SafeTextRoute)


@router.get("/health")
async def health(services: ServicesDep) -> JSONResponse:
    try:
        await services.db.ping()
    except StoreError:
        return JSONResponse({"status": "DOWN", "database": "DOWN"}, status_code=503)
    return JSONResponse({"status": "UP", "database": "UP"})
