"""``GET /sms/quietHours/countries/{language}``: where quiet hours can be applied."""

from __future__ import annotations

from fastapi import APIRouter

from smscast.api.routing import SafeTextRoute

router = APIRouter(tags=["sms"], route_class=SafeTextRoute)
