"""Long lists a page at a time: which page the URL asks for, and the slice it shows with its counts.

A list no longer than one page is shown whole, with no pager (the seed's lists are all short).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..inputs import whole_number
from .filters import FilterError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, which page it is (1-based) and how many there are in all."""

    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def paged(self) -> bool:
        """Whether the list is longer than one page (only then is a pager shown)."""
        return self.total > self.size

    @property
    def first(self) -> int:
        """The 1-based position of the page's first item (0 for an empty list)."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_number(args: Mapping[str, str], name: str) -> int:
    """The page the parameter ``name`` asks for (1 when absent); anything but a whole number ≥ 1 is a 400."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return 1
    number = whole_number(raw, 1)
    if number is None:
        raise FilterError(name, f"'{name}' must be a page number (1, 2, …), not {raw!r}")
    return number


def page_of(items: Sequence[T], number: int, size: int, total: int | None = None) -> Page[T]:
    """The ``number``-th page of ``items`` (a page past the end shows the last one)."""
    count = len(items) if total is None else total
    number = min(number, max(1, math.ceil(count / size)))
    start = (number - 1) * size
    return Page(items[start:start + size], number, size, count)


def pager_context(page: Page[Any]) -> dict[str, Any]:
    """What a pager template needs, apart from the URLs."""
    return {"number": page.number, "pages": page.pages, "first": page.first, "last": page.last,
            "total": page.total, "previous": page.previous, "next": page.next}
