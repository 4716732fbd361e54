"""List pages as the API returns them: {"items": [...], "pagination": {page, per_page, total, pages}}."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from medsync.services.pagination import Page

T = TypeVar("T")


def page_of(items: Sequence[T], *, page: int, per_page: int) -> Page[T]:
    """One page of an in-memory list; a page past the end is clamped to the last one (as services do)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return Page(list(items[start:start + per_page]), page, per_page, len(items))


def page_body(page: Page[Any]) -> dict[str, Any]:
    """What a *PageSchema dumps."""
    return {"items": page.items, "pagination": page}
