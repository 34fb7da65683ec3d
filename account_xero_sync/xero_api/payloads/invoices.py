"""Invoices: create, update (what a paid invoice still takes) and void."""

import re

from ..texts import _lt
from ..wire import (
    PayloadError,
    clean,
    clean_cut,
    cut,
    date_text,
    rounded,
)
from . import totals as xero_math
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
    ``currency_rate`` (optional, foreign currency only: units of ``currency`` per unit of the
    organisation's base currency), ``status`` (``"AUTHORISED"`` / ``"DRAFT"`` /
    ``"SUBMITTED"``; None when updating), ``line_amount_types`` (``"Exclusive"`` (default) /
    ``"Inclusive"`` / ``"NoTax"``), ``invoice_id`` (when updating), ``url`` (optional, http(s)
    only), ``total`` and ``total_tax`` (optional: the totals Xero must end with), and ``lines``:
    dicts with ``kind`` (``"product"`` (default), ``"section"``, ``"note"``), ``description``,
    ``quantity``, ``unit_price``, ``discount`` (percent), ``account_code``, ``tax_type``,
    ``tax_amount`` (optional: the line's tax as Odoo computed it, so Xero's totals equal Odoo's),
    ``line_amount`` (optional: the LineAmount Xero must compute, tax included when Inclusive),
    ``tax_rate`` (optional: the percent Xero applies to ``tax_type``), ``line_item_id``;
    ``discounts`` (default True): False for a document that takes no DiscountRate (Xero's
    credit notes: "credit notes in Xero do not support discounts"), whose discounted lines with
    a ``line_amount`` then go as quantity 1 at that amount.

    Sections and notes become description-only lines. Quantities and unit amounts are rounded to
    4 decimals (send with ``unitdp=4``), tax amounts and discounts to 2.

    Exact amounts: when a product line has a ``line_amount`` that Xero would not compute from
    its quantity, unit price and discount as Xero keeps them (``totals.line_amount``), or a
    negative quantity, it is sent as quantity 1 at a unit amount that gives exactly that amount
    with the same discount, and its description ends with the original
    ``(412 × 0.01234, less 7.5%)``. A ``tax_amount`` Xero would refuse (more than 0.05 from its
    own tax at ``tax_rate``) is left out, Xero then computing its own. With ``total``, Xero's
    totals are computed here as Xero will (``totals.xero_totals``); when they differ from
    ``total`` / ``total_tax``, an invoice asked for as SUBMITTED or AUTHORISED is sent as DRAFT
    and a warning gives both; an update (no ``status``) raises :class:`PayloadError` instead.

    :return: ``(invoice, warnings)``
    :raises PayloadError: no contact, no date, no lines, a product line without account code or
        (unless NoTax) tax type, a value that is not a number or date, or an update whose totals
        in Xero would differ from ``total`` / ``total_tax``.
    """
    warnings = []
    number = clean_cut(values.get("number"), REFERENCE_MAX, "InvoiceNumber", warnings)
    label = _lt("Invoice %s", number) if number else _lt("The invoice")
    invoice = _invoice_header(values, number, label, warnings)
    amount_types = invoice.get("LineAmountTypes") or "Exclusive"
    items, rates = _line_items(values, amount_types, label, warnings)
    invoice["LineItems"] = items
    _check_totals(invoice, values, rates, label, warnings)
    return invoice, warnings


def _invoice_header(values, number, label, warnings):
    """The invoice's fields but its lines, checked (contact, line amount type, status)."""
    contact_id = clean(values.get("contact_id"))
    if not contact_id:
        raise PayloadError(_lt("%s has no Xero contact: send its customer first.", label))
    amount_types = clean(values.get("line_amount_types"))
    if amount_types is not None and amount_types not in LINE_AMOUNT_TYPES:
        raise PayloadError(
            _lt("%(invoice)s: unknown line amount type %(type)r.", invoice=label, type=amount_types)
        )
    status = clean(values.get("status"))
    if status is not None and status not in INVOICE_STATUSES:
        raise PayloadError(
            _lt(
                "%(invoice)s: status %(status)r cannot be sent to Xero.",
                invoice=label,
                status=status,
            )
        )
    invoice = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}}
    _put(invoice, "InvoiceID", clean(values.get("invoice_id")))
    _put(invoice, "InvoiceNumber", number)
    reference = clean_cut(values.get("reference"), REFERENCE_MAX, "Reference", warnings)
    _put(invoice, "Reference", reference)
    invoice["Date"] = date_text(values.get("date"), _lt("%s: date", label), required=True)
    _put(invoice, "DueDate", date_text(values.get("due_date"), _lt("%s: due date", label)))
    _put(invoice, "CurrencyCode", (clean(values.get("currency")) or "").upper())
    rate = values.get("currency_rate")
    if rate is not None and rate is not False:
        invoice["CurrencyRate"] = rounded(rate, xero_math.RATE_PLACES, _lt("%s: rate", label))
        if invoice["CurrencyRate"] <= 0:
            raise PayloadError(
                _lt(
                    "%(invoice)s: currency rate %(rate)s is not above zero.",
                    invoice=label,
                    rate=rate,
                )
            )
    _put(invoice, "Status", status)
    _put(invoice, "LineAmountTypes", amount_types)
    url = clean(values.get("url"))
    if url and re.match(r"^https?://\S+$", url):
        invoice["Url"] = url
    elif url:
        warnings.append(_lt("The link %r is not an http(s) address; it was left out.", url))
    return invoice


