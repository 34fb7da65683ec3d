"""The Accounting API router: `/api.xro/2.0/...` for one organisation.

Writes run item by item: an item that breaks a rule changes nothing. With
`summarizeErrors=false` the call answers 200 with every item (`StatusAttributeString` OK or
ERROR); otherwise one bad item fails the whole call with a 400 `ValidationException` whose
`Elements` are the failing items, and nothing in the batch is written.
"""

from functools import partial

from . import contacts as contact_rules
from . import invoices as invoice_rules
from . import payments as payment_rules
from .attachments import attachment_routes
from .listing import ListSpec, list_records
from .sanitize import sanitize_echo
from .where import QueryError
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
PAYMENTS_SPEC = ListSpec()
ACCOUNTS_SPEC = ListSpec(paged=False)
TAX_RATES_SPEC = ListSpec(list_filters={"TaxType": "TaxType"}, modified_since=False, paged=False)
ERROR_FLAGS = {
    "Contacts": "HasValidationErrors",
    "Invoices": "HasErrors",
    "Payments": "HasValidationErrors",
}


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
            record, errors, echo = process(item)
            if errors:
                org.restore(before)
                results.append(self.error_element(org, key, echo, errors))
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
        element[ERROR_FLAGS[key]] = True
        return element

    def listing(self, request, records, spec, key, render=None):
        try:
            result = list_records(
                records, request.query, request.headers.get("If-Modified-Since"), spec
            )
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
            return self.invoices(org, request, method, rest, now, unitdp)
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
            mode = "create" if method == "PUT" else "upsert"
            process = partial(self._contact, org, now, mode, path_id)
            return self.run_batch(org, request, "Contacts", items, process, lambda r: r)
        return not_found()

    @staticmethod
    def _contact(org, now, mode, path_id, item):
        return contact_rules.upsert_contact(org, item, now, mode=mode, path_id=path_id)

    def invoices(self, org, request, method, rest, now, unitdp):
        if method == "GET" and not rest:
            paged = request.query.get("page") not in (None, "")
            grouped = invoice_rules.payments_by_invoice(org)
            rendered = [
                invoice_rules.render_invoice(org, i, paged, unitdp, grouped)
                for i in org.invoices.values()
            ]
            return self.listing(request, rendered, INVOICES_SPEC, "Invoices")
        if method == "GET" and len(rest) == 1:
            found = invoice_rules.find_invoice(org, rest[0])
            if found is None:
                return not_found()
            return json_response(
                200, envelope("Invoices", [invoice_rules.render_invoice(org, found, True, unitdp)])
            )
        if method in ("PUT", "POST") and len(rest) <= 1:
            path_id = rest[0] if rest else None
            if path_id:
                found = invoice_rules.find_invoice(org, path_id)
                if found is None:
                    return not_found()
                path_id = found["InvoiceID"]
            items, error = self.read_items(request, "Invoices", "Invoice", "Invoices")
            if error:
                return error
            mode = "create" if method == "PUT" else "upsert"

            def process(item):
                return invoice_rules.upsert_invoice(org, item, now, mode, unitdp, path_id)

            def render(record):
                return invoice_rules.render_invoice(org, record, True, unitdp)

            return self.run_batch(org, request, "Invoices", items, process, render)
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
