"""What settles a document: live payments by the id of the document they pay, and how Xero
lists a payment inside a document."""


def payment_summary(payment):
    """A payment as Xero lists it inside an invoice or credit note."""
    keys = ("PaymentID", "Date", "Amount", "Reference", "CurrencyRate")
    return dict(
        {k: payment[k] for k in keys if k in payment}, HasAccount=True, HasValidationErrors=False
    )


def paid_document_id(payment):
    """The id of the invoice a stored payment settles."""
    return payment["Invoice"]["InvoiceID"]


class Links:
    """Live payments by the id of the document they pay (one pass, so a list renders without
    scanning every payment per document)."""

    def __init__(self, org):
        self.by_payment = {}
        for payment in org.payments.values():
            if payment["Status"] == "AUTHORISED":
                key = paid_document_id(payment).lower()
                self.by_payment.setdefault(key, []).append(payment)

    def payments(self, doc_id):
        return self.by_payment.get(doc_id.lower(), [])
