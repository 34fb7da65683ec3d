"""Invoices: create, update (what a paid invoice still takes) and void."""

import re

from ..wire import (
    PayloadError,
    clean,
    clean_cut,
    cut,
    date_text,
    rounded,
)
from .common import REFERENCE_MAX
from .common import put as _put

DESCRIPTION_MAX = 4000
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
# What Xero still accepts on a partly or fully paid invoice.
PAID_INVOICE_FIELDS = (
    "InvoiceID",
    "InvoiceNumber",
    "Reference",
    "DueDate",
    "Contact",
    "BrandingThemeID",
)
PAID_LINE_FIELDS = ("LineItemID", "Description", "AccountCode", "Tracking")


def invoice_payload(values):
    """Build a Xero sales ``Invoice`` (``Type`` ACCREC) from an invoice's plain values.

    ``values`` keys: ``number`` (InvoiceNumber), ``reference``, ``contact_id`` (required),
    ``date`` (required; ``datetime.date`` or ``"YYYY-MM-DD"``), ``due_date``, ``currency``,
    ``status`` (``"AUTHORISED"`` / ``"DRAFT"`` / ``"SUBMITTED"``), ``line_amount_types``
    (``"Exclusive"`` (default) / ``"Inclusive"`` / ``"NoTax"``), ``invoice_id`` (when updating),
    ``url`` (optional, http(s) only), and ``lines``: dicts with ``kind`` (``"product"``
    (default), ``"section"``, ``"note"``), ``description``, ``quantity``, ``unit_price``,
    ``discount`` (percent), ``account_code``, ``tax_type``, ``tax_amount`` (optional: the line's
    tax as Odoo computed it, so Xero's totals equal Odoo's), ``line_item_id`` (optional).

    Sections and notes become description-only lines. Quantities and unit amounts are rounded to
    4 decimals (send with ``unitdp=4``), tax amounts and discounts to 2.

    :return: ``(invoice, warnings)``
    :raises PayloadError: no contact, no date, no lines, a product line without account code or
        (unless NoTax) tax type, or a value that is not a number or date.
    """
    warnings = []
    number = clean_cut(values.get("number"), REFERENCE_MAX, "InvoiceNumber", warnings)
    label = "Invoice %s" % number if number else "The invoice"
    contact_id = clean(values.get("contact_id"))
    if not contact_id:
        raise PayloadError("%s has no Xero contact: send its customer first." % label)
    amount_types = clean(values.get("line_amount_types"))
    if amount_types is not None and amount_types not in LINE_AMOUNT_TYPES:
        raise PayloadError("%s: unknown line amount type %r." % (label, amount_types))
    status = clean(values.get("status"))
    if status is not None and status not in INVOICE_STATUSES:
        raise PayloadError("%s: status %r cannot be sent to Xero." % (label, status))
    invoice = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}}
    _put(invoice, "InvoiceID", clean(values.get("invoice_id")))
    _put(invoice, "InvoiceNumber", number)
    reference = clean_cut(values.get("reference"), REFERENCE_MAX, "Reference", warnings)
    _put(invoice, "Reference", reference)
    invoice["Date"] = date_text(values.get("date"), "%s: date" % label, required=True)
    _put(invoice, "DueDate", date_text(values.get("due_date"), "%s: due date" % label))
    _put(invoice, "CurrencyCode", (clean(values.get("currency")) or "").upper())
    _put(invoice, "Status", status)
    _put(invoice, "LineAmountTypes", amount_types)
    url = clean(values.get("url"))
    if url and re.match(r"^https?://\S+$", url):
        invoice["Url"] = url
    elif url:
        warnings.append("The link %r is not an http(s) address; it was left out." % url)
    items = []
    for index, line in enumerate(values.get("lines") or [], start=1):
        item = _line_item(line, index, amount_types or "Exclusive", warnings)
        if item is not None:
            items.append(item)
    if not items:
        raise PayloadError("%s has no lines; Xero requires at least one." % label)
    invoice["LineItems"] = items
    return invoice, warnings


