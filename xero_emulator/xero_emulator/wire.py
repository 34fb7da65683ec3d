"""Xero's wire format: dates, money, query flags, and the shapes of Xero's answers.

Everything here is pure: no state, no I/O. Responses are plain `Response` values that the HTTP
layer writes out.
"""

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

MS_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
CENT = Decimal("0.01")


# -- dates -------------------------------------------------------------------------------------


def ms_date(epoch_seconds):
    """`/Date(ms+0000)/`, the way Xero writes every date and timestamp."""
    return "/Date(%d+0000)/" % int(round(epoch_seconds * 1000))


def day_ms_date(day):
    """A calendar day as Xero writes it: midnight UTC in `/Date(ms+0000)/`."""
    return ms_date(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def day_string(day):
    """The companion `DateString` Xero sends next to a date: `2026-03-01T00:00:00`."""
    return "%04d-%02d-%02dT00:00:00" % (day.year, day.month, day.day)


def parse_datetime(value):
    """Parse what clients send for a date or time; an aware UTC datetime, or None.

    Accepts `/Date(ms)/` and `/Date(ms+hhmm)/`, ISO dates and datetimes (naive means UTC, as
    xero-python sends `If-Modified-Since`), and RFC 1123 HTTP dates.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = MS_DATE_RE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_day(value):
    """A calendar day (`date`) from any accepted date form, or None."""
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def ms_of(value):
    """Epoch milliseconds of a stored `/Date(...)/` value (0 when absent), for ordering."""
    parsed = parse_datetime(value)
    return int(parsed.timestamp() * 1000) if parsed else 0


def iso_utc(epoch_seconds):
    """ISO 8601 with 7 fraction digits, as the identity API writes `createdDateUtc`."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


# -- money -------------------------------------------------------------------------------------


def to_decimal(value):
    """A Decimal from a JSON number (or numeric string); ValueError for anything else."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number: %r" % (value,))
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("not a number: %r" % (value,)) from exc


def quantize(value, places=2):
    """Round half away from zero to `places` decimals, as Xero rounds money."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return None
    raise TypeError("not JSON serialisable: %r" % type(value))


def dumps(obj):
    """JSON bytes; Decimals become JSON numbers."""
    return json.dumps(obj, default=_json_default).encode("utf-8")


def loads(data):
    """Parse a JSON request body keeping numbers exact (floats become Decimal)."""
    return json.loads(
        data.decode("utf-8") if isinstance(data, bytes) else data, parse_float=Decimal
    )


# -- query string ------------------------------------------------------------------------------


class Query:
    """Query parameters with case-insensitive names (Xero ignores the case of names)."""

    def __init__(self, query_string=""):
        self.raw = query_string or ""
        self._pairs = parse_qsl(self.raw, keep_blank_values=True)

    def get(self, name, default=None):
        """Last value of `name` (any letter case), or `default`."""
        wanted = name.lower()
        found = default
        for key, value in self._pairs:
            if key.lower() == wanted:
                found = value
        return found

    def flag(self, name, default=None):
        """A boolean flag sent as true/True/TRUE/1 or false/False/0."""
        value = self.get(name)
        if value is None or value == "":
            return default
        return value.strip().lower() in ("true", "1", "yes")

    def csv(self, name):
        """A comma-separated list parameter (`IDs=a,b`), or [] when absent."""
        values = []
        wanted = name.lower()
        for key, value in self._pairs:
            if key.lower() == wanted:
                values.extend(part.strip() for part in value.split(",") if part.strip())
        return values

    def to_dict(self):
        """The parameters as a plain dict (last value wins), for the request log."""
        return dict(self._pairs)


# -- responses ---------------------------------------------------------------------------------


@dataclass
class Response:
    """One HTTP answer: status, body bytes and headers."""

    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


def json_response(status, obj, headers=None):
    """A JSON answer."""
    return Response(status, dumps(obj), dict(headers or {}))


def text_response(status, text, headers=None):
    """A plain-text answer."""
    return Response(status, text.encode("utf-8"), dict(headers or {}), "text/plain; charset=utf-8")


def envelope(key, items, extra=None):
    """Xero's list envelope: `{"Id", "Status": "OK", "ProviderName", "DateTimeUTC", key: [...]}`."""
    body = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "Xero Emulator",
        "DateTimeUTC": "/Date(%d)/" % int(time.time() * 1000),
    }
    body.update(extra or {})
    body[key] = items
    return body


def validation_exception(elements, message="A validation exception occurred"):
    """400 `ValidationException` with `Elements[].ValidationErrors`, Xero's shape."""
    return json_response(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": message,
            "Elements": elements,
        },
    )


def post_data_invalid(message):
    """400 `PostDataInvalidException`: the body could not be read as the documented object."""
    return json_response(
        400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}
    )


def query_parse_error(message):
    """400 `QueryParseException`: a `where` or `order` that cannot be parsed."""
    return json_response(
        400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}
    )


def not_found():
    """404 as Xero sends it: plain text."""
    return text_response(404, "The resource you're looking for cannot be found")


def problem(status, title, detail):
    """The identity layer's problem shape used for 401 and 403."""
    return json_response(
        status,
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
    )


def unauthorized(detail="AuthenticationUnsuccessful"):
    """401: missing, unknown, revoked or expired bearer token."""
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def forbidden():
    """403: the tenant is unknown or not connected to this token."""
    return problem(403, "Forbidden", "AuthenticationUnsuccessful")


def messages(errors):
    """`ValidationErrors` list from plain message strings."""
    return [{"Message": text} for text in errors]


@dataclass
class Request:
    """One HTTP request as the handlers see it."""

    method: str
    path: str  # as sent, without the query string
    segments: list  # path segments, percent-decoded
    query: Query
    headers: object  # case-insensitive mapping (http.client.HTTPMessage)
    body: bytes = b""
    base_url: str = ""  # scheme://host:port the client used
