"""``GET /metrics``: Prometheus text format, without auth like ``/health`` (bind the API to
a private address, or filter the path at the proxy, where the figures must not be public)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from smscast.api.deps import ServicesDep
from smscast.api.routing import SafeTextRoute
from smscast.services.metrics import CONTENT_TYPE, Metrics

router = APIRouter(tags=["system"], route_class=SafeTextRoute)


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    body = await Metrics(services.db, services.clock).exposition()
    return Response(body, media_type=CONTENT_TYPE)
