"""Contacts: create, create-or-update, and the rules Xero applies to them."""

import copy
import re
import uuid

from .sanitize import input_errors, sanitize_echo
from .wire import ms_date

CONTACT_LIMITS = {
    "Name": 255,
    "ContactNumber": 50,
    "AccountNumber": 50,
    "FirstName": 255,
    "LastName": 255,
    "EmailAddress": 255,
    "TaxNumber": 50,
    "CompanyNumber": 50,
}
PHONE_LIMITS = {"PhoneNumber": 50, "PhoneAreaCode": 10, "PhoneCountryCode": 20}
ADDRESS_LIMITS = {
    "AddressLine1": 500,
    "AddressLine2": 500,
    "AddressLine3": 500,
    "AddressLine4": 500,
    "City": 255,
    "Region": 255,
    "PostalCode": 50,
    "Country": 50,
    "AttentionTo": 255,
}
PHONE_TYPES = ("DEFAULT", "DDI", "FAX", "MOBILE", "OFFICE")
ADDRESS_TYPES = ("STREET", "POBOX")
CONTACT_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
# Set by Xero, never by the caller (IsCustomer turns true with the first sales invoice).
READ_ONLY = {
    "ContactID",
    "UpdatedDateUTC",
    "IsCustomer",
    "IsSupplier",
    "HasAttachments",
    "HasValidationErrors",
    "ValidationErrors",
    "StatusAttributeString",
    "Balances",
    "Website",
    "Discount",
    "Attachments",
    "MergedToContactID",
}
SUMMARY_FIELDS = (
    "ContactID",
    "ContactNumber",
    "AccountNumber",
    "ContactStatus",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "DefaultCurrency",
    "IsSupplier",
    "IsCustomer",
)