def _line_items(values, amount_types, label, warnings):
    """The invoice's ``LineItems`` and the tax rate of each (at least one line)."""
    discounts = values.get("discounts", True)
    items, rates = [], []
    for index, line in enumerate(values.get("lines") or [], start=1):
        item = _line_item(line, index, amount_types, discounts, warnings)
        if item is not None:
            items.append(item)
            rates.append(_tax_rate(line, _lt("Line %s tax rate", index)))
    if not items:
        raise PayloadError(_lt("%s has no lines; Xero requires at least one.", label))
    return items, rates


def _tax_rate(line, what):
    rate = line.get("tax_rate")
    if rate is None or rate is False:
        return None
    return xero_math.round_half_up(rounded(rate, 4, what), 4)


def _check_totals(invoice, values, rates, label, warnings):
    """Leave out line taxes Xero would refuse; compare Xero's totals with ``total``."""
    types = invoice.get("LineAmountTypes") or "Exclusive"
    items = invoice["LineItems"]
    for index, (item, rate) in enumerate(zip(items, rates, strict=True), start=1):
        if "TaxAmount" not in item:
            continue
        amount = xero_math.line_amount(
            item["Quantity"], item["UnitAmount"], item.get("DiscountRate")
        )
        if not xero_math.tax_accepted(amount, item["TaxAmount"], rate, types):
            own = xero_math.line_tax(amount, rate, types)
            warnings.append(
                _lt(
                    "Line %(n)s: Xero's tax at %(rate)s%% is %(xero)s, Odoo's %(odoo)s; Xero takes "
                    "no override that far from its own, so Xero's was left.",
                    n=index,
                    rate=rate,
                    xero=own,
                    odoo=item.pop("TaxAmount"),
                )
            )
    if values.get("total") is None or values.get("total") is False:
        return
    wanted = xero_math.round_half_up(values["total"])
    wanted_tax = xero_math.round_half_up(values.get("total_tax"))
    got = xero_math.xero_totals(items, types, rates)
    if (got.total, got.total_tax) == (wanted, wanted_tax):
        return
    difference = _lt(
        "Xero would compute a total of %(total)s (tax %(tax)s) where Odoo has %(odoo_total)s "
        "(tax %(odoo_tax)s), a difference of %(difference)s",
        total=got.total,
        tax=got.total_tax,
        odoo_total=wanted,
        odoo_tax=wanted_tax,
        difference=got.total - wanted,
    )
    if not invoice.get("Status"):
        raise PayloadError(
            _lt("%(invoice)s: %(difference)s; not sent.", invoice=label, difference=difference)
        )
    if invoice["Status"] != "DRAFT":
        invoice["Status"] = "DRAFT"
        difference = _lt(
            "%s; sent as DRAFT, to be checked before it is approved in Xero", difference
        )
    warnings.append(_lt("%(invoice)s: %(difference)s.", invoice=label, difference=difference))


