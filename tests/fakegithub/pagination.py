"""GitHub's pagination: `per_page` (default 30, at most 100), `page`, and a `Link` header.

GitHub writes the links with the repository's numeric id (`/repositories/1296269/issues?page=2`),
keeps the request's other query parameters in their order, and lists the relations as
`prev`, `next`, `last`, `first`, omitting those that do not apply; a list that fits on one page has
no `Link` header at all. Clients must follow the links rather than build page URLs themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass(frozen=True, kw_only=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    link: str | None


def _positive(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value > 0 else default


def paginate(items: Sequence[T], query: Sequence[tuple[str, str]], link_base: str) -> Page[T]:
    """Cut the page the query asks for; `link_base` is the absolute URL without a query."""
    values = dict(query)
    per_page = min(_positive(values.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _positive(values.get("page"), 1)
    last = max(1, -(-len(items) // per_page))
    start = (page - 1) * per_page
    chosen = list(items[start : start + per_page])
    relations: list[tuple[str, int]] = []
    if page > 1:
        relations.append(("prev", min(page - 1, last)))
    if page < last:
        relations += [("next", page + 1), ("last", last)]
    if page > 1:
        relations.append(("first", 1))
    if not relations:
        return Page(items=chosen, link=None)

    def url(target: int) -> str:
        # The page number takes the place of the request's own, or goes last if it had none.
        if "page" in values:
            pairs = [(name, str(target) if name == "page" else value) for name, value in query]
        else:
            pairs = [*query, ("page", str(target))]
        return f"{link_base}?{urlencode(pairs)}"

    link = ", ".join(f'<{url(target)}>; rel="{relation}"' for relation, target in relations)
    return Page(items=chosen, link=link)
