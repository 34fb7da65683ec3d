"""Phone numbers for Xero: one written number split into country code, area code and number.

Xero stores a phone as ``PhoneCountryCode`` / ``PhoneAreaCode`` / ``PhoneNumber``. The split uses
``phonenumbers``' own metadata, so the national prefix (the ``0`` of ``09 ...``) never lands in
the area code. A number that cannot be read is sent whole as ``PhoneNumber``: never dropped.
"""

import re

import phonenumbers
from phonenumbers import PhoneMetadata

from .texts import _lt
from .wire import clean, cut

COUNTRY_CODE_MAX = 20
AREA_CODE_MAX = 10
NUMBER_MAX = 50


def split_phone(number, default_region=None, phone_type="DEFAULT"):
    """Split a written phone number into a Xero ``Phone`` dict.

    :param number: the number as written (``"09 123 4567"``, ``"+1 415-555-2671"``), or None.
    :param default_region: ISO country code of the partner (``"NZ"``), used for numbers written
        without ``+``; None: only international (``+...``) numbers can be split.
    :param phone_type: Xero ``PhoneType``: DEFAULT, DDI, MOBILE, FAX or OFFICE.
    :return: ``(phone, warnings)``: ``phone`` is None for a blank number, else
        ``{"PhoneType", "PhoneCountryCode", "PhoneAreaCode", "PhoneNumber"}`` (codes are ``""``
        when unknown, so an update also clears stale codes in Xero); ``warnings`` is a list of
        plain English sentences.
    """
    warnings = []
    text = clean(number)
    if text is None:
        return None, warnings
    region = (clean(default_region) or "").upper() or None
    parsed = _parse(text, region)
    if parsed is None:
        warnings.append(
            _lt(
                'Phone number "%s" could not be read as a phone number; it is sent as written.',
                text if len(text) <= 60 else text[:57] + "...",
            )
        )
        country, area, rest = "", "", text
    else:
        country = str(parsed.country_code)
        area, rest = _split_national_number(parsed, text)
        if parsed.extension:
            rest = "%s ext. %s" % (rest, parsed.extension)
    phone = {
        "PhoneType": phone_type,
        "PhoneCountryCode": cut(country, COUNTRY_CODE_MAX, _lt("Phone country code"), warnings),
        "PhoneAreaCode": cut(area, AREA_CODE_MAX, _lt("Phone area code"), warnings),
        "PhoneNumber": cut(rest, NUMBER_MAX, _lt("Phone number"), warnings),
    }
    return phone, warnings


def _parse(text, region):
    """Parsed number when it is valid or at least possible, else None."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(parsed) or phonenumbers.is_possible_number(parsed):
        return parsed
    return None


def _split_national_number(parsed, text):
    """``(area_code, subscriber_number)`` of a parsed number; the area code may be ``""``."""
    nsn = phonenumbers.national_significant_number(parsed)
    if phonenumbers.is_valid_number(parsed):
        length = phonenumbers.length_of_geographical_area_code(parsed)
        number_type = phonenumbers.number_type(parsed)
        if not length and not phonenumbers.is_number_type_geographical(
            number_type, parsed.country_code
        ):
            # Mobiles and non-geographic numbers (0800, 1300): their prefix is the NDC.
            length = phonenumbers.length_of_national_destination_code(parsed)
    else:
        # Possible but not (yet) allocated, e.g. NZ "09 123 4567": the metadata's formats may
        # still group it; otherwise trust the grouping the writer used.
        length = phonenumbers.length_of_national_destination_code(parsed)
        length = length or _written_area_code_length(parsed, nsn, text)
    if 0 < length < len(nsn):
        return nsn[:length], nsn[length:]
    return "", nsn


def _written_area_code_length(parsed, nsn, text):
    """Length of the area code as the writer grouped the digits, or 0 when unclear.

    The first group counts as an area code when it was written with the national prefix
    (``09 1234567``) or in parentheses, or when at least three groups follow the country code.
    """
    groups = re.findall(r"\d+", text)
    if parsed.extension and groups and groups[-1] == parsed.extension:
        groups.pop()
    if not groups:
        return 0
    country = str(parsed.country_code)
    written_with_country = text.lstrip().startswith("+")
    if written_with_country:
        if not groups[0].startswith(country):
            return 0
        groups[0] = groups[0][len(country) :]
        groups = [group for group in groups if group]
    region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        metadata = PhoneMetadata.metadata_for_nongeo_region(parsed.country_code, None)
    else:
        metadata = PhoneMetadata.metadata_for_region(region, None)
    prefix = (metadata.national_prefix or "") if metadata else ""
    with_prefix = False
    if groups and prefix and groups[0].startswith(prefix) and "".join(groups) == prefix + nsn:
        groups[0] = groups[0][len(prefix) :]
        groups = [group for group in groups if group]  # "+64 (0)9 ..." leaves an empty group
        with_prefix = True
    in_parentheses = text.lstrip().startswith("(")
    if len(groups) < 2 or "".join(groups) != nsn or not groups[0]:
        return 0
    if not (len(groups) >= 3 or with_prefix or in_parentheses):
        return 0
    area = len(groups[0])
    return area if area <= 5 and len(nsn) - area >= 4 else 0
