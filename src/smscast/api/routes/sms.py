"""SMS endpoints: ``POST /sms/analyze`` (more land with campaigns)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smscast.api.deps import ServicesDep, SmsCaller
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import AnalyzeIn, AnalyzeOut, BodyAnalysisOut

router = APIRouter(tags=["sms"], route_class=SafeTextRoute)


@router.post("/sms/analyze", response_model=AnalyzeOut, response_model_exclude_none=True)
async def analyze(request: AnalyzeIn, principal: SmsCaller, services: ServicesDep) -> Any:
    result = await services.analysis.analyse_single(
        principal,
        sender=request.sender,
        body=request.body,
        to=request.to,
        transcode=request.transcode,
    )
    out = AnalyzeOut(body_analysis=BodyAnalysisOut.of(result.body), cost=result.cost)
    return JSONResponse(out.model_dump(mode="json", exclude_none=True))
