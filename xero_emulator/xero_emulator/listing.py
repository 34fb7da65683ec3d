"""GET list semantics shared by Contacts, Invoices, Payments, Accounts and TaxRates.

Order of operations, as Xero applies them: If-Modified-Since, list filters (IDs, ...),
`where`, `searchTerm`, `order` (default `UpdatedDateUTC ASC`), then paging.
"""

import math
from dataclasses import dataclass, field

from .where import apply_order, compile_where
from .wire import ms_of, parse_datetime

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass
class ListSpec:
    """What a list endpoint supports."""

    # query parameter -> record field for comma-separated filters (IDs, InvoiceNumbers, ...)
    list_filters: dict = field(default_factory=dict)
    # fields searched by `searchTerm`
    search_fields: tuple = ()
    # honour If-Modified-Since (Accounts, Contacts, Invoices, Payments)
    modified_since: bool = True
    # paging (Contacts, Invoices, Payments)
    paged: bool = True


@dataclass
class ListResult:
    """The records of one page and the `pagination` block (None when not paging)."""

    records: list
    pagination: dict = None


def _field(record, path):
    value = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def list_records(records, query, if_modified_since, spec):
    """Filter, order and page `records` for a GET list call (raises QueryError)."""
    records = list(records)
    if spec.modified_since and if_modified_since:
        since = parse_datetime(if_modified_since)
        if since is not None:
            # Read to the second, as Xero documents it (`yyyy-mm-ddThh:mm:ss`, UTC): a fraction
            # is dropped. Records modified at or after that second: a client that re-uses the
            # last UpdatedDateUTC it saw gets that record again rather than missing a neighbour.
            since_ms = int(since.replace(microsecond=0).timestamp() * 1000)
            records = [r for r in records if ms_of(r.get("UpdatedDateUTC")) >= since_ms]
    for param, path in spec.list_filters.items():
        wanted = {value.casefold() for value in query.csv(param)}
        if wanted:
            records = [r for r in records if str(_field(r, path) or "").casefold() in wanted]
    where = query.get("where")
    if where and where.strip():
        predicate = compile_where(where)
        records = [r for r in records if predicate(r)]
    term = (query.get("searchTerm") or "").strip().casefold()
    if term and spec.search_fields:
        records = [
            r
            for r in records
            if any(term in str(r.get(name) or "").casefold() for name in spec.search_fields)
        ]
    records = apply_order(records, query.get("order") or "UpdatedDateUTC ASC")
    page = query.get("page")
    if not spec.paged or page in (None, ""):
        return ListResult(records)
    try:
        page_number = max(1, int(page))
        size = int(query.get("pageSize") or PAGE_SIZE)
    except ValueError:
        page_number, size = 1, PAGE_SIZE
    size = min(max(size, 1), MAX_PAGE_SIZE)
    start = (page_number - 1) * size
    pagination = {
        "page": page_number,
        "pageSize": size,
        "pageCount": math.ceil(len(records) / size),
        "itemCount": len(records),
    }
    return ListResult(records[start : start + size], pagination)
