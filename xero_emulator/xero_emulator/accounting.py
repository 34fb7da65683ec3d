"""The Accounting API router: `/api.xro/2.0/...` for one organisation.

Writes run item by item: an item that breaks a rule changes nothing. With
`summarizeErrors=false` the call answers 200 with every item (`StatusAttributeString` OK,
WARNING with `Warnings`, or ERROR); otherwise one bad item fails the whole call with a 400
`ValidationException` whose `Elements` are the failing items, and nothing in the batch is
written (a call that succeeds shows its warnings too).
"""

from dataclasses import dataclass
from functools import partial

from . import allocations as allocation_rules
from . import contacts as contact_rules
from . import credit_notes as credit_note_rules
from . import invoices as invoice_rules
from . import payments as payment_rules
from .attachments import attachment_routes
from .links import Links
from .listing import ListSpec, list_records
from .sanitize import sanitize_echo
from .where import QueryError, WhereTooLong
from .wire import (
    envelope,
    json_response,
    loads,
    messages,
    not_found,
    post_data_invalid,
    query_parse_error,
    validation_exception,
)

CONTACTS_SPEC = ListSpec(
    list_filters={"IDs": "ContactID"},
    search_fields=(
        "Name",
        "FirstName",
        "LastName",
        "ContactNumber",
        "CompanyNumber",
        "EmailAddress",
    ),
)
INVOICES_SPEC = ListSpec(
    list_filters={
        "IDs": "InvoiceID",
        "InvoiceNumbers": "InvoiceNumber",
        "ContactIDs": "Contact.ContactID",
        "Statuses": "Status",
    },
    search_fields=("InvoiceNumber", "Reference"),
)
# Xero's GET /CreditNotes takes where, order, page, pageSize, unitdp and If-Modified-Since only.
CREDIT_NOTES_SPEC = ListSpec()
PAYMENTS_SPEC = ListSpec()
ACCOUNTS_SPEC = ListSpec(paged=False)
TAX_RATES_SPEC = ListSpec(list_filters={"TaxType": "TaxType"}, modified_since=False, paged=False)
ERROR_FLAGS = {
    "Contacts": "HasValidationErrors",
    "Invoices": "HasErrors",
    "Payments": "HasValidationErrors",
    "CreditNotes": "HasErrors",
}


@dataclass(frozen=True)
class DocumentRoutes:
    """What the invoice and credit note endpoints need to know of their records."""

    kind: object  # documents.Kind
    key: str  # envelope key and list schema
    schema: str  # one item's schema
    spec: ListSpec
    find: object  # (org, ref) -> record, by id or number
    upsert: object
    render: object  # (org, record, with_lines, unitdp, links)
    by_number: bool  # GET and POST /{ref} also take the number (invoices; not credit notes)


INVOICE_ROUTES = DocumentRoutes(
    kind=invoice_rules.INVOICE,
    key="Invoices",
    schema="Invoice",
    spec=INVOICES_SPEC,
    find=invoice_rules.find_invoice,
    upsert=invoice_rules.upsert_invoice,
    render=invoice_rules.render_invoice,
    by_number=True,
)
CREDIT_NOTE_ROUTES = DocumentRoutes(
    kind=credit_note_rules.CREDIT_NOTE,
    key="CreditNotes",
    schema="CreditNote",
    spec=CREDIT_NOTES_SPEC,
    find=credit_note_rules.find_credit_note,
    upsert=credit_note_rules.upsert_credit_note,
    render=credit_note_rules.render_credit_note,
    by_number=False,
)


