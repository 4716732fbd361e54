"""One page of a list, with what a client needs to draw ◀ page/total ▶."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Row, Select, bindparam, func, select

from medsync.extensions import db
from medsync.prepared import PreparedStatement

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

    def rows_for(number: int, size: int) -> list[Any]:
        counted = query.add_columns(func.count().over().label("total"))
        return list(db.session.execute(counted.limit(size).offset((number - 1) * size)).all())

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0

    return paged(rows_for, count, lambda row: row[0], page=page, per_page=per_page)


class PreparedList(Generic[T]):
    """A list query built once, its values bound at execution, and paged as `paginate` pages.

    Building a statement and hashing it into SQLAlchemy's cache key costs more Python than running it
    (about 1 ms per page of bookings), and planning it cost PostgreSQL more than running it: the page query
    is a PreparedStatement named `name`, compiled once per process and planned once per connection. Its rows
    are columns (no ORM objects), each turned into an item by `item`.
    """

    def __init__(self, name: str, query: Select[Any], item: Callable[[Row[Any]], T]) -> None:
        rows = (query.add_columns(func.count().over().label("total"))
                .limit(bindparam("page_limit", type_=Integer))
                .offset(bindparam("page_offset", type_=Integer)))
        self._rows = PreparedStatement.of_query(name, rows)  # planned once per connection, too
        self._count = select(func.count()).select_from(query.order_by(None).subquery())
        self._item = item

    def page(self, values: Mapping[str, Any], *, page: int, per_page: int) -> Page[T]:
        """One page of the rows `values` select, with their total (one statement unless past the end)."""

        def rows_for(number: int, size: int) -> list[Any]:
            bound = {**values, "page_limit": size, "page_offset": (number - 1) * size}
            return list(self._rows.execute(db.session, bound).all())

        def count() -> int:
            return db.session.scalar(self._count, dict(values)) or 0

        return paged(rows_for, count, self._item, page=page, per_page=per_page)


def paged(rows_for: Callable[[int, int], list[Any]], count: Callable[[], int], item: Callable[[Any], Any], *,
           page: int, per_page: int) -> Page[Any]:
    """The page asked for, clamped: rows_for(page, per_page) gives rows whose last column is the total, each made an
    item by `item`; count() the total when the page asked for is past the end."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    rows = rows_for(page, per_page)
    if rows:
        return Page([item(row) for row in rows], page, per_page, rows[0][-1])
    if page == 1:  # an empty first page: nothing to count (a search that finds nobody costs one statement)
        return Page([], 1, per_page, 0)
    total = count()
    last = max(1, -(-total // per_page))
    if total == 0 or page <= last:
        return Page([], min(page, last), per_page, total)
    rows = rows_for(last, per_page)  # past the end: the last page instead
    return Page([item(row) for row in rows], last, per_page, rows[0][-1] if rows else total)
