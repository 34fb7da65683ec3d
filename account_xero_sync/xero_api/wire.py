"""Wire-format helpers shared by ``payloads`` and ``phones``: clean text and cut it to Xero's
limits, dates as ``"YYYY-MM-DD"`` and from Xero's ``/Date(...)/``, money rounded as Xero keeps it.

Xero counts a string's length in UTF-16 code units (it is a .NET service): an emoji outside the
Basic Multilingual Plane counts twice. Limits here are measured the same way, so a cut string fits
both Xero and the OpenAPI ``maxLength`` (which counts code points, never more than UTF-16 units).
"""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .texts import _lt

_MS_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
# Line and paragraph separators become newlines; other control characters are dropped.
# Format characters (zero-width spaces and joiners, marks of direction, byte-order marks) and
# separators: a text made of these alone shows nothing, and counts as empty.
_INVISIBLE = ("Cf", "Zs", "Zl", "Zp")
_NEWLINES = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}


class PayloadError(ValueError):
    """A record that Xero cannot take as it is; the message says what to fix.

    Defined here so the helpers below can raise it; import it from ``payloads``.
    """

    def __str__(self):
        # The message itself, still translatable when it is a ``texts.XeroText``.
        return (
            self.args[0]
            if len(self.args) == 1 and isinstance(self.args[0], str)
            else super().__str__()
        )


def utf16_len(text):
    """Length of ``text`` as Xero counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(value, multiline=False):
    """Return ``value`` as a stripped string without control characters, or None when empty.

    Odoo's ``False`` and ``None`` mean missing. Control whitespace (tabs, and newlines unless
    ``multiline``) becomes a space; other control characters and lone surrogates are dropped.
    Letters with accents, emoji and joiners (format characters) are kept: Xero accepts Unicode.
    A text of format characters and spaces alone (e.g. zero-width spaces) is empty: None.
    """
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else str(value)
    for old, new in _NEWLINES.items():
        text = text.replace(old, new)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\n" and multiline:
            kept.append(char)
        elif category == "Cc" and char.isspace():  # tab, newline, vertical tab...
            kept.append(" ")
        elif category not in ("Cc", "Cs"):
            kept.append(char)
    text = "".join(kept)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = text.strip()
    if not any(unicodedata.category(char) not in _INVISIBLE for char in text):
        return None  # only joiners, zero-width spaces or byte-order marks: nothing to read
    return text


def cut(text, limit, label, warnings):
    """Return ``text`` cut to ``limit`` UTF-16 units; note the cut in ``warnings``.

    Never splits a surrogate pair. ``label`` names the field in the warning, e.g. ``"Name"``.
    """
    if text is None or utf16_len(text) <= limit:
        return text
    units = 0
    result = text
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            result = text[:index].rstrip()
            break
    warnings.append(
        _lt(
            "%(field)s was cut to %(limit)s characters (Xero's maximum); it was %(length)s long.",
            field=label,
            limit=limit,
            length=utf16_len(text),
        )
    )
    return result


def clean_cut(value, limit, label, warnings, multiline=False):
    """``clean`` then ``cut``: the usual treatment of a text field."""
    return cut(clean(value, multiline=multiline), limit, label, warnings)


def parse_xero_date(value, as_date=False):
    """Read a date from a Xero answer.

    ``"/Date(1772323200000+0000)/"`` and ISO date-times give an aware UTC ``datetime``; ISO dates
    (``"2026-03-01"``) give a ``date``; ``as_date=True`` always gives the (UTC) ``date``. Dates
    and datetimes pass through; None or ``""`` give None.

    :raises ValueError: an unreadable value.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        result = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        result = result.astimezone(datetime.timezone.utc)
    elif isinstance(value, datetime.date):
        return value
    else:
        text = str(value).strip()
        match = _MS_DATE_RE.match(text)
        if match:
            seconds = int(match.group(1)) / 1000
            result = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.date.fromisoformat(text)
        else:
            try:
                result = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("Not a Xero date: %r" % value) from None
            return parse_xero_date(result, as_date)
    return result.date() if as_date else result


def xero_day(value):
    """A Xero date (``date``, ``datetime`` or ``/Date(...)/``) as a ``date``, or None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return parse_xero_date(value, as_date=True) if value else None


def date_text(value, what, required=False):
    """``"YYYY-MM-DD"`` from a date, datetime or ISO string; None when missing and optional."""
    if value is None or value is False or value == "":
        if required:
            raise PayloadError(_lt("%s is missing.", what))
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise PayloadError(
            _lt("%(what)s %(value)r is not a date.", what=what, value=value)
        ) from None


def rounded(value, places, what, warnings=None):
    """``value`` (Decimal, float, int or numeric string) rounded half-up to ``places``, as float.

    With ``warnings``, a rounding that changes the value by more than float noise is noted.
    """
    if value is None or value is False or isinstance(value, bool):
        raise PayloadError(_lt("%s is missing.", what))
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        result = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if not result.is_finite():
            raise InvalidOperation
    except InvalidOperation:  # not a number, NaN, infinity, or too large
        raise PayloadError(
            _lt("%(what)s %(value)r is not a usable number.", what=what, value=value)
        ) from None
    if warnings is not None and abs(result - number) > Decimal("1e-9"):
        warnings.append(
            _lt(
                "%(what)s %(number)s was rounded to %(result)s (Xero keeps %(places)s decimals).",
                what=what,
                number=number,
                result=result,
                places=places,
            )
        )
    return float(result) + 0.0  # + 0.0 turns -0.0 into 0.0


#: Xero answers 404 to a request whose query string is longer than about 2 KB
#: (XeroAPI/Xero-NetStandard#471, xero-node#404): filters are split to stay below this.
MAX_QUERY = 1500


def guid_where(field, ids):
    """A Xero ``where`` clause matching any of ``ids`` on the Guid field ``field``."""
    return " OR ".join('%s==Guid("%s")' % (field, xero_id) for xero_id in ids)


#: Most ``OR`` terms in one ``where``: longer chains are slow on large organisations and can
#: be refused (XERO_NOTES.md, "Where Xero is stricter").
MAX_OR_TERMS = 10


def where_string(value):
    """``value`` as a quoted string literal of a Xero ``where`` clause (quotes, backslashes
    escaped)."""
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def where_any(items, render):
    """``where`` clauses matching any of ``items`` (``render(item)`` is one comparison), each
    of at most ``MAX_OR_TERMS`` terms and under the query-length limit."""
    for chunk in chunk_by_length(items, render):
        for start in range(0, len(chunk), MAX_OR_TERMS):
            yield " OR ".join(render(item) for item in chunk[start : start + MAX_OR_TERMS])


def chunk_by_length(items, render, limit=MAX_QUERY, separator_len=4):
    """Split ``items`` into lists whose rendered, URL-encoded length stays under ``limit``.

    ``render(item)`` gives the item's text in the query (e.g. ``Name=="A"`` or a GUID);
    ``separator_len`` is the encoded length of what joins two items (`` OR `` = 4 as ``+OR+``,
    a comma = 3 as ``%2C``). An item longer than ``limit`` on its own is a list of its own.
    """
    from urllib.parse import quote_plus

    chunk, size = [], 0
    for item in items:
        length = len(quote_plus(render(item)))
        if chunk and size + separator_len + length > limit:
            yield chunk
            chunk, size = [], 0
        size += (separator_len if chunk else 0) + length
        chunk.append(item)
    if chunk:
        yield chunk