def _line_item(line, index, amount_types, keep_discount, warnings):
    """One Xero ``LineItem``; None (with a warning) for an empty section or note."""
    kind = line.get("kind") or "product"
    description = clean(line.get("description"), multiline=True)
    label = _lt("Line %s", index)
    if description:
        label = _lt(
            'Line %(n)s ("%(description)s")',
            n=index,
            description=description if len(description) <= 40 else description[:37] + "...",
        )
    description = cut(description, DESCRIPTION_MAX, _lt("%s description", label), warnings)
    item = {}
    _put(item, "LineItemID", clean(line.get("line_item_id")))
    if kind in ("section", "note"):
        if not description:
            if kind == "section":
                warnings.append(_lt("%s is an empty section; it was left out.", label))
            else:
                warnings.append(_lt("%s is an empty note; it was left out.", label))
            return None
        item["Description"] = description
        return item
    if kind != "product":
        raise PayloadError(_lt("%(line)s has an unknown kind %(kind)r.", line=label, kind=kind))
    if not description:
        warnings.append(_lt("%s has no description.", label))
    quantity, unit_price, discount, description = _amounts(
        line, label, description, keep_discount, warnings
    )
    item["Quantity"] = quantity
    item["UnitAmount"] = unit_price
    if discount:
        item["DiscountRate"] = discount
    if description:
        item["Description"] = description
    account_code = clean(line.get("account_code"))
    if not account_code:
        raise PayloadError(_lt("%s has no Xero account code: map its income account.", label))
    item["AccountCode"] = account_code
    tax_type = clean(line.get("tax_type"))
    if tax_type:
        item["TaxType"] = tax_type
    elif amount_types != "NoTax":
        raise PayloadError(_lt("%s has no Xero tax type: map its taxes to a Xero tax rate.", label))
    tax_amount = line.get("tax_amount")
    if tax_amount is not None and tax_amount is not False and amount_types != "NoTax":
        item["TaxAmount"] = rounded(tax_amount, 2, _lt("%s tax", label))
    return item


def _amounts(line, label, description, keep_discount, warnings):
    """Quantity, unit amount, discount and description that give Xero the line's amount.

    As Odoo has them (rounded as Xero keeps them) when Xero then computes ``line_amount``, else
    quantity 1 at an exact unit amount (``totals.exact_line``) with the original quantity, unit
    price and discount at the end of the description. Without ``line_amount``, what the rounding
    changed is noted in ``warnings``.
    """
    target = line.get("line_amount")
    has_target = target is not None and target is not False
    # Without an amount to reach, say what Xero's rounding changed.
    noted = None if has_target else warnings
    places = xero_math.UNIT_PLACES
    values = (
        rounded(line.get("quantity"), places, _lt("%s quantity", label), noted),
        rounded(line.get("unit_price"), places, _lt("%s unit price", label), noted),
        rounded(
            line.get("discount") or 0, xero_math.DISCOUNT_PLACES, _lt("%s discount", label), noted
        ),
    )
    if not has_target:
        return (*values, description)
    rounded(target, 2, _lt("%s amount", label))  # a usable number, or PayloadError
    exact = xero_math.exact_line(
        line["quantity"], line["unit_price"], line.get("discount"), target, keep_discount
    )
    if exact is None:
        return (*values, description)
    original = "(%s × %s%s)" % (
        _number(line["quantity"]),
        _number(line["unit_price"]),
        ", less %s%%" % _number(line["discount"]) if line.get("discount") else "",
    )
    description = cut(
        "%s %s" % (description, original) if description else original,
        DESCRIPTION_MAX,
        _lt("%s description", label),
        warnings,
    )
    return (*(float(value) + 0.0 for value in exact), description)


def _number(value):
    """A quantity, price or percentage as Odoo shows it: 412, 0.01234, 7.5."""
    text = format(xero_math.to_decimal(value).normalize(), "f")
    return text if text != "-0" else "0"


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
    Xero keeps a paid invoice's amounts: its totals are not compared with ``total``.

    :raises PayloadError: as :func:`invoice_payload`, or no ``invoice_id``.
    """
    invoice, warnings = invoice_payload(dict(values, total=None) if paid else values)
    if "InvoiceID" not in invoice:
        raise PayloadError(_lt("The invoice is not in Xero yet: there is nothing to update."))
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
            _lt(
                "The invoice is paid in Xero and some of its lines are not in Xero yet: "
                "no line was sent."
            )
        )
    return kept, warnings, sorted(left_out)


def void_invoice_payload(invoice_id):
    """The body that voids an AUTHORISED invoice without payments: ``{InvoiceID, Status}``."""
    invoice_id = clean(invoice_id)
    if not invoice_id:
        raise PayloadError(_lt("The invoice is not in Xero: there is nothing to void."))
    return {"InvoiceID": invoice_id, "Status": "VOIDED"}
