"""Xero request bodies built from plain values: the one mapping from Odoo's data to Xero's.

Every builder takes plain Python values (never records) and returns ``(payload, warnings)``:
``payload`` is a Xero dict in wire format (PascalCase keys, dates as ``"YYYY-MM-DD"``, money as
floats rounded as Xero stores it); ``warnings`` lists, in plain English, what was changed to fit
Xero (a cut name, a left-out email). What cannot be fixed without inventing data raises
:class:`PayloadError`. Nothing is dropped silently.
"""

import hashlib
import json
import re

from .phones import split_phone
from .wire import (
    PayloadError,
    clean,
    clean_cut,
    cut,
    date_text,
    parse_xero_date,
    rounded,
    utf16_len,
)

__all__ = [
    "PayloadError",
    "contact_payload",
    "delete_payment_payload",
    "distinct_contact_name",
    "invoice_payload",
    "invoice_update_payload",
    "parse_payment_reference",
    "parse_xero_date",
    "payload_checksum",
    "payment_payload",
    "payment_reference",
    "void_invoice_payload",
]


NAME_MAX = 255
CODE_MAX = 50  # ContactNumber, AccountNumber, TaxNumber
DESCRIPTION_MAX = 4000
REFERENCE_MAX = 255
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
# (key in the values, Xero field, maximum length)
ADDRESS_FIELDS = (
    ("street", "AddressLine1", 500),
    ("street2", "AddressLine2", 500),
    ("city", "City", 255),
    ("state", "Region", 255),
    ("zip", "PostalCode", 50),
    ("attention_to", "AttentionTo", 255),
)
_EMAIL_RE = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@(?:[^@\s<>()\[\],;:\".]+\.)+[^@\s<>()\[\],;:\".]{2,}$"
)
_PAYMENT_REF_RE = re.compile(r"(?:^|\s)#A(\d+)$")


# Contacts ----------------------------------------------------------------------------------


def contact_payload(values):
    """Build a Xero ``Contact`` from a partner's plain values.

    ``values`` keys (all optional but ``name``; Odoo's ``False`` counts as missing):
    ``name``, ``is_company`` (bool), ``first_name``, ``last_name`` (for a person without them the
    name is split on its last space), ``email``, ``vat`` (TaxNumber), ``ref`` (AccountNumber),
    ``contact_number`` (ContactNumber: our stable key, e.g. ``"ODOO-42"``), ``street``,
    ``street2``, ``city``, ``state`` (name), ``zip``, ``country_code``, ``country_name``,
    ``invoice_address`` (a dict with the same address keys plus ``attention_to``, or None),
    ``currency`` (DefaultCurrency), ``phone``, ``mobile``, ``contact_id`` (Xero ContactID when
    updating), ``archived`` (True: ARCHIVED, False: ACTIVE, absent: not sent).

    The partner's address goes out as STREET; ``invoice_address`` as POBOX (the address Xero
    prints on invoices), or the partner's address again when it is None. Missing fields are left
    out, never sent empty, so an update does not erase what someone typed in Xero.

    :return: ``(contact, warnings)``
    :raises PayloadError: the partner has no usable name.
    """
    warnings = []
    key = clean(values.get("contact_number"))
    name = clean_cut(values.get("name"), NAME_MAX, "Name", warnings)
    if not name:
        raise PayloadError(
            "Contact %s has no name; Xero requires a contact name." % (key or "(no key)")
        )
    contact = {}
    _put(contact, "ContactID", clean(values.get("contact_id")))
    _put(contact, "ContactNumber", cut(key, CODE_MAX, "ContactNumber", warnings))
    _put(
        contact, "AccountNumber", clean_cut(values.get("ref"), CODE_MAX, "AccountNumber", warnings)
    )
    if values.get("archived") is not None:
        contact["ContactStatus"] = "ARCHIVED" if values["archived"] else "ACTIVE"
    contact["Name"] = name
    first, last = _person_names(values, name, warnings)
    _put(contact, "FirstName", first)
    _put(contact, "LastName", last)
    _put(contact, "EmailAddress", _email(values.get("email"), warnings))
    _put(contact, "TaxNumber", clean_cut(values.get("vat"), CODE_MAX, "TaxNumber", warnings))
    currency = (clean(values.get("currency")) or "").upper()
    if re.fullmatch(r"[A-Z]{3}", currency):
        contact["DefaultCurrency"] = currency
    elif currency:
        warnings.append('Currency "%s" is not a currency code; it was left out.' % currency)
    invoice_address = values.get("invoice_address")
    addresses = [
        _address(invoice_address or values, "POBOX", "Postal address", warnings),
        _address(values, "STREET", "Street address", warnings),
    ]
    _put(contact, "Addresses", [address for address in addresses if address])
    region = clean(values.get("country_code"))
    phones = []
    for field, phone_type, label in (("phone", "DEFAULT", "Phone"), ("mobile", "MOBILE", "Mobile")):
        phone, phone_warnings = split_phone(values.get(field), region, phone_type)
        warnings.extend("%s: %s" % (label, warning) for warning in phone_warnings)
        if phone:
            phones.append(phone)
    _put(contact, "Phones", phones)
    return contact, warnings


def distinct_contact_name(name, ref, partner_key):
    """Return ``name`` made unique for Xero: ``"John Smith (C0042)"``.

    Xero requires unique names across active contacts. The suffix is the partner's reference
    when it has one, else our contact key (``partner_key``, e.g. ``"ODOO-42"``). The name is cut,
    never the suffix, so the result stays within 255 characters. Adding the same suffix twice is
    avoided, so calling this on its own result changes nothing.
    """
    name = clean(name) or ""
    suffix_key = cut(clean(ref) or clean(partner_key), CODE_MAX, "Reference", [])
    if not suffix_key:
        return cut(name, NAME_MAX, "Name", [])
    suffix = " (%s)" % suffix_key
    if name.endswith(suffix):
        name = name[: -len(suffix)].rstrip()
    return (cut(name, NAME_MAX - utf16_len(suffix), "Name", []) + suffix).strip()


def _person_names(values, name, warnings):
    """``(FirstName, LastName)``: given ones, else for a person the name split on its last space."""
    first = clean_cut(values.get("first_name"), NAME_MAX, "FirstName", warnings)
    last = clean_cut(values.get("last_name"), NAME_MAX, "LastName", warnings)
    if first or last or values.get("is_company"):
        return first, last
    head, _space, tail = name.rpartition(" ")
    return (head.strip(), tail) if head.strip() else (name, None)


def _email(value, warnings):
    """The first valid-looking address in ``value`` (which may be ``"Name <a@b.nz>"``), or None."""
    text = clean(value)
    if not text:
        return None
    candidates = re.findall(r"<([^<>]+)>", text) or re.split(r"[,;]", text)
    candidates = [candidate.strip() for candidate in candidates]
    found = [c for c in candidates if _EMAIL_RE.match(c) and ".." not in c and utf16_len(c) <= 255]
    if not found:
        warnings.append(
            'Email "%s" is not a valid email address; it was left out (Xero rejects it).'
            % (text if len(text) <= 80 else text[:77] + "...")
        )
        return None
    if len(found) > 1:
        warnings.append("Several email addresses: only the first, %s, was sent." % found[0])
    return found[0]


def _address(values, address_type, label, warnings):
    """A Xero ``Address`` of ``address_type``, or None when every field is empty."""
    address = {}
    for key, field, limit in ADDRESS_FIELDS:
        _put(address, field, clean_cut(values.get(key), limit, "%s %s" % (label, field), warnings))
    country = clean(values.get("country_name")) or clean(values.get("country_code"))
    _put(address, "Country", cut(country, 50, "%s Country" % label, warnings))
    return {"AddressType": address_type, **address} if address else None


# Invoices ----------------------------------------------------------------------------------


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


# Payments ----------------------------------------------------------------------------------


def payment_payload(values):
    """Build a Xero ``Payment`` of one invoice.

    ``values`` keys: ``invoice_id`` (Xero InvoiceID), ``account_id`` (Xero AccountID) or
    ``account_code``, ``date``, ``amount`` (in the invoice's currency, > 0, rounded to 2
    decimals), ``reference`` (see :func:`payment_reference`), ``currency_rate`` (optional, only
    for a foreign-currency invoice: units of that currency per unit of the base currency).

    :return: ``(payment, warnings)``
    :raises PayloadError: no invoice, no account, no date, or an amount or rate not above zero.
    """
    warnings = []
    invoice_id = clean(values.get("invoice_id"))
    if not invoice_id:
        raise PayloadError("The paid invoice is not in Xero yet: send the invoice first.")
    account_id = clean(values.get("account_id"))
    account_code = clean(values.get("account_code"))
    if not (account_id or account_code):
        raise PayloadError("The payment has no Xero bank account: map its journal.")
    amount = rounded(values.get("amount"), 2, "Payment amount", warnings)
    if amount <= 0:
        raise PayloadError("Payment amount %s: Xero only takes amounts above zero." % amount)
    payment = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"AccountID": account_id} if account_id else {"Code": account_code},
        "Date": date_text(values.get("date"), "Payment date", required=True),
        "Amount": amount,
    }
    reference = clean_cut(values.get("reference"), REFERENCE_MAX, "Payment reference", warnings)
    _put(payment, "Reference", reference)
    rate = values.get("currency_rate")
    if rate is not None and rate is not False:
        payment["CurrencyRate"] = rounded(rate, 10, "Currency rate")
        if payment["CurrencyRate"] <= 0:
            raise PayloadError("Currency rate %s: Xero only takes rates above zero." % rate)
    return payment, warnings


def payment_reference(payment_name, partial_id):
    """A stable reference naming the payment and its allocation: ``"PBNK1/2026/00012 #A57"``.

    ``partial_id`` is the ``account.partial.reconcile`` id; :func:`parse_payment_reference`
    reads it back. The name is cut, never the suffix, to stay within 255 characters.
    """
    suffix = "#A%d" % int(partial_id)
    name = cut(clean(payment_name), REFERENCE_MAX - len(suffix) - 1, "Reference", [])
    return "%s %s" % (name, suffix) if name else suffix


def parse_payment_reference(reference):
    """The allocation id in a reference made by :func:`payment_reference`, else None."""
    match = _PAYMENT_REF_RE.search(clean(reference) or "")
    return int(match.group(1)) if match else None


def delete_payment_payload():
    """The body of ``POST /Payments/{PaymentID}`` that deletes a payment."""
    return {"Status": "DELETED"}


# Shared ------------------------------------------------------------------------------------


def payload_checksum(payload):
    """SHA-256 (hex) of the payload as canonical JSON, to skip sending what has not changed."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _put(target, field, value):
    """Set ``target[field]`` unless ``value`` is empty (None, ``""``, ``[]``)."""
    if value not in (None, "", []):
        target[field] = value
