"""Groups of contacts: ``/groups/my…``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response

from smscast.api.bodies import ids_from, names_from, object_from
from smscast.api.deps import ContactCaller, ServicesDep
from smscast.api.openapi import CONTACT_ID_LIST, GROUP, GROUP_NAMES, json_body
from smscast.api.pages import PageDep, page_body
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import ContactOut, GroupOut

router = APIRouter(tags=["groups"], route_class=SafeTextRoute)

JsonBody = Annotated[Any, Body()]


def _group(name: str, size: int) -> JSONResponse:
    return JSONResponse(GroupOut(name=name, size=size).model_dump())


@router.get("/groups/my")
async def list_groups(principal: ContactCaller, services: ServicesDep) -> Any:
    found = await services.contacts.groups(principal.account_id)
    return JSONResponse([GroupOut(name=g.name, size=g.size).model_dump() for g in found])


@router.post("/groups/my", openapi_extra=json_body(GROUP))
async def create_group(principal: ContactCaller, services: ServicesDep, body: JsonBody) -> Any:
    group = await services.contacts.create_group(
        principal.account_id, object_from(body).get("name")
    )
    return _group(group.name, group.size)


@router.delete("/groups/my", openapi_extra=json_body(GROUP_NAMES))
async def delete_groups(
    principal: ContactCaller,
    services: ServicesDep,
    body: JsonBody,
    delete_contacts: Annotated[bool, Query(alias="deleteContacts")] = False,
) -> Any:
    await services.contacts.delete_groups(
        principal.account_id, names_from(body), delete_contacts=delete_contacts
    )
    return Response(status_code=200)


@router.get("/groups/my/{name}")
async def get_group(principal: ContactCaller, services: ServicesDep, name: str) -> Any:
    group = await services.contacts.group(principal.account_id, name)
    return _group(group.name, group.size)


@router.get("/groups/my/{name}/contacts")
async def group_members(
    principal: ContactCaller, services: ServicesDep, name: str, paging: PageDep
) -> Any:
    views, total = await services.contacts.members(
        principal.account_id, name, offset=paging.offset, limit=paging.size
    )
    content = [ContactOut.of(v).model_dump(mode="json") for v in views]
    return JSONResponse(page_body(content, total, paging))


@router.post("/groups/my/{name}/contacts", openapi_extra=json_body(CONTACT_ID_LIST))
async def add_group_members(
    principal: ContactCaller, services: ServicesDep, name: str, body: JsonBody
) -> Any:
    group = await services.contacts.add_members(principal.account_id, name, ids_from(body))
    return _group(group.name, group.size)


@router.delete("/groups/my/{name}/contacts", openapi_extra=json_body(CONTACT_ID_LIST))
async def remove_group_members(
    principal: ContactCaller, services: ServicesDep, name: str, body: JsonBody
) -> Any:
    group = await services.contacts.remove_members(principal.account_id, name, ids_from(body))
    return _group(group.name, group.size)
