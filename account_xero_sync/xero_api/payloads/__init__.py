"""Xero request bodies built from plain values: the one mapping from Odoo's data to Xero's.

Every builder takes plain Python values (never records) and returns ``(payload, warnings)``:
``payload`` is a Xero dict in wire format (PascalCase keys, dates as ``"YYYY-MM-DD"``, money as
floats rounded as Xero stores it); ``warnings`` lists, in plain English, what was changed to fit
Xero (a cut name, a left-out email). What cannot be fixed without inventing data raises
:class:`PayloadError`. Nothing is dropped silently.
"""

from ..wire import PayloadError, parse_xero_date
from .common import payload_checksum
from .contacts import contact_name, contact_payload, distinct_contact_name, name_key
from .credit_notes import allocation_payload, as_credit_note
from .invoices import invoice_payload, invoice_update_payload, void_invoice_payload
from .payments import (
    delete_payment_payload,
    parse_payment_reference,
    parse_writeoff_reference,
    payment_payload,
    payment_reference,
    writeoff_payment_payload,
)

__all__ = [
    "PayloadError",
    "allocation_payload",
    "as_credit_note",
    "contact_name",
    "contact_payload",
    "delete_payment_payload",
    "distinct_contact_name",
    "name_key",
    "invoice_payload",
    "invoice_update_payload",
    "parse_payment_reference",
    "parse_writeoff_reference",
    "parse_xero_date",
    "payload_checksum",
    "payment_payload",
    "payment_reference",
    "void_invoice_payload",
    "writeoff_payment_payload",
]
