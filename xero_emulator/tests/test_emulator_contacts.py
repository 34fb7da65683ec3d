"""Contacts through the real xero-python SDK: Xero's rules, refusals and lists."""

import datetime

import pytest
from xero_python.exceptions import NotFoundException
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

NAME_TAKEN = (
    "The contact name %s is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def create(xero, tenant, *contacts, **options):
    return xero.create_contacts(tenant, {"Contacts": list(contacts)}, **options).contacts


def refusal(exc_info):
    """Every ValidationErrors message of a 400 ValidationException."""
    data = exc_info.value.error_data
    assert data["Type"] == "ValidationException"
    assert data["ErrorNumber"] == 10
    return [m["Message"] for e in data["Elements"] for m in e["ValidationErrors"]]


def test_created_contact_reads_back_in_xero_shape(xero, tenant):
    contact = create(
        xero,
        tenant,
        {
            "Name": "Acme Ltd",
            "ContactNumber": "C-1",
            "EmailAddress": "a@acme.test",
            "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "555 1234", "PhoneAreaCode": "21"}],
            "Addresses": [
                {"AddressType": "POBOX", "AddressLine1": "PO Box 1", "City": "Wellington"}
            ],
            "IsCustomer": True,
        },
    )[0]
    assert contact.contact_status == "ACTIVE"
    assert isinstance(contact.updated_date_utc, datetime.datetime)
    assert contact.is_customer is False, "IsCustomer cannot be set by the caller"
    assert {p.phone_type for p in contact.phones} == {"DEFAULT", "DDI", "FAX", "MOBILE"}
    mobile = next(p for p in contact.phones if p.phone_type == "MOBILE")
    assert (mobile.phone_area_code, mobile.phone_number) == ("21", "555 1234")
    pobox = next(a for a in contact.addresses if a.address_type == "POBOX")
    assert pobox.city == "Wellington"
    again = xero.get_contact(tenant, contact.contact_id).contacts[0]
    assert again.name == "Acme Ltd" and again.contact_number == "C-1"


def test_contact_name_unique_among_active_contacts(xero, tenant):
    first = create(xero, tenant, {"Name": "Acme Ltd"})[0]
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "ACME LTD"})
    assert refusal(refused) == [NAME_TAKEN % "ACME LTD"]
    assert refused.value.reason == NAME_TAKEN % "ACME LTD"
    xero.update_contact(tenant, first.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    second = create(xero, tenant, {"Name": "Acme Ltd"})[0]
    assert second.contact_id != first.contact_id
    with pytest.raises(AccountingBadRequestException) as unarchive:
        xero.update_contact(tenant, first.contact_id, {"Contacts": [{"ContactStatus": "ACTIVE"}]})
    assert refusal(unarchive) == [NAME_TAKEN % "Acme Ltd"]


def test_contact_number_unique(xero, tenant):
    create(xero, tenant, {"Name": "One", "ContactNumber": "C-7"})
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "Two", "ContactNumber": "c-7"})
    assert refusal(refused) == [
        "The contact number c-7 is already assigned to another contact. "
        "The contact number must be unique across all contacts."
    ]
    assert create(xero, tenant, {"Name": "Two", "ContactNumber": "C-8"})[0].contact_number == "C-8"


@pytest.mark.parametrize(
    "field, limit",
    [("Name", 255), ("ContactNumber", 50), ("AccountNumber", 50), ("EmailAddress", 255)],
)
def test_contact_field_lengths(xero, tenant, field, limit):
    base = {"Name": "Length test"}

    def value(letter, length):  # an email must stay one valid address
        tail = "@example.com" if field == "EmailAddress" else ""
        return letter * (length - len(tail)) + tail

    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, dict(base, **{field: value("x", limit + 1)}))
    assert refusal(refused) == [
        "%s must not be more than %d characters long (it is %d)." % (field, limit, limit + 1)
    ]
    assert create(xero, tenant, dict(base, **{field: value("y", limit)}))[0].contact_id


def test_lengths_count_utf16_units_as_xero_does(xero, tenant):
    # 128 emoji outside the Basic Multilingual Plane are 256 UTF-16 units: one too many.
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "\U0001f355" * 128})
    assert refusal(refused) == ["Name must not be more than 255 characters long (it is 256)."]
    assert create(xero, tenant, {"Name": "\U0001f355" * 127})[0].contact_id


def test_phone_and_address_lengths(xero, tenant):
    contact = {
        "Name": "Phones",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneAreaCode": "12345678901"}],
        "Addresses": [{"AddressType": "STREET", "PostalCode": "p" * 51}],
    }
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, contact)
    messages = refusal(refused)
    assert any("PhoneAreaCode must not be more than 10" in m for m in messages)
    assert any("PostalCode must not be more than 50" in m for m in messages)


