"""Contacts, labels and the blacklist: ``/contacts/my…`` and ``/contacts/labels/my``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response

from smscast.api.bodies import contact_from, ids_from, list_from, object_from
from smscast.api.deps import ContactCaller, ServicesDep
from smscast.api.openapi import CONTACT_ID_LIST, CONTACT_UPDATE, LABELS, NEW_CONTACT, json_body
from smscast.api.pages import PageDep, page_body
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import ContactOut, UpdatedOut
from smscast.errors import ContactNotFound

router = APIRouter(tags=["contacts"], route_class=SafeTextRoute)

JsonBody = Annotated[Any, Body()]


def _contact(view: Any) -> JSONResponse:
    return JSONResponse(ContactOut.of(view).model_dump(mode="json"))


@router.post("/contacts/my", openapi_extra=json_body(NEW_CONTACT))
async def create_contact(principal: ContactCaller, services: ServicesDep, body: JsonBody) -> Any:
    view = await services.contacts.create(principal.account_id, contact_from(body))
    return _contact(view)


@router.get("/contacts/my")
async def list_contacts(principal: ContactCaller, services: ServicesDep, paging: PageDep) -> Any:
    views, total = await services.contacts.page(
        principal.account_id, offset=paging.offset, limit=paging.size
    )
    content = [ContactOut.of(v).model_dump(mode="json") for v in views]
    return JSONResponse(page_body(content, total, paging))


@router.delete("/contacts/my", openapi_extra=json_body(CONTACT_ID_LIST))
async def delete_contacts(principal: ContactCaller, services: ServicesDep, body: JsonBody) -> Any:
    await services.contacts.delete_many(principal.account_id, ids_from(body))
    return Response(status_code=200)


@router.get("/contacts/my/mobile")
async def contact_by_mobile(
    principal: ContactCaller, services: ServicesDep, value: Annotated[str, Query()] = ""
) -> Any:
    return _contact(await services.contacts.by_mobile(principal.account_id, value))


@router.head("/contacts/my/mobile")
async def contact_exists(
    principal: ContactCaller, services: ServicesDep, value: Annotated[str, Query()] = ""
) -> Response:
    # Clients read only the status, and expect no body: Content-Length 0 either way.
    try:
        await services.contacts.by_mobile(principal.account_id, value)
    except ContactNotFound:
        return Response(status_code=404, headers={"Content-Length": "0"})
    return Response(status_code=200, headers={"Content-Length": "0"})


@router.get("/contacts/labels/my")
async def get_labels(principal: ContactCaller, services: ServicesDep) -> Any:
    return JSONResponse(await services.contacts.labels(principal.account_id))


@router.post("/contacts/labels/my", openapi_extra=json_body(LABELS))
async def create_labels(principal: ContactCaller, services: ServicesDep, body: JsonBody) -> Any:
    items = list_from(body)
    created = await services.contacts.add_labels(
        principal.account_id, [object_from(item) for item in items]
    )
    return JSONResponse([{"name": name, "type": kind} for name, kind in created.items()])


@router.get("/contacts/my/blacklist/{service}")
async def blacklisted(principal: ContactCaller, services: ServicesDep, service: str) -> Any:
    views = await services.contacts.blacklisted(principal.account_id, service)
    return JSONResponse([ContactOut.of(v).model_dump(mode="json") for v in views])


@router.post("/contacts/my/blacklist/{service}", openapi_extra=json_body(CONTACT_ID_LIST))
async def add_to_blacklist(
    principal: ContactCaller, services: ServicesDep, service: str, body: JsonBody
) -> Any:
    count = await services.contacts.blacklist(principal.account_id, service, ids_from(body))
    return JSONResponse(UpdatedOut(updated=count).model_dump())


@router.delete("/contacts/my/blacklist/{service}", openapi_extra=json_body(CONTACT_ID_LIST))
async def remove_from_blacklist(
    principal: ContactCaller, services: ServicesDep, service: str, body: JsonBody
) -> Any:
    count = await services.contacts.unblacklist(principal.account_id, service, ids_from(body))
    return JSONResponse(UpdatedOut(updated=count).model_dump())


@router.get("/contacts/my/{contact_id}")
async def get_contact(principal: ContactCaller, services: ServicesDep, contact_id: str) -> Any:
    return _contact(await services.contacts.get(principal.account_id, contact_id))


@router.put("/contacts/my/{contact_id}", openapi_extra=json_body(CONTACT_UPDATE))
async def update_contact(
    principal: ContactCaller, services: ServicesDep, contact_id: str, body: JsonBody
) -> Any:
    view = await services.contacts.update(principal.account_id, contact_id, contact_from(body))
    return _contact(view)


@router.delete("/contacts/my/{contact_id}")
async def delete_contact(principal: ContactCaller, services: ServicesDep, contact_id: str) -> Any:
    await services.contacts.delete(principal.account_id, contact_id)
    return Response(status_code=200)
