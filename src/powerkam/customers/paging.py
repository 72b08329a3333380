"""Paging of the customer list (page and API) at 100,000 customers (issue #2).

Every page of a list shows how many rows match ("100,000 customers", DRF's `count`), and the
pager needs that number. For a company-wide list it is a COUNT(*) over 100,000 rows — the most
expensive query of an unfiltered list page. `CountCachingPaginator` remembers a *large* count
(≥ COUNT_CACHE_MIN rows) for COUNT_CACHE_SECONDS in Django's cache, keyed by the SQL that
selects the counted rows — which carries the caller's scope and every filter, so two users or
two filters never share a count unless they count exactly the same rows. (Django's cache is
per process with the default LocMemCache, shared with Redis.)

How correct that is, plainly: a large count may be up to COUNT_CACHE_SECONDS old. Rows created
or deleted meanwhile do not change the displayed total; for a list of 10,000+ rows that
is invisible in a pager, and OFFSET paging of a list that changes while being walked shifts rows
between pages anyway. Where the count decides what the client gets, it is recounted exactly:
the page that the cached count calls the last one (so the last page's rows and its missing
`next` link are right) and any page beyond it (a valid page is never refused because of an
old count). Small counts — a search, a manager's portfolio, every test — are never cached.

A search's count is capped (issue #11 item 5): the number of a search's matches grows with the
data (a frequent term matches ~1 % of the customers), and so did the time to count them all, on
every search, for a number nobody reads beyond "many". With `count_cap` (the list page and the
API pass settings.POWERKAM_SEARCH_COUNT_CAP when the query has a search term) the paginator
counts at most cap + 1 ids (`SELECT COUNT(*) FROM (SELECT id … LIMIT cap + 1)`): up to the cap
the count is exact; beyond it `count_exact` is False and the page says "1,000+ customers". The
pages up to the cap's are served from it; the page that the capped count calls the last one, any
page past it, and `?page=last` are counted exactly (as for a remembered count above), so every
existing page is served and the last one is right. Filters without a search term keep the exact
count: their counts are read from indexes (a station's customers: an index-only scan, customers
0010), a large one is remembered, and the number is often what the user asked the filter for.
"""

import logging
from hashlib import sha1

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

COUNT_CACHE_MIN = 10_000
COUNT_CACHE_SECONDS = 30


def _count_key(queryset: QuerySet) -> str:
    # The SQL of the rows' ids: the scope and the filters, without the ordering and the
    # per-row annotations (which do not change how many rows there are, and cost ten times
    # more to compile).
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    digest = sha1(f"{queryset.db}\x00{sql}\x00{params!r}".encode(), usedforsecurity=False).hexdigest()
    return f"powerkam:count:{digest}"


def count_rows(queryset: QuerySet, *, fresh: bool = False) -> tuple[int, bool]:
    """(number of rows, whether it came from the cache). A count of COUNT_CACHE_MIN rows or
    more is stored for COUNT_CACHE_SECONDS; `fresh` counts exactly and refreshes the cache."""
    key = _count_key(queryset)
    if not fresh:
        try:
            cached = cache.get(key)
        except Exception:  # a cache outage (Redis) must not break the list: count instead
            logger.warning("count cache unavailable", exc_info=True)
            cached = None
        if cached is not None:
            return cached, True
    count = queryset.count()
    try:
        if count >= COUNT_CACHE_MIN:
            cache.set(key, count, COUNT_CACHE_SECONDS)
        elif fresh:
            cache.delete(key)
    except Exception:
        logger.warning("count cache unavailable", exc_info=True)
    return count, False


def search_count_cap(term: str | None) -> int | None:
    """The count cap of a customer list whose search term is `term`: None (count exactly)
    without a term or when settings.POWERKAM_SEARCH_COUNT_CAP is 0."""
    if not (term or "").strip():
        return None
    return settings.POWERKAM_SEARCH_COUNT_CAP or None


def count_up_to(queryset: QuerySet, cap: int) -> int:
    """How many rows `queryset` has, counting no further than cap + 1: `SELECT COUNT(*) FROM
    (SELECT id … LIMIT cap + 1)`."""
    return queryset.order_by().values("pk")[: cap + 1].count()


