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
"""

import logging
from hashlib import sha1

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


class CountCachingPaginator(Paginator):
    """Django's Paginator with `count` from `count_rows`; the last page, and any page past it,
    are checked against an exact count (see the module docstring)."""

    count_from_cache = False

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        count, self.count_from_cache = count_rows(self.object_list)
        return count

    def _recount(self) -> None:
        count, self.count_from_cache = count_rows(self.object_list, fresh=True)
        self.__dict__["count"] = count
        self.__dict__.pop("num_pages", None)

    def validate_number(self, number):
        try:
            number = super().validate_number(number)
        except EmptyPage:
            if not self.count_from_cache:
                raise
            self._recount()
            return super().validate_number(number)
        if self.count_from_cache and number >= self.num_pages:
            self._recount()
            number = super().validate_number(number)
        return number


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
        if "count" not in self.__dict__ and _is_first_page(number):
            # The ids first, then their rows: SQLite evaluates the per-row annotations of every
            # row it sorts, so a search that gathers its candidates from an index and sorts
            # them (customers.search_index) would count open findings for thousands of rows.
            first = list(rows.filter(pk__in=rows.values("pk")[: self.per_page + self.orphans + 1]))
            if len(first) <= self.per_page + self.orphans:
                self.__dict__["count"] = len(first)
                return self._get_page(first, 1, self)
            number = self.validate_number(number)  # counts (or remembers) the whole list
            return self._get_page(first[: self.per_page], number, self)
        number = self.validate_number(number)
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
        try:
            first = number is None or int(number) == 1
        except (TypeError, ValueError):
            first = True
        if first and isinstance(self.object_list, QuerySet):
            return self.page(1)
        return super().get_page(number)