class Accounting:
    """Routes one Accounting API call for one organisation (the caller holds the store lock)."""

    def __init__(self, clock, schema_check):
        self.clock = clock
        self.schema_check = schema_check

    # -- plumbing ----------------------------------------------------------------------------

    def read_items(self, request, key, single_schema, list_schema):
        """The items of a write body (`{key: [...]}` or one object), or a 400 Response."""
        try:
            body = loads(request.body) if request.body.strip() else None
        except ValueError as exc:
            return None, post_data_invalid("The request body is not valid JSON: %s" % exc)
        if isinstance(body, dict) and isinstance(body.get(key), list):
            name, items = list_schema, body[key]
        elif isinstance(body, dict) and key not in body:
            name, items = single_schema, [body]
        else:
            return None, post_data_invalid('The request body must be {"%s": [...]}' % key)
        errors = self.schema_check(name, body)
        if errors:
            return None, post_data_invalid(
                "The request body does not match the schema: " + "; ".join(errors)
            )
        return items, None

    def run_batch(self, org, request, key, items, process, render):
        """Apply `process` to each item; answer as Xero does with or without summarizeErrors."""
        summarize = request.query.flag("summarizeErrors", True)
        whole = org.snapshot()
        results = []
        for item in items:
            before = org.snapshot()
            record, errors, echo, *noted = process(item)
            if errors:
                org.restore(before)
                results.append(self.error_element(org, key, echo, errors))
            elif noted and noted[0]:  # (record, errors, echo, warnings)
                results.append(
                    dict(
                        render(record), StatusAttributeString="WARNING", Warnings=messages(noted[0])
                    )
                )
            else:
                results.append(dict(render(record), StatusAttributeString="OK"))
        failed = [r for r in results if r.get("StatusAttributeString") == "ERROR"]
        if failed and summarize:
            org.restore(whole)
            return validation_exception(failed)
        return json_response(200, envelope(key, results))

    @staticmethod
    def error_element(org, key, echo, errors):
        element = sanitize_echo(echo, set(org.currencies))
        element["ValidationErrors"] = messages(errors)
        element["StatusAttributeString"] = "ERROR"
        if key in ERROR_FLAGS:  # an Allocation has no such flag
            element[ERROR_FLAGS[key]] = True
        return element

    def listing(self, request, records, spec, key, render=None):
        try:
            result = list_records(
                records, request.query, request.headers.get("If-Modified-Since"), spec
            )
        except WhereTooLong as exc:
            return validation_exception([], str(exc))
        except QueryError as exc:
            return query_parse_error(str(exc))
        items = [render(r) for r in result.records] if render else result.records
        extra = {"pagination": result.pagination} if result.pagination else None
        return json_response(200, envelope(key, items, extra))

    # -- routing -----------------------------------------------------------------------------

    def handle(self, org, request):
        """Answer one call below `/api.xro/2.0/`."""
        parts = request.segments[2:]
        if not parts:
            return not_found()
        resource = parts[0].lower()
        rest = parts[1:]
        method = request.method
        now = self.clock.now()
        unitdp = 4 if request.query.get("unitdp") == "4" else 2
        if resource == "contacts":
            return self.contacts(org, request, method, rest, now)
        if resource == "invoices":
            if len(rest) >= 2 and rest[1].lower() == "attachments":
                return attachment_routes(org, request, rest[0], rest[2:])
            return self.documents(INVOICE_ROUTES, org, request, rest, now, unitdp)
        if resource == "creditnotes":
            if len(rest) >= 2 and rest[1].lower() == "allocations":
                return self.allocations(org, request, rest[0], rest[2:], now)
            return self.documents(CREDIT_NOTE_ROUTES, org, request, rest, now, unitdp)
        if resource == "payments":
            return self.payments(org, request, method, rest, now)
        return self.settings(org, request, method, resource, rest)

    def contacts(self, org, request, method, rest, now):
        if method == "GET" and not rest:
            records = org.contacts.values()
            if not request.query.flag("includeArchived", False):
                records = [c for c in records if not contact_rules.is_archived(c)]
            return self.listing(request, records, CONTACTS_SPEC, "Contacts")
        if method == "GET" and len(rest) == 1:
            found = contact_rules.find_contact(
                org, contact_id=rest[0]
            ) or contact_rules.find_contact(org, number=rest[0])
            return json_response(200, envelope("Contacts", [found])) if found else not_found()
        if method in ("PUT", "POST") and len(rest) <= 1:
            path_id = rest[0] if rest else None
            if path_id and contact_rules.find_contact(org, contact_id=path_id) is None:
                return not_found()
            items, error = self.read_items(request, "Contacts", "Contact", "Contacts")
            if error:
                return error
            mode = "put" if method == "PUT" and not path_id else "upsert"
            process = partial(self._contact, org, now, mode, path_id)
            return self.run_batch(org, request, "Contacts", items, process, lambda r: r)
        return not_found()

    @staticmethod
    def _contact(org, now, mode, path_id, item):
        return contact_rules.upsert_contact(org, item, now, mode=mode, path_id=path_id)

    def documents(self, routes, org, request, rest, now, unitdp):
        """Invoices and credit notes: GET list / one, PUT (create), POST (create or update)."""
        method = request.method
        if method == "GET" and not rest:
            paged = request.query.get("page") not in (None, "")
            links = Links(org)
            records = routes.kind.records(org).values()
            rendered = [routes.render(org, r, paged, unitdp, links) for r in records]
            return self.listing(request, rendered, routes.spec, routes.key)
        if method == "GET" and len(rest) == 1:
            found = self._find(routes, org, rest[0])
            if found is None:
                return not_found()
            rendered = routes.render(org, found, True, unitdp)
            return json_response(200, envelope(routes.key, [rendered]))
        if method in ("PUT", "POST") and len(rest) <= 1:
            path_id = None
            if rest:
                found = self._find(routes, org, rest[0])
                if found is None:
                    return not_found()
                path_id = found[routes.kind.id_key]
            items, error = self.read_items(request, routes.key, routes.schema, routes.key)
            if error:
                return error
            mode = "create" if method == "PUT" else "upsert"

            def process(item):
                warnings = []
                record, errors, echo = routes.upsert(
                    org, item, now, mode, unitdp, path_id, warnings
                )
                return record, errors, echo, warnings

            def render(record):
                return routes.render(org, record, True, unitdp)

            return self.run_batch(org, request, routes.key, items, process, render)
        return not_found()

    @staticmethod
    def _find(routes, org, ref):
        found = routes.find(org, ref)
        if found and not routes.by_number and ref.lower() != found[routes.kind.id_key].lower():
            return None  # Xero finds a credit note by its id only
        return found

    def allocations(self, org, request, note_ref, rest, now):
        """`PUT /CreditNotes/{id}/Allocations`, `DELETE /CreditNotes/{id}/Allocations/{id}`."""
        note = org.credit_notes.get(note_ref.lower())
        if note is None:
            return not_found()
        render = partial(allocation_rules.render_allocation, org)
        if request.method == "PUT" and not rest:
            items, error = self.read_items(request, "Allocations", "Allocation", "Allocations")
            if error:
                return error

            def process(item):
                return allocation_rules.allocate(org, note["CreditNoteID"], item, now)

            return self.run_batch(org, request, "Allocations", items, process, render)
        if request.method == "DELETE" and len(rest) == 1:
            found = allocation_rules.find_allocation(org, note["CreditNoteID"], rest[0])
            if found is None:
                return not_found()
            errors = allocation_rules.delete_allocation(org, found, now)
            if errors:
                return validation_exception([self.error_element(org, "Allocations", found, errors)])
            return json_response(200, render(found, deleted=True))
        return not_found()

    def payments(self, org, request, method, rest, now):
        render = partial(payment_rules.render_payment, org)
        if method == "GET" and not rest:
            rendered = [render(p) for p in org.payments.values()]
            return self.listing(request, rendered, PAYMENTS_SPEC, "Payments")
        if method == "GET" and len(rest) == 1:
            found = org.payments.get(rest[0].lower())
            return (
                json_response(200, envelope("Payments", [render(found)])) if found else not_found()
            )
        if method in ("PUT", "POST") and not rest:
            items, error = self.read_items(request, "Payments", "Payment", "Payments")
            if error:
                return error

            def process(item):
                return payment_rules.create_payment(org, item, now)

            return self.run_batch(org, request, "Payments", items, process, render)
        if method == "POST" and len(rest) == 1:
            if rest[0].lower() not in org.payments:
                return not_found()
            items, error = self.read_items(request, "Payments", "PaymentDelete", "Payments")
            if error:
                return error

            def delete(item):
                return payment_rules.delete_payment(org, rest[0], item, now)

            return self.run_batch(org, request, "Payments", items[:1], delete, render)
        return not_found()

    def settings(self, org, request, method, resource, rest):
        if method == "GET" and resource == "accounts":
            if rest:
                found = org.find_account({"AccountID": rest[0]})
                return json_response(200, envelope("Accounts", [found])) if found else not_found()
            return self.listing(request, org.accounts.values(), ACCOUNTS_SPEC, "Accounts")
        if method == "GET" and resource == "taxrates" and not rest:
            return self.listing(request, org.tax_rates.values(), TAX_RATES_SPEC, "TaxRates")
        if method == "GET" and resource == "organisation" and not rest:
            return json_response(200, envelope("Organisations", [org.organisation_record()]))
        if resource == "currencies" and not rest:
            if method == "PUT":
                items, error = self.read_items(request, "Currencies", "Currency", "Currencies")
                if error:
                    return error
                for item in items:
                    code = str((item or {}).get("Code") or "").upper()
                    if len(code) == 3 and code not in org.currencies:
                        org.currencies.append(code)
            if method in ("GET", "PUT"):
                return self.listing(
                    request,
                    org.currency_records(),
                    ListSpec(modified_since=False, paged=False),
                    "Currencies",
                )
        return not_found()
