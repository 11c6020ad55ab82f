"""Spring-style pages, as Routee answers every list."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel

MAX_PAGE_SIZE = 2000


class PageRequest(BaseModel):
    page: int
    size: int

    @property
    def offset(self) -> int:
        return self.page * self.size


def page_request(
    page: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> PageRequest:
    return PageRequest(page=page, size=size)


PageDep = Annotated[PageRequest, Depends(page_request)]


def page_body(content: list[Any], total: int, request: PageRequest) -> dict[str, Any]:
    pages = math.ceil(total / request.size) if total else 0
    return {
        "content": content,
        "totalPages": pages,
        "totalElements": total,
        "last": request.page >= pages - 1,
        "first": request.page == 0,
        "numberOfElements": len(content),
        "number": request.page,
        "size": request.size,
    }
