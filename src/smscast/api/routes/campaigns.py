"""Campaigns and single SMS: ``POST /sms/campaign`` and the endpoints around it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from smscast.api.campaign_requests import campaign_request, single_request
from smscast.api.deps import ServicesDep, SmsCaller
from smscast.api.formats import iso_millis
from smscast.api.openapi import CAMPAIGN, SINGLE_SMS, json_body
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import BodyAnalysisOut
from smscast.domain.analysis import analyse
from smscast.services.campaigns import CampaignRow, SingleView, statuses_of

router = APIRouter(tags=["campaigns"], route_class=SafeTextRoute)

JsonBody = Annotated[Any, Body()]


def _body_analysis(body: str) -> dict[str, Any]:
    return BodyAnalysisOut.of(analyse(body)).model_dump(mode="json", exclude_none=True)


def campaign_body(row: CampaignRow) -> dict[str, Any]:
    """The campaign object, as Routee answers it: absent options are left out, ``statuses``
    always has all six keys and ``smsAnalysis.contacts`` is always present."""
    request = row.request
    out: dict[str, Any] = {
        "trackingId": row.id,
        "type": "Sms",
        "createdAt": iso_millis(row.created_at),
    }
    if row.scheduled_at is not None:
        out["scheduledDate"] = iso_millis(row.scheduled_at)
    if row.name is not None:
        out["campaignName"] = row.name
    out.update(
        {
            "from": row.sender,
            "to": request.get("to", []),
            "body": row.body,
            "groups": request.get("groups", []),
            "contacts": request.get("contacts", []),
            "state": row.state,
            "statuses": dict(statuses_of(row)),
            "cost": float(row.cost),
            "totalMessages": row.total_messages,
            "flash": row.flash,
            "respectQuietHours": row.respect_quiet_hours,
            "ttl": row.ttl,
        }
    )
    if row.callback:
        out["callback"] = row.callback
    if row.campaign_callback:
        out["campaignCallback"] = row.campaign_callback
    reminder = request.get("reminder")
    if reminder:
        out["reminder"] = {k: v for k, v in reminder.items() if v is not None}
    if request.get("fallbackValues"):
        out["fallbackValues"] = request["fallbackValues"]
    if row.quiet_hours:
        out["quietHoursReport"] = row.quiet_hours
    analysis = dict(row.analysis)
    analysis.setdefault("contacts", {})
    analysis["bodyAnalysis"] = _body_analysis(row.body)
    out["smsAnalysis"] = analysis
    return out


def single_body(view: SingleView) -> dict[str, Any]:
    row = view.campaign
    out: dict[str, Any] = {
        "trackingId": view.message_id,
        "createdAt": iso_millis(row.created_at),
        "from": row.sender,
        "to": view.to,
        "body": row.body,
        "status": view.status,
        "bodyAnalysis": _body_analysis(row.body),
        "flash": row.flash,
        "ttl": row.ttl,
    }
    if row.label is not None:
        out["label"] = row.label
    if row.callback:
        out["callback"] = row.callback
    return out


@router.post("/sms/campaign", openapi_extra=json_body(CAMPAIGN))
async def send_campaign(principal: SmsCaller, services: ServicesDep, body: JsonBody) -> Any:
    row = await services.campaigns.create(principal, campaign_request(body))
    return JSONResponse(campaign_body(row))


@router.get("/campaigns/{tracking_id}")
@router.get("/sms/campaign/{tracking_id}")
async def get_campaign(principal: SmsCaller, services: ServicesDep, tracking_id: str) -> Any:
    row = await services.campaigns.get(principal.account_id, tracking_id)
    return JSONResponse(campaign_body(row))


@router.put("/sms/{tracking_id}", openapi_extra=json_body(CAMPAIGN))
async def update_campaign(
    principal: SmsCaller, services: ServicesDep, tracking_id: str, body: JsonBody
) -> Any:
    row = await services.campaigns.update(principal, tracking_id, campaign_request(body))
    return JSONResponse(campaign_body(row))


@router.delete("/sms/{tracking_id}")
async def delete_campaign(principal: SmsCaller, services: ServicesDep, tracking_id: str) -> Any:
    await services.campaigns.delete(principal.account_id, tracking_id)
    return Response(status_code=200)


@router.post("/sms/analyze/campaign", openapi_extra=json_body(CAMPAIGN))
async def analyze_campaign(principal: SmsCaller, services: ServicesDep, body: JsonBody) -> Any:
    request = campaign_request(body)
    result = await services.campaigns.analyse(principal, request)
    assert request.body is not None  # checked by the analysis
    return JSONResponse(
        {
            **result.analysis,
            "bodyAnalysis": _body_analysis(request.body),
            "cost": float(result.cost),
        }
    )


@router.post("/sms", openapi_extra=json_body(SINGLE_SMS))
async def send_single(principal: SmsCaller, services: ServicesDep, body: JsonBody) -> Any:
    view = await services.campaigns.send_single(principal, single_request(body))
    return JSONResponse(single_body(view))