def test_name_is_required(xero, tenant):
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"EmailAddress": "nobody@example.test"})
    assert refusal(refused) == ["The contact name must be specified."]


def test_batch_fails_whole_without_summarize_errors(xero, tenant, control):
    create(xero, tenant, {"Name": "Taken"})
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "Fresh 1"}, {"Name": "Taken"}, {"Name": "Fresh 2"})
    elements = refused.value.error_data["Elements"]
    assert [e["Name"] for e in elements] == ["Taken"], "only the failing items are listed"
    names = [c["Name"] for c in control.state()["organisations"][0]["contacts"]]
    assert names == ["Taken"], "nothing of a refused batch is written"


def test_summarize_errors_false_answers_every_item(xero, tenant):
    create(xero, tenant, {"Name": "Taken"})
    result = create(xero, tenant, {"Name": "Fresh"}, {"Name": "Taken"}, summarize_errors=False)
    assert [c.status_attribute_string for c in result] == ["OK", "ERROR"]
    assert result[1].validation_errors[0].message == NAME_TAKEN % "Taken"
    assert result[1].has_validation_errors is True
    assert len(xero.get_contacts(tenant).contacts) == 2


def test_summarize_errors_flag_in_any_letter_case(sdk, tenant):
    sdk.accounting.create_contacts(tenant, {"Contacts": [{"Name": "Taken"}]})
    body = {"Contacts": [{"Name": "Taken"}]}
    for query in ("summarizeErrors=false", "SUMMARIZEERRORS=FALSE", "summarizeerrors=False"):
        status, _headers, answer = sdk.raw(
            "PUT", "/api.xro/2.0/Contacts", body, tenant, query=query
        )
        assert status == 200, query
        assert answer["Contacts"][0]["StatusAttributeString"] == "ERROR"
    status, _headers, _answer = sdk.raw(
        "PUT", "/api.xro/2.0/Contacts", body, tenant, query="summarizeErrors=true"
    )
    assert status == 400


def test_post_updates_by_id_or_contact_number_and_merges_phones(xero, tenant):
    contact = create(
        xero,
        tenant,
        {
            "Name": "Merge",
            "ContactNumber": "M-1",
            "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "1"}],
        },
    )[0]
    updated = xero.update_or_create_contacts(
        tenant,
        {
            "Contacts": [
                {"ContactNumber": "M-1", "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "2"}]}
            ]
        },
    ).contacts[0]
    assert updated.contact_id == contact.contact_id
    numbers = {p.phone_type: p.phone_number for p in updated.phones}
    assert numbers["MOBILE"] == "1" and numbers["DEFAULT"] == "2"
    renamed = xero.update_contact(
        tenant, contact.contact_id, {"Contacts": [{"Name": "Merged"}]}
    ).contacts[0]
    assert renamed.name == "Merged" and renamed.email_address == ""
    assert renamed.updated_date_utc >= contact.updated_date_utc


def test_unknown_contact_is_404(xero, tenant):
    with pytest.raises(NotFoundException):
        xero.get_contact(tenant, "6a0b1f9e-35a4-4c85-b0f8-4d5d3b7a0a11")


def test_default_currency_must_be_enabled(xero, tenant):
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "Euro Ltd", "DefaultCurrency": "EUR"})
    assert refusal(refused) == ["Organisation is not subscribed to currency EUR"]
    assert create(xero, tenant, {"Name": "Aussie Ltd", "DefaultCurrency": "AUD"})[0].contact_id


def test_contact_lists_where_search_archived_paging(xero, tenant, control):
    names = ["Alpha %02d" % i for i in range(5)] + ["Beta", "Gamma"]
    contacts = create(
        xero, tenant, *({"Name": n, "EmailAddress": n[:4].lower() + "@x.test"} for n in names)
    )
    xero.update_contact(
        tenant, contacts[-1].contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]}
    )
    assert len(xero.get_contacts(tenant).contacts) == 6, "archived contacts are left out by default"
    assert len(xero.get_contacts(tenant, include_archived=True).contacts) == 7
    found = xero.get_contacts(
        tenant, where='Name.StartsWith("alpha") AND EmailAddress=="alph@x.test"'
    )
    assert len(found.contacts) == 5
    assert [c.name for c in xero.get_contacts(tenant, search_term="bet").contacts] == ["Beta"]
    ids = ",".join(c.contact_id for c in contacts[:2])
    assert len(xero.get_contacts(tenant, i_ds=[ids]).contacts) == 2
    page = xero.get_contacts(tenant, page=2, page_size=4, order="Name DESC")
    assert page.pagination.page == 2 and page.pagination.page_count == 2
    assert page.pagination.item_count == 6
    assert [c.name for c in page.contacts] == ["Alpha 01", "Alpha 00"]
    before = xero.get_contacts(tenant).contacts[-1].updated_date_utc
    control.advance(120)
    xero.update_contact(
        tenant, contacts[0].contact_id, {"Contacts": [{"EmailAddress": "new@x.test"}]}
    )
    since = before + datetime.timedelta(seconds=60)
    changed = xero.get_contacts(tenant, if_modified_since=since).contacts
    assert [c.name for c in changed] == ["Alpha 00"]


