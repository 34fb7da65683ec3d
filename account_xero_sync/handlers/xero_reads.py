"""Reads of Xero by id: sales documents (invoices, credit notes) and the live payments of
invoices, as plain functions of a connection.

The lower layer that handlers share without importing each other: the invoices' and credit
notes' updates, the payments' send family (``payments.py`` and its files) and their fetch
family (``payment_fetch.py`` and its files) all read through here, never through another
handler. Each read keeps under Xero's query-string limit (``wire``).
"""

from ..xero_api import wire
from ..xero_api.documents import XERO_DOCUMENTS

LIVE_PAYMENTS = 'Status=="AUTHORISED" AND (%s)'


def id_queries(move_type, xero_ids):
    """The reads that find these documents by id. Invoices: ``IDs`` lists, split by length (a
    page, so Xero's list carries the lines, needed to compare paid invoices). Credit notes:
    ``where`` filters of at most 10 ids, each read as a page (with the lines)."""
    if move_type == "out_refund":
        for where in wire.where_any(xero_ids, lambda x: 'CreditNoteID==Guid("%s")' % x):
            yield {"where": where, "page_size": 100}
        return
    for chunk in wire.chunk_by_length(xero_ids, str, separator_len=3):
        yield {"i_ds": chunk}


def documents_by_id(connection, move_type, xero_ids):
    """Xero's current state of these documents of one kind, by id (as Xero spells it), with
    their lines."""
    document, current = XERO_DOCUMENTS[move_type], {}
    for query in id_queries(move_type, xero_ids):
        for record in connection._xero_read_all(document.read, document.key, unitdp=4, **query):
            current[record[document.id]] = record
    return current


def by_lower_id(connection, move_type, xero_ids):
    """:func:`documents_by_id` of the non-empty ids, keyed by lower-case id."""
    ids = sorted({i for i in xero_ids if i})
    found = documents_by_id(connection, move_type, ids) if ids else {}
    return {key.lower(): record for key, record in found.items()}


def live_payments(connection, invoice_keys):
    """Live (AUTHORISED) payments of these invoices with their Reference:
    ``{lower-case InvoiceID: [payment]}``.

    ``where`` on Invoice.InvoiceID, at most 10 invoices a call (``wire.where_any``: Xero
    refuses long ``OR`` chains on large organisations), each read page by page.
    """
    found = {}
    for terms in wire.where_any(
        sorted(invoice_keys), lambda key: wire.guid_where("Invoice.InvoiceID", [key])
    ):
        where = LIVE_PAYMENTS % terms
        for payment in connection._xero_read_all("get_payments", "Payments", where=where):
            key = ((payment.get("Invoice") or {}).get("InvoiceID") or "").lower()
            found.setdefault(key, []).append(payment)
    return found
