"""Seeds (organisations and records staged "already in Xero") and the state dump.

SEED = {"organisations": [{"tenant_id", "name", "base_currency", "currencies": [...],
         "period_lock_date": "YYYY-MM-DD", "client_id", "client_secret" (its custom connection),
         "accounts": [...], "tax_rates": [...], "contacts": [...], "invoices": [...],
         "credit_notes": [...], "allocations": [...], "payments": [...]}]}

Records are in Xero's JSON shape and go through the same rules as API calls, so a seed cannot
stage what Xero would refuse. Ids are kept when given, generated otherwise. Invoices may be
seeded PAID (give their payments too), VOIDED or DELETED, and so may credit notes; payments may
be DELETED. An allocation is `{"CreditNote": {"CreditNoteID" | "CreditNoteNumber"},
"Invoice": {...}, "Amount", "Date"}`; a refund is a payment with a `CreditNote`. A record may
carry `UpdatedDateUTC` to back-date it. `period_lock_date` applies after the records are loaded.
The dump has the same shape, so a dump can be loaded back as a seed.
"""

import uuid

from . import allocations as allocation_rules
from . import contacts as contact_rules
from . import credit_notes as credit_note_rules
from . import invoices as invoice_rules
from . import payments as payment_rules
from .links import Links
from .state import DEFAULT_BASE_CURRENCY, Organisation
from .wire import day_string, ms_date, parse_datetime, parse_day


