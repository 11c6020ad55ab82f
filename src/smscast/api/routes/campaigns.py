"""Campaigns and single SMS: ``POST /sms/campaign`` and the endpoints around it."""

from __future__ import annotations

from fastapi import APIRouter

from smscast.api.routing import SafeTextRoute

router = APIRouter(tags=["campaigns"], route_class=SafeTextRoute)