class CountCachingPaginator(Paginator):
    """Django's Paginator with `count` from `count_rows`, or capped at `count_cap` (see the
    module docstring); the last page, and any page past it, are checked against an exact count.

    `count_exact` is False when the count stopped at the cap: `count` is then cap + 1 (there
    are more rows than the cap; the pages up to the cap's are known to exist)."""

    count_from_cache = False
    count_exact = True

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, error_messages=None, *,
                 count_cap: int | None = None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, error_messages)
        self.count_cap = count_cap or None

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        if self.count_cap:
            count = count_up_to(self.object_list, self.count_cap)
            self.count_exact = count <= self.count_cap
            return count
        count, self.count_from_cache = count_rows(self.object_list)
        return count

    def count_exactly(self) -> None:
        """Make `count` exact (a remembered or capped count is counted again)."""
        if "count" not in self.__dict__ or self.count_from_cache or not self.count_exact:
            self._recount()

    def _recount(self) -> None:
        count, self.count_from_cache = count_rows(self.object_list, fresh=True)
        self.count_exact = True
        self.__dict__["count"] = count
        self.__dict__.pop("num_pages", None)

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:  # past a remembered or capped count's pages: count exactly
            if not self.count_from_cache and self.count_exact:
                raise
            self._recount()
            return super().validate_number(number)

    def _exact_past_cap(self, number) -> None:
        # A page at or past the cap's is served from an exact count: count exactly at once
        # rather than capped first and again.
        if self.count_cap and "count" not in self.__dict__ and _reaches(number, self.per_page, self.count_cap + 1):
            self._recount()

    def _serving(self, number) -> int:
        """validate_number for the page about to be read: the page a remembered or capped count
        calls the last one is counted exactly first — its rows end there only if the count is
        right. (A link to it, `next_page_number`, needs no exact count: the page exists.)"""
        self._exact_past_cap(number)
        number = self.validate_number(number)
        if (self.count_from_cache or not self.count_exact) and number >= self.num_pages:
            self._recount()
            number = super().validate_number(number)
        return number

    def page(self, number):
        return super().page(self._serving(number))

    def page_links(self, number: int, *, on_each_side: int = 2, on_ends: int = 1) -> list:
        """The pager's links around page `number` (Django's elided page range); when the count
        stopped at the cap, without the capped count's "last" page, which is not the last: the
        pages up to `number + on_each_side` and an ellipsis."""
        links = list(self.get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends))
        if self.count_exact:
            return links
        links = [n for n in links if not isinstance(n, int) or n <= number + on_each_side]
        while links and not isinstance(links[-1], int):
            links.pop()
        return [*links, self.ELLIPSIS]


def _reaches(number, per_page: int, row: int) -> bool:
    """Whether page `number` (as requested) holds row `row` (1-based) or starts after it."""
    try:
        return int(number) * per_page >= row
    except (TypeError, ValueError):
        return False


def _is_first_page(number) -> bool:
    try:
        return int(number) == 1
    except (TypeError, ValueError):
        return False


class ListPaginator(CountCachingPaginator):
    """CountCachingPaginator that also reads as few rows and runs as few queries as it can
    (the queryset is the list's rows, annotated and ordered):

    - page 1 reads one row more than a page first: a list that fits on one page (most searches)
      is counted by that read, with no COUNT query; a longer one keeps the rows read;
    - a later page is one query that pages the ids first and annotates only the page's rows,
      `… WHERE id IN (SELECT id … ORDER BY … LIMIT n OFFSET m) ORDER BY …`: the per-row
      annotations (open findings) are not evaluated for the rows OFFSET skips, and the ids'
      page is an index-only scan of (number, id) for the default order.

    Anything but a QuerySet is paged as Django's Paginator pages it."""

    def page(self, number):
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().page(number)
        if number == "last":  # the real last page: counted exactly, whatever the cap
            self.count_exactly()
            number = self.num_pages
        if "count" not in self.__dict__ and _is_first_page(number):
            # The ids first, then their rows: SQLite evaluates the per-row annotations of every
            # row it sorts, so a search that gathers its candidates from an index and sorts
            # them (customers.search_index) would count open findings for thousands of rows.
            first = list(rows.filter(pk__in=rows.values("pk")[: self.per_page + self.orphans + 1]))
            if len(first) <= self.per_page + self.orphans:
                self.__dict__["count"] = len(first)
                return self._get_page(first, 1, self)
            number = self._serving(number)  # counts (or remembers) the whole list
            return self._get_page(first[: self.per_page], number, self)
        number = self._serving(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom == 0:
            return self._get_page(rows[bottom:top], number, self)
        page_ids = rows.values("pk")[bottom:top]
        return self._get_page(rows.filter(pk__in=page_ids), number, self)

    def get_page(self, number):
        # Django's get_page validates (and so counts) before reading the page; page 1 — also
        # for a missing or malformed number, as in Django — reads first (see page()).
        if number == "last" and isinstance(self.object_list, QuerySet):
            return self.page(number)
        try:
            first = number is None or int(number) == 1
        except (TypeError, ValueError):
            first = True
        if first and isinstance(self.object_list, QuerySet):
            return self.page(1)
        self._exact_past_cap(number)
        return super().get_page(number)