def _line_item(line, index, amount_types, warnings):
    """One Xero ``LineItem``; None (with a warning) for an empty section or note."""
    kind = line.get("kind") or "product"
    description = clean(line.get("description"), multiline=True)
    label = "Line %d" % index
    if description:
        label += ' ("%s")' % (description if len(description) <= 40 else description[:37] + "...")
    description = cut(description, DESCRIPTION_MAX, "%s description" % label, warnings)
    item = {}
    _put(item, "LineItemID", clean(line.get("line_item_id")))
    if kind in ("section", "note"):
        if not description:
            warnings.append("%s is an empty %s; it was left out." % (label, kind))
            return None
        item["Description"] = description
        return item
    if kind != "product":
        raise PayloadError("%s has an unknown kind %r." % (label, kind))
    if description:
        item["Description"] = description
    else:
        warnings.append("%s has no description." % label)
    item["Quantity"] = rounded(line.get("quantity"), 4, "%s quantity" % label, warnings)
    item["UnitAmount"] = rounded(line.get("unit_price"), 4, "%s unit price" % label, warnings)
    if line.get("discount"):
        item["DiscountRate"] = rounded(line["discount"], 2, "%s discount" % label, warnings)
    account_code = clean(line.get("account_code"))
    if not account_code:
        raise PayloadError("%s has no Xero account code: map its income account." % label)
    item["AccountCode"] = account_code
    tax_type = clean(line.get("tax_type"))
    if tax_type:
        item["TaxType"] = tax_type
    elif amount_types != "NoTax":
        raise PayloadError("%s has no Xero tax type: map its taxes to a Xero tax rate." % label)
    tax_amount = line.get("tax_amount")
    if tax_amount is not None and tax_amount is not False and amount_types != "NoTax":
        item["TaxAmount"] = rounded(tax_amount, 2, "%s tax" % label)
    return item


def invoice_update_payload(values, paid):
    """Build the update of an invoice already in Xero (``values`` as for :func:`invoice_payload`,
    with ``invoice_id``).

    When ``paid`` (partly or fully paid in Xero), only what Xero still accepts is kept:
    InvoiceID, InvoiceNumber, Reference, DueDate, Contact, BrandingThemeID, and the lines'
    LineItemID, Description, AccountCode and Tracking. The lines are kept only when every one
    has its ``line_item_id`` (Xero deletes lines left out and adds lines without an id, which a
    paid invoice refuses).

    :return: ``(invoice, warnings, left_out)``: ``left_out`` is the sorted list of field names
        not sent (``"Date"``, ``"LineItems.UnitAmount"``, ``"LineItems"``...); Type and Status
        are never listed. Empty when not ``paid``.
    :raises PayloadError: as :func:`invoice_payload`, or no ``invoice_id``.
    """
    invoice, warnings = invoice_payload(values)
    if "InvoiceID" not in invoice:
        raise PayloadError("The invoice is not in Xero yet: there is nothing to update.")
    if not paid:
        return invoice, warnings, []
    kept = {field: value for field, value in invoice.items() if field in PAID_INVOICE_FIELDS}
    left_out = set(invoice) - set(PAID_INVOICE_FIELDS) - {"Type", "Status", "LineItems"}
    items = invoice["LineItems"]
    if all(item.get("LineItemID") for item in items):
        kept["LineItems"] = [
            {field: value for field, value in item.items() if field in PAID_LINE_FIELDS}
            for item in items
        ]
        left_out |= {"LineItems." + f for item in items for f in item if f not in PAID_LINE_FIELDS}
    else:
        left_out.add("LineItems")
        warnings.append(
            "The invoice is paid in Xero and some of its lines are not in Xero yet: "
            "no line was sent."
        )
    return kept, warnings, sorted(left_out)


def void_invoice_payload(invoice_id):
    """The body that voids an AUTHORISED invoice without payments: ``{InvoiceID, Status}``."""
    invoice_id = clean(invoice_id)
    if not invoice_id:
        raise PayloadError("The invoice is not in Xero: there is nothing to void.")
    return {"InvoiceID": invoice_id, "Status": "VOIDED"}
