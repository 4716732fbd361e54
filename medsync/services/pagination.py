"""One page of a list, with what a client needs to draw ◀ page/total ▶."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from medsync.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


MAX_PER_PAGE = 100


def paginate(query: Select[Any], *, page: int, per_page: int) -> Page[Any]:
    """Run `query` (already ordered; to-one eager loads only) for one page, with the total in the same
    round trip; out-of-range page numbers and sizes are clamped."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    rows = _page_rows(query, page, per_page)
    if rows:
        return Page([row[0] for row in rows], page, per_page, rows[0][1])
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    last = max(1, -(-total // per_page))
    if total == 0 or page <= last:
        return Page([], min(page, last), per_page, total)
    rows = _page_rows(query, last, per_page)  # past the end: the last page instead
    return Page([row[0] for row in rows], last, per_page, rows[0][1] if rows else total)


def _page_rows(query: Select[Any], page: int, per_page: int) -> list[Any]:
    """(item, total) rows: a window count over the whole result rides along with the page."""
    counted = query.add_columns(func.count().over().label("total"))
    return list(db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all())
