"""If-Modified-Since is read to the second, in UTC (XERO_NOTES.md: `yyyy-mm-ddThh:mm:ss`):
fractions of a second are dropped, a time without a zone is UTC."""

import datetime
import math

UTC = datetime.timezone.utc


def test_if_modified_since_is_read_to_the_second(sdk, xero, tenant, control):
    second = math.floor(control.now()) + 10
    control.set_clock(second + 0.6)  # the contact is updated at hh:mm:ss.600
    (contact,) = xero.create_contacts(tenant, {"Contacts": [{"Name": "Acme"}]}).contacts
    assert contact.updated_date_utc.microsecond == 600000
    at = datetime.datetime.fromtimestamp(second, tz=UTC).replace(tzinfo=None)  # naive = UTC

    def changed(since):
        return [c.name for c in xero.get_contacts(tenant, if_modified_since=since).contacts]

    assert changed(at) == ["Acme"]
    assert changed(at.replace(microsecond=999000)) == ["Acme"], ".999 is read as :00"
    assert changed(at + datetime.timedelta(seconds=1)) == []
    aware = at.replace(microsecond=999000, tzinfo=UTC)
    assert changed(aware) == ["Acme"]
    plus_one = aware.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    assert changed(plus_one) == ["Acme"], "a zone given is honoured"
    for header in (
        at.strftime("%Y-%m-%dT%H:%M:%S.999"),
        at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "/Date(%d+0000)/" % (second * 1000 + 999),
    ):
        status, _headers, body = sdk.raw(
            "GET", "/api.xro/2.0/Contacts", tenant=tenant, headers={"If-Modified-Since": header}
        )
        assert status == 200 and [c["Name"] for c in body["Contacts"]] == ["Acme"], header
