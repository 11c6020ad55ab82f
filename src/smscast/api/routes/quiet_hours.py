"""``GET /sms/quietHours/countries/{language}``: where quiet hours can be applied."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smscast.api.deps import SmsCaller
from smscast.api.routing import SafeTextRoute
from smscast.domain.countries import countries

router = APIRouter(tags=["sms"], route_class=SafeTextRoute)


@router.get("/sms/quietHours/countries/{language}")
async def quiet_hours_countries(language: str, principal: SmsCaller) -> Any:
    # Any language is answered: one without names of its own gets the English ones.
    return JSONResponse(
        [
            {
                "code": country.code,
                "name": country.name,
                "localeName": country.locale_name,
                "supported": country.supported,
            }
            for country in countries(language)
        ]
    )
