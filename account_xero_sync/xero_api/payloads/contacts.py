"""Contacts: ``contact_payload`` and Xero's unique names."""

import re

from ..phones import split_phone
from ..texts import _lt, join_texts
from ..wire import (
    PayloadError,
    clean,
    clean_cut,
    cut,
    utf16_len,
)
from .common import put as _put

NAME_MAX = 255
CODE_MAX = 50  # ContactNumber, AccountNumber, TaxNumber
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
            _lt("Contact %s has no name; Xero requires a contact name.", key or _lt("(no key)"))
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
        warnings.append(_lt('Currency "%s" is not a currency code; it was left out.', currency))
    invoice_address = values.get("invoice_address")
    addresses = [
        _address(invoice_address or values, "POBOX", _lt("Postal address"), warnings),
        _address(values, "STREET", _lt("Street address"), warnings),
    ]
    _put(contact, "Addresses", [address for address in addresses if address])
    _put(contact, "Phones", _phones(values, warnings))
    return contact, warnings


def _phones(values, warnings):
    """The partner's phone and mobile as Xero ``Phones``, split for the partner's country."""
    region = clean(values.get("country_code"))
    phones = []
    for field, phone_type, label in (
        ("phone", "DEFAULT", _lt("Phone")),
        ("mobile", "MOBILE", _lt("Mobile")),
    ):
        phone, phone_warnings = split_phone(values.get(field), region, phone_type)
        warnings.extend(join_texts(": ", [label, warning]) for warning in phone_warnings)
        if phone:
            phones.append(phone)
    return phones


def contact_name(name):
    """``name`` as Xero will hold it once sent (``contact_payload``'s Name: control characters
    dropped, tabs and line breaks as spaces, cut to 255 UTF-16 units), or ``""`` when nothing
    readable is left: what a partner's name is matched against Xero's names by."""
    return cut(clean(name), NAME_MAX, "Name", []) or ""


def name_key(name):
    """A contact name as people read it, to compare two: case and runs of white space aside
    ("Kiwi  Fibre Ltd " is "kiwi fibre ltd"), as Xero users type names."""
    return " ".join((name or "").split()).lower()


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
            _lt(
                'Email "%s" is not a valid email address; it was left out (Xero rejects it).',
                text if len(text) <= 80 else text[:77] + "...",
            )
        )
        return None
    if len(found) > 1:
        warnings.append(_lt("Several email addresses: only the first, %s, was sent.", found[0]))
    return found[0]


def _address(values, address_type, label, warnings):
    """A Xero ``Address`` of ``address_type``, or None when every field is empty."""
    address = {}
    for key, field, limit in ADDRESS_FIELDS:
        _put(
            address,
            field,
            clean_cut(values.get(key), limit, join_texts(" ", [label, field]), warnings),
        )
    country = clean(values.get("country_name")) or clean(values.get("country_code"))
    _put(address, "Country", cut(country, 50, join_texts(" ", [label, "Country"]), warnings))
    return {"AddressType": address_type, **address} if address else None
