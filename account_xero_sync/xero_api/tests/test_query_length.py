"""Xero answers 404 to a query string above about 2 KB: the emulator does too, and
`wire.chunk_by_length` keeps our filters under it."""

from urllib.parse import quote_plus

import pytest
from xero_api import wire
from xero_python.exceptions import NotFoundException


def test_emulator_refuses_an_overlong_query(xero, tenant):
    where = " OR ".join('Name=="Customer %04d"' % i for i in range(120))
    assert len(quote_plus(where)) > 2048
    with pytest.raises(NotFoundException):
        xero.get_contacts(tenant, where=where)
    short = " OR ".join('Name=="Customer %04d"' % i for i in range(10))
    assert xero.get_contacts(tenant, where=short).contacts == []


def test_chunks_stay_under_the_limit_and_keep_every_item():
    terms = ['Name=="Customer %04d with a long name ✓"' % i for i in range(300)]
    chunks = list(wire.chunk_by_length(terms, str))
    assert [t for chunk in chunks for t in chunk] == terms
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(quote_plus(" OR ".join(chunk))) <= wire.MAX_QUERY


def test_an_item_longer_than_the_limit_is_alone():
    chunks = list(wire.chunk_by_length(["a" * 2000, "b", "c"], str))
    assert chunks == [["a" * 2000], ["b", "c"]]
