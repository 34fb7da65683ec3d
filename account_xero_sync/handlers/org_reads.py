"""Reading a whole list of an organisation (contacts, invoices, credit notes) at Xero's largest
page, or giving up at once when it is larger than the work in hand is worth."""

PAGE = 1000  # items per page (Xero's largest page on these lists)


def read_pages(connection, method, key, budget=None, **kwargs):
    """Every item of ``method``'s list (``key`` in its answers) the arguments select, 1,000 a
    page: ``(items, pages)``; ``(None, pages)`` as soon as the first page tells there are more
    than ``budget`` pages (the one call spent tells it)."""
    items, page = [], 1
    while True:
        answer = connection._xero_call(method, page=page, page_size=PAGE, **kwargs)
        pages = (answer.get("pagination") or {}).get("pageCount") or page
        if budget is not None and pages > budget:
            return None, pages
        items += answer.get(key) or []
        if page >= pages:
            return items, pages
        page += 1
