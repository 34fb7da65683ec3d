"""A `where` of more than 10 OR terms is refused (XERO_NOTES.md, "Where Xero is stricter";
community: xero-python#148, pyxero#373): the list parameters are the way to ask for many."""

import pytest
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

TOO_MANY = (
    "The where filter has %d OR terms: at most 10 are allowed. Use the IDs, ContactIDs or "
    "InvoiceNumbers parameters to ask for many records."
)
ID = "00000000-0000-0000-0000-%012d"


def ors(field, count):
    return " OR ".join('%s==Guid("%s")' % (field, ID % i) for i in range(count))


def refused(call):
    with pytest.raises(AccountingBadRequestException) as exc_info:
        call()
    data = exc_info.value.error_data
    assert exc_info.value.status == 400 and data["Type"] == "ValidationException"
    return data["Message"]


@pytest.mark.parametrize(
    "method, field",
    [
        ("get_contacts", "ContactID"),
        ("get_invoices", "InvoiceID"),
        ("get_credit_notes", "CreditNoteID"),
        ("get_payments", "PaymentID"),
        ("get_accounts", "AccountID"),
        ("get_tax_rates", "TaxType"),
    ],
)
def test_every_list_takes_ten_or_terms_not_eleven(xero, tenant, method, field):
    call = getattr(xero, method)
    call(tenant, where=ors(field, 10))
    assert refused(lambda: call(tenant, where=ors(field, 11))) == TOO_MANY % 11


def test_or_terms_are_counted_at_every_depth(xero, tenant):
    (acme,) = xero.create_contacts(tenant, {"Contacts": [{"Name": "Acme"}]}).contacts
    nested = '(%s) AND (%s OR Name=="Acme")' % (ors("ContactID", 6), ors("ContactID", 5))
    assert refused(lambda: xero.get_contacts(tenant, where=nested)) == TOO_MANY % 11
    fits = '(%s) OR (%s || Name=="Acme")' % (ors("ContactID", 5), ors("ContactID", 4))
    assert [c.contact_id for c in xero.get_contacts(tenant, where=fits).contacts] == [
        acme.contact_id
    ]
    quoted = 'Name=="%s"' % " OR ".join(["x"] * 20)  # an OR inside a string is no term
    assert xero.get_contacts(tenant, where=quoted).contacts == []
    ids = [ID % i for i in range(30)] + [str(acme.contact_id)]
    assert len(xero.get_contacts(tenant, i_ds=ids).contacts) == 1, "IDs has no such limit"
