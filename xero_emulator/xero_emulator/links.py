"""What settles a document: live payments (and refunds) and credit note allocations, by the id of
each document they touch, and how Xero lists a payment inside a document."""


def payment_summary(payment):
    """A payment or refund as Xero lists it inside an invoice or credit note."""
    keys = ("PaymentID", "Date", "Amount", "Reference", "CurrencyRate")
    return dict(
        {k: payment[k] for k in keys if k in payment}, HasAccount=True, HasValidationErrors=False
    )


def paid_document_id(payment):
    """The id of the invoice or credit note a stored payment settles."""
    if payment.get("CreditNote"):
        return payment["CreditNote"]["CreditNoteID"]
    return payment["Invoice"]["InvoiceID"]


class Links:
    """Live payments and allocations by the id of each document they touch (one pass, so a
    list renders without scanning every payment per document)."""

    def __init__(self, org):
        self.by_payment = {}
        self.by_allocation = {}
        for payment in org.payments.values():
            if payment["Status"] == "AUTHORISED":
                key = paid_document_id(payment).lower()
                self.by_payment.setdefault(key, []).append(payment)
        for allocation in org.allocations.values():
            for key in (
                allocation["Invoice"]["InvoiceID"],
                allocation["CreditNote"]["CreditNoteID"],
            ):
                self.by_allocation.setdefault(key.lower(), []).append(allocation)

    def payments(self, doc_id):
        return self.by_payment.get(doc_id.lower(), [])

    def allocations(self, doc_id):
        return self.by_allocation.get(doc_id.lower(), [])
