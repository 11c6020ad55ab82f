"""Message tracking: ``/sms/tracking/single/{messageId}``, ``/sms/tracking/campaign/{id}`` and
the search ``POST /sms/tracking``; one entry per SMS part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from smscast.api.deps import ReportCaller, ServicesDep
from smscast.api.formats import iso_millis, parse_instant
from smscast.api.openapi import TRACKING_FILTERS, json_body
from smscast.api.pages import PageDep, page_body
from smscast.api.routing import SafeTextRoute
from smscast.errors import ValidationFailed
from smscast.services.tracking import FilterRequest, SearchRequest, TrackingEntry

router = APIRouter(tags=["tracking"], route_class=SafeTextRoute)

JsonBody = Annotated[Any, Body()]
SortQuery = Annotated[list[str] | None, Query()]


def entry_body(entry: TrackingEntry) -> dict[str, Any]:
    """A tracking entry as Routee answers it; what an entry does not have is left out."""
    out: dict[str, Any] = {"messageId": entry.message_id}
    if entry.sms_id is not None:
        out["smsId"] = entry.sms_id
    if entry.campaign_tracking_id is not None:
        out["campaignTrackingId"] = entry.campaign_tracking_id
    if entry.campaign_name is not None:
        out["campaignName"] = entry.campaign_name
    if entry.application_name is not None:
        out["applicationName"] = entry.application_name
    out.update(
        {
            "from": entry.sender,
            "to": entry.to,
            "country": entry.country,
            "operator": entry.operator,
            "groups": list(entry.groups),
            "body": entry.body,
            "parts": entry.parts,
            "part": entry.part,
        }
    )
    if entry.price is not None:
        out["price"] = float(entry.price)
    if entry.label is not None:
        out["label"] = entry.label
    out["direction"] = "Outbound"
    out["originatingService"] = "Sms"
    if entry.latency is not None:
        out["latency"] = entry.latency
    out["status"] = {
        "status": entry.status,
        "date": iso_millis(entry.status_at),
        "reason": {"detailedStatus": entry.detailed_status, "description": entry.description},
    }
    return out


@router.get("/sms/tracking/single/{message_id}")
async def track_message(principal: ReportCaller, services: ServicesDep, message_id: str) -> Any:
    entries = await services.tracking.message(principal.account_id, message_id)
    return JSONResponse([entry_body(e) for e in entries])


@router.get("/sms/tracking/campaign/{tracking_id}")
async def track_campaign(
    principal: ReportCaller,
    services: ServicesDep,
    tracking_id: str,
    paging: PageDep,
    sort: SortQuery = None,
) -> Any:
    page = await services.tracking.campaign(
        principal.account_id, tracking_id, offset=paging.offset, limit=paging.size, sort=sort or ()
    )
    content = [entry_body(e) for e in page.entries]
    return JSONResponse(page_body(content, page.total, paging))


@router.post("/sms/tracking", openapi_extra=json_body(TRACKING_FILTERS))
async def search_tracking(
    principal: ReportCaller,
    services: ServicesDep,
    paging: PageDep,
    body: JsonBody = None,
    date_start: Annotated[str | None, Query(alias="dateStart")] = None,
    date_end: Annotated[str | None, Query(alias="dateEnd")] = None,
    tracking_id: Annotated[str | None, Query(alias="trackingId")] = None,
    campaign: Annotated[str | None, Query()] = None,
    sort: SortQuery = None,
) -> Any:
    request = SearchRequest(
        date_start=_instant("dateStart", date_start),
        date_end=_instant("dateEnd", date_end),
        tracking_id=tracking_id,
        campaign=campaign,
        filters=_filters(body),
    )
    page = await services.tracking.search(
        principal.account_id, request, offset=paging.offset, limit=paging.size, sort=sort or ()
    )
    content = [entry_body(e) for e in page.entries]
    return JSONResponse(page_body(content, page.total, paging))


def _instant(name: str, value: str | None) -> datetime | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ValidationFailed(f"Invalid {name}: {exc}", properties={name: str(exc)}) from None


def _filters(body: Any) -> tuple[FilterRequest, ...]:
    """Filters from an array of ``{fieldName, searchTerm, searchOperator}`` (one object alone
    is taken as an array of one; no body, as none)."""
    if body is None:
        return ()
    items = [body] if isinstance(body, Mapping) else body
    if not isinstance(items, list):
        raise ValidationFailed(
            "expected an array of filters", properties={"body": "not an array of filters"}
        )
    found: list[FilterRequest] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationFailed(
                "each filter must be an object", properties={f"[{i}]": "not an object"}
            )
        found.append(
            FilterRequest(
                field_name=_text(item.get("fieldName"), f"[{i}].fieldName"),
                term=_text(item.get("searchTerm"), f"[{i}].searchTerm"),
                operator=_text(item.get("searchOperator"), f"[{i}].searchOperator"),
            )
        )
    return tuple(found)


def _text(value: Any, where: str) -> str | None:
    """A string field; numbers are taken as their text (``"to": 3069…``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValidationFailed(f"{where} must be a string", properties={where: "not a string"})