def test_bad_where_is_a_query_parse_exception(sdk, tenant):
    status, _headers, body = sdk.raw(
        "GET", "/api.xro/2.0/Contacts", tenant=tenant, query="where=Name%3D%3D%22x"
    )
    assert status == 400 and body["Type"] == "QueryParseException"


def test_where_compares_strings_with_case_as_xero_does(xero, tenant):
    """Xero's `==` on strings is case-sensitive while its unique names ignore case
    (XERO_NOTES.md: pyxero#71, xero-php#416): `.ToLower()` finds both spellings; a Guid()
    matches an id whatever its case."""
    (acme,) = create(xero, tenant, {"Name": "ACME Ltd", "EmailAddress": "Ap@Acme.Example"})
    assert not xero.get_contacts(tenant, where='Name=="Acme Ltd"').contacts
    found = xero.get_contacts(tenant, where='Name.ToLower()=="acme ltd"').contacts
    assert [c.contact_id for c in found] == [acme.contact_id]
    found = xero.get_contacts(tenant, where='EmailAddress.ToLower()=="ap@acme.example"').contacts
    assert [c.contact_id for c in found] == [acme.contact_id]
    upper = str(acme.contact_id).upper()
    found = xero.get_contacts(tenant, where='ContactID==Guid("%s")' % upper).contacts
    assert [c.contact_id for c in found] == [acme.contact_id]


@pytest.mark.parametrize("email", ["not-an-email", "a@example.com, b@example.com", "a@b"])
def test_an_invalid_email_is_refused(xero, tenant, email):
    """Xero refuses an EmailAddress that is not one valid address (xeroizer#477,
    xero-php#583): nothing is saved."""
    with pytest.raises(AccountingBadRequestException) as refused:
        create(xero, tenant, {"Name": "Bad Email Ltd", "EmailAddress": email})
    assert refusal(refused) == ["Email address must be valid."]
    assert not [c for c in xero.get_contacts(tenant).contacts if c.name == "Bad Email Ltd"]
    assert create(xero, tenant, {"Name": "Good Email Ltd", "EmailAddress": "ap@good.example"})


def test_a_website_typed_without_scheme_blocks_every_update(xero, tenant, control):
    """A Website typed in Xero without http(s):// (the API cannot set one: read only): every
    update of that contact is refused, "Website must be valid." (Xero-NetStandard#434, #623);
    a contact whose Website has a scheme updates."""
    control.seed(
        {
            "organisations": [
                {
                    "tenant_id": tenant,
                    "contacts": [
                        {"Name": "Typed Ltd", "Website": "www.typed.example"},
                        {"Name": "Fine Ltd", "Website": "https://fine.example"},
                    ],
                }
            ]
        }
    )
    contacts = {c.name: c for c in xero.get_contacts(tenant).contacts}
    assert contacts["Typed Ltd"].website == "www.typed.example"
    for update in (
        lambda: xero.update_contact(
            tenant, contacts["Typed Ltd"].contact_id, {"Contacts": [{"Phones": []}]}
        ),
        lambda: xero.update_or_create_contacts(
            tenant, {"Contacts": [{"Name": "Typed Ltd", "EmailAddress": "ap@typed.example"}]}
        ),
    ):
        with pytest.raises(AccountingBadRequestException) as refused:
            update()
        assert refusal(refused) == ["Website must be valid."]
    again = xero.get_contact(tenant, contacts["Typed Ltd"].contact_id).contacts[0]
    assert not again.email_address, "nothing saved"
    sent = {"Contacts": [{"EmailAddress": "ap@fine.example", "Website": "www.ignored.example"}]}
    fine = xero.update_contact(tenant, contacts["Fine Ltd"].contact_id, sent).contacts[0]
    assert (fine.email_address, fine.website) == ("ap@fine.example", "https://fine.example")