class SeedError(ValueError):
    """A seed the rules refuse; `.errors` lists `where: message` strings."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def _backdate(collection, key, record, raw):
    stamp = parse_datetime(raw.get("UpdatedDateUTC")) if isinstance(raw, dict) else None
    if stamp is not None:
        collection[record[key].lower()] = dict(record, UpdatedDateUTC=ms_date(stamp.timestamp()))


def _seed_document(org, raw, now, upsert, id_key):
    """An invoice or credit note in its final status (PAID ones are settled by what follows)."""
    if not isinstance(raw, dict):
        return None, ["must be an object"]
    final = str(raw.get("Status") or "DRAFT").upper()
    first = dict(raw, Status="AUTHORISED" if final in ("PAID", "VOIDED") else final)
    if final == "DELETED":
        first["Status"] = "DRAFT"
    record, problems, _echo = upsert(org, first, now, mode="create")
    if record and final in ("VOIDED", "DELETED"):
        record, problems, _echo = upsert(org, {"Status": final}, now, path_id=record[id_key])
    return record, problems


def _seed_allocation(org, raw, now):
    ref = raw.get("CreditNote") if isinstance(raw, dict) else None
    ref = ref if isinstance(ref, dict) else {}
    note = credit_note_rules.find_credit_note(
        org, ref.get("CreditNoteID") or ref.get("CreditNoteNumber")
    )
    if note is None:
        return ["the credit note of an allocation could not be found"]
    _record, problems, _echo = allocation_rules.allocate(
        org, note["CreditNoteID"], raw, now, raw.get("AllocationID")
    )
    return problems


def _seed_records(org, raw_org, now, errors):
    for index, raw in enumerate(raw_org.get("contacts") or []):
        record, problems, _echo = contact_rules.upsert_contact(org, raw, now, mode="seed")
        errors.extend("contacts[%d]: %s" % (index, p) for p in problems)
        if record:
            _backdate(org.contacts, "ContactID", record, raw)
    documents = (
        ("invoices", "InvoiceID", invoice_rules.upsert_invoice),
        ("credit_notes", "CreditNoteID", credit_note_rules.upsert_credit_note),
    )
    for collection, id_key, upsert in documents:
        for index, raw in enumerate(raw_org.get(collection) or []):
            record, problems = _seed_document(org, raw, now, upsert, id_key)
            errors.extend("%s[%d]: %s" % (collection, index, p) for p in problems)
            if record:
                _backdate(getattr(org, collection), id_key, record, raw)
    for index, raw in enumerate(raw_org.get("allocations") or []):
        problems = _seed_allocation(org, raw, now)
        errors.extend("allocations[%d]: %s" % (index, p) for p in problems)
    for index, raw in enumerate(raw_org.get("payments") or []):
        record, problems, _echo = payment_rules.create_payment(org, raw, now)
        if record and str(raw.get("Status") or "").upper() == "DELETED":
            record, problems, _echo = payment_rules.delete_payment(
                org, record["PaymentID"], {"Status": "DELETED"}, now
            )
        errors.extend("payments[%d]: %s" % (index, p) for p in problems)
        if record:
            _backdate(org.payments, "PaymentID", record, raw)


def apply_seed(store, seed, now, replace=False):
    """Load a seed; `replace` empties the store first.

    Raises SeedError when a record breaks a rule; the store then keeps its organisations and
    records (accounts, tax rates and currencies of an existing organisation may be updated).
    """
    if not isinstance(seed, dict) or not isinstance(seed.get("organisations", []), list):
        raise SeedError(['a seed is {"organisations": [...]}'])
    staged = {} if replace else dict(store.orgs)
    errors = []
    for index, raw_org in enumerate(seed.get("organisations", [])):
        if not isinstance(raw_org, dict):
            errors.append("organisations[%d]: must be an object" % index)
            continue
        tenant_id = str(raw_org.get("tenant_id") or uuid.uuid4())
        existing = staged.get(tenant_id.lower())
        if existing is None:
            org = Organisation.with_defaults(
                tenant_id,
                raw_org.get("name") or "Organisation %d" % (index + 1),
                str(raw_org.get("base_currency") or DEFAULT_BASE_CURRENCY).upper(),
                now,
                raw_org.get("currencies"),
            )
        else:
            org = existing
            org.name = raw_org.get("name") or org.name
        if raw_org.get("client_id") and raw_org.get("client_secret"):
            # The organisation's own custom connection (see Identity.custom_clients).
            org.custom_client = (str(raw_org["client_id"]), str(raw_org["client_secret"]))
        for code in raw_org.get("currencies") or []:
            if str(code).upper() not in org.currencies:
                org.currencies.append(str(code).upper())
        for account in raw_org.get("accounts") or []:
            org.add_account(account, now)
        for rate in raw_org.get("tax_rates") or []:
            org.add_tax_rate(rate)
        snapshot = org.snapshot()
        problems = []
        _seed_records(org, raw_org, now, problems)
        if problems:
            org.restore(snapshot)
            errors.extend("organisations[%d].%s" % (index, p) for p in problems)
        if raw_org.get("period_lock_date"):
            org.lock_date = parse_day(raw_org["period_lock_date"])
        staged[org.tenant_id.lower()] = org
    if errors:
        raise SeedError(errors)
    store.orgs = staged
    return store.tenant_ids()


def _dump_allocation(record):
    return {key: record[key] for key in ("AllocationID", "Amount", "Date", "CreditNote", "Invoice")}


def _dump_payment(org, record):
    """A payment as the API shows it; a refund names its CreditNote, so it loads back."""
    out = payment_rules.render_payment(org, record)
    if record.get("CreditNote"):
        out.pop("Invoice", None)
        out["CreditNote"] = dict(record["CreditNote"])
    return out


def dump(store, tenant_id=None):
    """Every organisation (or one) in the SEED shape, records as the API shows them."""
    organisations = []
    for org in store.orgs.values():
        if tenant_id and org.tenant_id.lower() != tenant_id.lower():
            continue
        links = Links(org)
        organisations.append(
            {
                "tenant_id": org.tenant_id,
                "name": org.name,
                "base_currency": org.base_currency,
                "currencies": list(org.currencies),
                "period_lock_date": day_string(org.lock_date)[:10] if org.lock_date else None,
                **(
                    {"client_id": org.custom_client[0], "client_secret": org.custom_client[1]}
                    if org.custom_client
                    else {}
                ),
                "accounts": list(org.accounts.values()),
                "tax_rates": list(org.tax_rates.values()),
                "contacts": list(org.contacts.values()),
                "invoices": [
                    invoice_rules.render_invoice(org, i, True, 4, links)
                    for i in org.invoices.values()
                ],
                "credit_notes": [
                    credit_note_rules.render_credit_note(org, c, True, 4, links)
                    for c in org.credit_notes.values()
                ],
                "allocations": [_dump_allocation(a) for a in org.allocations.values()],
                "payments": [_dump_payment(org, p) for p in org.payments.values()],
                "attachments": {
                    invoice_id: [entry["record"] for entry in entries.values()]
                    for invoice_id, entries in org.attachments.items()
                },
            }
        )
    return {"now": store.clock.now(), "organisations": organisations}
