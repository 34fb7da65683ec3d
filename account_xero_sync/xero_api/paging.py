"""Reading Xero's paged lists: one page, or every page (within a budget), written once.

``call`` is the caller's gateway call (``xero.connection._xero_call``): ``call(method,
**kwargs)`` returns the SDK's answer as a dict (``{key: [...], "pagination": {...}}``).
The last page is known from ``pagination.pageCount`` when Xero gives it, else from a page
shorter than the page size asked for (Xero's default is 100).
"""

XERO_PAGE = 100  # Xero's page when none is asked for
LARGEST_PAGE = 1000  # Xero's largest page on the lists the addon reads whole


def read_page(call, method, key, page=1, **kwargs):
    """One page of ``method``'s list: ``(items, more)``, ``more`` True when pages follow."""
    answer = call(method, page=page, **kwargs)
    items = answer.get(key) or []
    page_count = (answer.get("pagination") or {}).get("pageCount")
    if page_count is not None:
        return items, page < page_count
    return items, len(items) >= (kwargs.get("page_size") or XERO_PAGE)


def read_pages(call, method, key, budget=None, **kwargs):
    """Every item of ``method``'s list the arguments select: ``(items, pages)``; ``(None,
    pages)`` as soon as the first page tells there are more than ``budget`` pages (the one
    call spent tells it)."""
    items, page = [], 1
    while True:
        answer = call(method, page=page, **kwargs)
        batch = answer.get(key) or []
        page_count = (answer.get("pagination") or {}).get("pageCount")
        if budget is not None and (page_count or page) > budget:
            return None, page_count or page
        items += batch
        if page_count is not None:
            last = page >= page_count
        else:
            last = len(batch) < (kwargs.get("page_size") or XERO_PAGE)
        if last:
            return items, page_count or page
        page += 1


def read_all(call, method, key, **kwargs):
    """Every item of ``method``'s list the arguments select, page after page."""
    return read_pages(call, method, key, **kwargs)[0]