NIL_ID = "00000000-0000-0000-0000-000000000000"
MSG_NAME_REQUIRED = "The contact name must be specified."
MSG_NAME_TAKEN = (
    "The contact name %s is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
MSG_NUMBER_TAKEN = (
    "The contact number %s is already assigned to another contact. "
    "The contact number must be unique across all contacts."
)
MSG_ACCOUNT_NUMBER_TAKEN = (
    "The Account Number already exists. Please enter a different Account Number."
)
MSG_PUT_EXISTING = (
    "The contact %s exists already: PUT /Contacts only creates contacts; update it with POST."
)
MSG_NOT_FOUND = "The contact with the specified contact details could not be found."
MSG_ARCHIVED = (
    "The contact with the specified contact details has been archived. "
    "The contact must be un-archived before creating new invoices or credit notes."
)
MSG_CURRENCY = "Organisation is not subscribed to currency %s"
# Xero refuses an EmailAddress that is not one valid address (community: xeroizer#477,
# xero-php#583), a list such as "a@x.com, b@y.com" included.
MSG_EMAIL = "Email address must be valid."
EMAIL = re.compile(r"^[^@\s,;<>()\[\]\\\"]+@[^@\s,;<>()\[\]\\\"]+\.[^@\s.,;<>()\[\]\\\"]+$")
# A Website typed in Xero without http(s):// makes every API update of its contact fail
# (Xero-NetStandard#434, #623, confirmed by Xero staff); Website is read-only in the API.
MSG_WEBSITE = "Website must be valid."


def text_length(value):
    """A string's length as Xero (a .NET service) counts it: UTF-16 code units, so an emoji
    outside the Basic Multilingual Plane counts twice."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def length_errors(values, limits, label=""):
    """Messages for every string in `values` longer than its limit in `limits`."""
    errors = []
    for name, limit in limits.items():
        value = values.get(name)
        if isinstance(value, str) and text_length(value) > limit:
            errors.append(
                "%s%s must not be more than %d characters long (it is %d)."
                % (label, name, limit, text_length(value))
            )
    return errors


def _empty_address(kind):
    return {"AddressType": kind, "City": "", "Region": "", "PostalCode": "", "Country": ""}


def _empty_phone(kind):
    return {"PhoneType": kind, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}


def new_contact_record(contact_id=None):
    """A contact as Xero creates it, before the caller's fields are applied."""
    return {
        "ContactID": contact_id or str(uuid.uuid4()),
        "ContactStatus": "ACTIVE",
        "Name": "",
        "EmailAddress": "",
        "BankAccountDetails": "",
        "Addresses": [_empty_address(kind) for kind in ADDRESS_TYPES],
        "Phones": [_empty_phone(kind) for kind in PHONE_TYPES[:4]],
        "ContactGroups": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "SalesTrackingCategories": [],
        "PurchasesTrackingCategories": [],
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }


def contact_summary(record):
    """The contact as Xero embeds it in an invoice or payment."""
    summary = {key: record[key] for key in SUMMARY_FIELDS if key in record}
    summary.update(
        Addresses=[], Phones=[], ContactGroups=[], ContactPersons=[], HasValidationErrors=False
    )
    return summary


def is_archived(record):
    """True when a contact takes no new invoices or payments."""
    return record.get("ContactStatus", "ACTIVE") != "ACTIVE"


def _merge_typed(current, incoming, type_key, allowed, limits, errors):
    """Merge Phones/Addresses by type: a sent type replaces the stored one of that type."""
    merged = [dict(item) for item in current]
    for item in incoming if isinstance(incoming, list) else []:
        if not isinstance(item, dict):
            errors.append("%s entries must be objects." % type_key[:-4])
            continue
        kind = str(item.get(type_key) or allowed[0]).upper()
        if kind not in allowed:
            errors.append("%s '%s' is not valid." % (type_key, item.get(type_key)))
            continue
        errors.extend(length_errors(item, limits, "%s %s: " % (kind.title(), type_key[:-4])))
        clean = {k: v for k, v in item.items() if v is not None}
        clean[type_key] = kind
        slot = next((entry for entry in merged if entry.get(type_key) == kind), None)
        if slot is None:
            merged.append(clean)
        else:
            slot.update(clean)
    return merged


def find_contact(org, contact_id=None, number=None, name=None):
    """A contact by id, by ContactNumber, or (active only) by name; None when absent."""
    if contact_id:
        return org.contacts.get(str(contact_id).lower())
    if number:
        wanted = str(number).strip().casefold()
        return next(
            (
                c
                for c in org.contacts.values()
                if str(c.get("ContactNumber") or "").casefold() == wanted
            ),
            None,
        )
    if name:
        wanted = str(name).strip().casefold()
        return next(
            (
                c
                for c in org.contacts.values()
                if not is_archived(c) and c.get("Name", "").casefold() == wanted
            ),
            None,
        )
    return None


def _uniqueness_errors(org, record):
    errors = []
    own_id = record["ContactID"].lower()
    others = [c for c in org.contacts.values() if c["ContactID"].lower() != own_id]
    name = record.get("Name", "").casefold()
    if not is_archived(record) and any(
        not is_archived(c) and c.get("Name", "").casefold() == name for c in others
    ):
        errors.append(MSG_NAME_TAKEN % record["Name"])
    number = str(record.get("ContactNumber") or "").casefold()
    if number and any(str(c.get("ContactNumber") or "").casefold() == number for c in others):
        errors.append(MSG_NUMBER_TAKEN % record["ContactNumber"])
    account = _account_key(record)
    if account and any(_account_key(c) == account for c in others):
        errors.append(MSG_ACCOUNT_NUMBER_TAKEN)
    return errors


def _account_key(record):
    """AccountNumber as Xero compares it for uniqueness: trimmed, without letter case."""
    return str(record.get("AccountNumber") or "").strip().casefold()


def _match(org, raw, mode, path_id):
    """(existing contact or None, contact id, errors) for one sent contact.

    `put` (PUT /Contacts) only creates: a ContactID is refused (Xero's "works very similar to
    POST Contacts but if an existing contact matches ... you will receive an error"). `upsert`
    (POST) finds the contact by ContactID, else by ContactNumber, else by Name (active
    contacts, trimmed, case ignored), and updates it. `seed` keeps a given id (create or update).
    """
    contact_id = path_id or raw.get("ContactID")
    if contact_id:
        existing = find_contact(org, contact_id=contact_id)
        if existing is None and mode != "seed":
            return None, contact_id, [MSG_NOT_FOUND]
        if existing is not None and mode == "put" and not path_id:
            return None, contact_id, [MSG_PUT_EXISTING % existing["ContactID"]]
        return existing, contact_id, []
    existing = None
    if mode == "upsert" and raw.get("ContactNumber"):
        existing = find_contact(org, number=raw["ContactNumber"])
    if mode == "upsert" and existing is None and isinstance(raw.get("Name"), str):
        existing = find_contact(org, name=raw["Name"])
    return existing, None, []


def upsert_contact(org, raw, now, mode="upsert", path_id=None):
    """Create or update one contact; returns (stored record or None, errors, echo).

    `mode` is `put` (PUT /Contacts: creates only), `upsert` (POST: ContactID, then
    ContactNumber, then Name), `create` (a new contact named by a document) or `seed` (the
    control API: a given id is kept). `path_id` is the id of `POST /Contacts/{id}`. Nothing is
    stored on error.
    """
    if not isinstance(raw, dict):
        return None, ["A contact must be a JSON object."], {}
    existing, contact_id, errors = _match(org, raw, mode, path_id)
    if errors:
        return None, errors, dict(raw)
    record = copy.deepcopy(existing) if existing else new_contact_record(contact_id)
    errors = input_errors(raw)
    if errors:
        return None, errors, sanitize_echo(raw, set(org.currencies))
    errors = length_errors(raw, CONTACT_LIMITS)
    email = raw.get("EmailAddress")
    if isinstance(email, str) and email.strip() and not EMAIL.match(email.strip()):
        errors.append(MSG_EMAIL)
    if mode == "seed" and isinstance(raw.get("Website"), str):
        record["Website"] = raw["Website"]  # typed in Xero: the API cannot set it
    elif mode != "seed" and existing is not None and not valid_website(existing.get("Website")):
        errors.append(MSG_WEBSITE)
    for key, value in raw.items():
        if key in READ_ONLY or key in ("Phones", "Addresses") or value is None:
            continue
        record[key] = value.strip() if key == "Name" and isinstance(value, str) else value
    record["Phones"] = _merge_typed(
        record["Phones"], raw.get("Phones"), "PhoneType", PHONE_TYPES, PHONE_LIMITS, errors
    )
    record["Addresses"] = _merge_typed(
        record["Addresses"],
        raw.get("Addresses"),
        "AddressType",
        ADDRESS_TYPES,
        ADDRESS_LIMITS,
        errors,
    )
    status = str(record.get("ContactStatus") or "ACTIVE").upper()
    if status not in CONTACT_STATUSES:
        errors.append("ContactStatus '%s' is not valid." % record.get("ContactStatus"))
        status = "ACTIVE"
    record["ContactStatus"] = status
    currency = record.get("DefaultCurrency")
    if currency and currency not in org.currencies:
        errors.append(MSG_CURRENCY % currency)
        record.pop("DefaultCurrency")
    if not str(record.get("Name") or "").strip():
        errors.append(MSG_NAME_REQUIRED)
    errors.extend(_uniqueness_errors(org, record))
    if errors:
        if existing is None and not contact_id:
            record["ContactID"] = NIL_ID
        return None, errors, record
    record["UpdatedDateUTC"] = ms_date(now)
    org.contacts[record["ContactID"].lower()] = record
    return record, [], record


def valid_website(website):
    """True when a stored Website lets its contact be updated: none, or one with a scheme."""
    website = (website or "").strip().lower()
    return not website or website.startswith(("http://", "https://"))


def mark_customer(org, contact, now):
    """Xero sets IsCustomer with the first sales invoice; returns the stored record."""
    if contact.get("IsCustomer"):
        return contact
    updated = dict(contact, IsCustomer=True, UpdatedDateUTC=ms_date(now))
    org.contacts[updated["ContactID"].lower()] = updated
    return updated
