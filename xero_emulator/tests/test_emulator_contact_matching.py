"""How Xero finds the contact a write means (XERO_NOTES.md, "Where Xero is stricter"):
POST matches by ContactID, ContactNumber, then Name and updates; PUT only creates; an
AccountNumber belongs to one contact."""

import pytest
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

NAME_TAKEN = (
    "The contact name %s is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
ACCOUNT_NUMBER_TAKEN = "The Account Number already exists. Please enter a different Account Number."


def create(xero, tenant, *contacts, **options):
    return xero.create_contacts(tenant, {"Contacts": list(contacts)}, **options).contacts


def refusal(exc_info):
    """Every ValidationErrors message of a 400 ValidationException."""
    data = exc_info.value.error_data
    assert data["Type"] == "ValidationException"
    return [m["Message"] for e in data["Elements"] for m in e["ValidationErrors"]]


def post(xero, tenant, *contacts, **options):
    return xero.update_or_create_contacts(tenant, {"Contacts": list(contacts)}, **options).contacts


def test_post_without_id_updates_the_active_contact_of_that_name(xero, tenant):
    (acme,) = create(xero, tenant, {"Name": "Acme Ltd", "EmailAddress": "old@acme.test"})
    (updated,) = post(xero, tenant, {"Name": "  acme LTD ", "EmailAddress": "new@acme.test"})
    assert updated.contact_id == acme.contact_id, "matched by name, not created"
    assert (updated.name, updated.email_address) == ("acme LTD", "new@acme.test")
    assert len(xero.get_contacts(tenant, include_archived=True).contacts) == 1
    (old,) = create(xero, tenant, {"Name": "Old Co"})
    xero.update_contact(tenant, old.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    (fresh,) = post(xero, tenant, {"Name": "Old Co"})
    assert fresh.contact_id != old.contact_id, "an archived contact is not matched by name"
    assert len(xero.get_contacts(tenant, include_archived=True).contacts) == 3


def test_post_matches_contact_number_before_name(xero, tenant):
    (first,) = create(xero, tenant, {"Name": "First", "ContactNumber": "N-1"})
    create(xero, tenant, {"Name": "Second"})
    (renamed,) = post(xero, tenant, {"ContactNumber": "N-1", "Name": "First Renamed"})
    assert renamed.contact_id == first.contact_id
    with pytest.raises(AccountingBadRequestException) as refused:
        post(xero, tenant, {"ContactNumber": "N-1", "Name": "Second"})
    assert refusal(refused) == [NAME_TAKEN % "Second"], "N-1 is updated, so its name clashes"
    (by_name,) = post(xero, tenant, {"ContactNumber": "N-2", "Name": "second"})
    assert by_name.contact_number == "N-2" and by_name.contact_id != first.contact_id
    assert len(xero.get_contacts(tenant).contacts) == 2


def test_put_only_creates(xero, tenant):
    (acme,) = create(xero, tenant, {"Name": "Acme Ltd"})
    with pytest.raises(AccountingBadRequestException) as taken:
        create(xero, tenant, {"Name": " ACME ltd"})
    assert refusal(taken) == [NAME_TAKEN % "ACME ltd"]
    with pytest.raises(AccountingBadRequestException) as existing:
        create(xero, tenant, {"ContactID": acme.contact_id, "Name": "Acme Renamed"})
    assert refusal(existing) == [
        "The contact %s exists already: PUT /Contacts only creates contacts; update it with POST."
        % acme.contact_id
    ]
    with pytest.raises(AccountingBadRequestException) as unknown:
        create(xero, tenant, {"ContactID": "6a0b1f9e-35a4-4c85-b0f8-4d5d3b7a0a11", "Name": "X"})
    assert refusal(unknown) == [
        "The contact with the specified contact details could not be found."
    ]
    assert [c.name for c in xero.get_contacts(tenant).contacts] == ["Acme Ltd"]


def test_account_number_unique_among_all_contacts(xero, tenant):
    (one,) = create(xero, tenant, {"Name": "One", "AccountNumber": "R-1"})
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "Two", "AccountNumber": " r-1 "})
    assert refusal(refused) == [ACCOUNT_NUMBER_TAKEN]
    ok, bad = create(
        xero,
        tenant,
        {"Name": "Two", "AccountNumber": "R-2"},
        {"Name": "Three", "AccountNumber": "R-1"},
        summarize_errors=False,
    )
    assert (ok.status_attribute_string, bad.status_attribute_string) == ("OK", "ERROR")
    assert [e.message for e in bad.validation_errors] == [ACCOUNT_NUMBER_TAKEN]
    (moved,) = post(
        xero, tenant, {"ContactID": ok.contact_id, "AccountNumber": "R-1"}, summarize_errors=False
    )
    assert moved.status_attribute_string == "ERROR"
    assert [e.message for e in moved.validation_errors] == [ACCOUNT_NUMBER_TAKEN]
    (same,) = xero.update_contact(
        tenant, one.contact_id, {"Contacts": [{"AccountNumber": "R-1", "EmailAddress": "o@x.t"}]}
    ).contacts
    assert same.account_number == "R-1", "a contact keeps its own AccountNumber"
    xero.update_contact(tenant, one.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    with pytest.raises(AccountingBadRequestException) as archived:
        create(xero, tenant, {"Name": "Four", "AccountNumber": "R-1"})
    assert refusal(archived) == [ACCOUNT_NUMBER_TAKEN], "archived contacts keep theirs"
    numbers = {c.name: c.account_number for c in xero.get_contacts(tenant).contacts}
    assert numbers == {"Two": "R-2"}
