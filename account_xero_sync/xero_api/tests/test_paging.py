"""`paging`: Xero's paged lists read one page at a time, or whole within a budget."""

from xero_api import paging


def lister(total, with_count=True):
    """A fake gateway call over ``total`` items; the calls it answered in ``calls``."""
    calls = []

    def call(method, page=1, page_size=paging.XERO_PAGE, **kwargs):
        calls.append((method, page, page_size, kwargs))
        items = list(range(total))[(page - 1) * page_size : page * page_size]
        answer = {"Items": items}
        if with_count:
            answer["pagination"] = {"page": page, "pageCount": -(-total // page_size)}
        return answer

    return call, calls


def test_read_all_follows_the_page_count():
    call, calls = lister(250)
    assert paging.read_all(call, "get_items", "Items", where="x") == list(range(250))
    assert [c[1] for c in calls] == [1, 2, 3]
    assert all(c[3] == {"where": "x"} for c in calls)


def test_read_all_without_a_page_count_stops_at_a_short_page():
    call, calls = lister(200, with_count=False)
    assert paging.read_all(call, "get_items", "Items") == list(range(200))
    assert len(calls) == 3, "two full pages, then an empty one"


def test_read_pages_gives_up_over_budget_after_one_call():
    call, calls = lister(3500)
    assert paging.read_pages(call, "get_items", "Items", 3, page_size=1000) == (None, 4)
    assert len(calls) == 1
    items, pages = paging.read_pages(call, "get_items", "Items", 4, page_size=1000)
    assert (len(items), pages) == (3500, 4)


def test_read_page_says_whether_more_follow():
    call, _calls = lister(150)
    assert paging.read_page(call, "get_items", "Items", 1) == (list(range(100)), True)
    assert paging.read_page(call, "get_items", "Items", 2) == (list(range(100, 150)), False)
    call, _calls = lister(100, with_count=False)
    assert paging.read_page(call, "get_items", "Items", 1, page_size=50)[1] is True
    assert paging.read_page(call, "get_items", "Items", 3, page_size=50) == ([], False)
