"""Typed errors of the Xero gateway.

Every message is safe to show to a user and to write to a log: it goes through :func:`mask`,
so no bearer token, refresh token or client secret can leak through an error text.
"""

import json
import re
from datetime import datetime, timezone

from .texts import XeroText, _lt, join_texts

_MASK = "***"
_SECRET_PATTERNS = (
    # Authorization headers: "Bearer <token>", "Basic <base64>".
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"), r"\1 " + _MASK),
    (re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]{16,}=*"), r"\1 " + _MASK),
    # JSON web tokens (Xero access and id tokens are JWTs).
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), _MASK),
    # key=value / "key": "value" pairs of OAuth2 requests and answers.
    (
        re.compile(
            r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|client_secret|"
            r"client_assertion|password|token)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\"'&\s,;}]+"
        ),
        r"\1" + _MASK,
    ),
    # The authorization code in a callback or token request.
    (re.compile(r"(?i)\b(code=)[^&\s\"']+"), r"\1" + _MASK),
    # Any other long opaque string (refresh tokens are 64 hex characters). UUIDs (36) stay.
    (re.compile(r"\b[A-Za-z0-9_\-]{40,}\b"), _MASK),
)


def mask(text, secrets=()):
    """Return ``text`` with anything looking like a token or secret replaced by ``***``.

    :param text: any value; it is turned into a string first (``None`` gives ``""``).
    :param secrets: exact strings to hide as well (the client secret, the current token).
    """
    if text is None:
        return ""
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, _MASK)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _one_line(text, limit=500):
    """``text`` on one line, cut to ``limit``; a message that needs neither stays translatable
    (``texts.XeroText``)."""
    line = " ".join(str(text).split())
    if isinstance(text, XeroText) and line == text:
        return text
    return line if len(line) <= limit else line[: limit - 1] + "…"


class XeroError(Exception):
    """Base of every error raised by the Xero layer.

    Attributes: ``status`` (HTTP status or ``None``), ``code`` (Xero's error type, e.g.
    ``ValidationException``, or the OAuth2 ``error`` value), ``message`` (masked text).
    """

    default_message = _lt("Xero returned an error.")

    def __init__(self, message=None, *, status=None, code=None):
        message = message or self.default_message
        masked = mask(message)
        # A message of this layer that holds no secret stays translatable (``texts``).
        self.message = _one_line(message if masked == message else masked)
        self.status = status
        self.code = code
        super().__init__(self.message)

    def user_message(self):
        """One readable line for a user (chatter, task log, UserError)."""
        return self.message


#: Fields that identify an element of a ValidationException (see XeroValidationError.items).
_REF_FIELDS = (
    "ContactID",
    "ContactNumber",
    "Name",
    "InvoiceID",
    "InvoiceNumber",
    "CreditNoteID",
    "CreditNoteNumber",
    "PaymentID",
    "Reference",
)


class XeroValidationError(XeroError):
    """Xero refused the request's data (HTTP 400).

    ``items`` lists the rejected elements: ``[{"index": i, "messages": [...], "ref": {...}}]``.
    ``i`` is the position in Xero's ``Elements``, which holds only the FAILING items of the batch
    (in batch order), so it is not the batch position; ``ref`` holds the element's identifying
    fields (``Name``, ``InvoiceNumber``, ``ContactID``, ...) to match it with what was sent. For
    per-item outcomes in batch order, call with ``summarize_errors=False`` instead (200, each item
    with ``StatusAttributeString`` and ``ValidationErrors``).
    """

    default_message = _lt("Xero rejected the data.")

    def __init__(self, message=None, *, items=(), status=400, code=None):
        self.items = [
            {
                "index": item["index"],
                "messages": [mask(m) for m in item["messages"]],
                "ref": dict(item.get("ref") or {}),
            }
            for item in items
        ]
        super().__init__(message, status=status, code=code)

    def user_message(self):
        """One line: the item messages when Xero gave some, else Xero's message."""
        if not self.items:
            return self.message
        if len(self.items) == 1:
            return _one_line("; ".join(self.items[0]["messages"]))
        parts = [
            _lt(
                "item %(n)s: %(messages)s",
                n=item["index"] + 1,
                messages="; ".join(item["messages"]),
            )
            for item in self.items
        ]
        return _one_line(
            _lt(
                "Xero rejected %(n)s items: %(items)s",
                n=len(self.items),
                items=join_texts(" | ", parts),
            )
        )

    @classmethod
    def from_body(cls, body, status=400):
        """Build the error from a 400 response body (bytes, str or parsed JSON)."""
        data = body
        if isinstance(body, (bytes, bytearray)):
            body = body.decode("utf-8", "replace")
        if isinstance(body, str):
            try:
                data = json.loads(body)
            except ValueError:
                return cls(body.strip() or None, status=status)
        if not isinstance(data, dict):
            return cls(status=status)
        items = []
        for index, element in enumerate(data.get("Elements") or []):
            messages = [
                err.get("Message")
                for err in (element or {}).get("ValidationErrors") or []
                if isinstance(err, dict) and err.get("Message")
            ]
            if messages:
                ref = {k: element[k] for k in _REF_FIELDS if element.get(k) not in (None, "")}
                items.append({"index": index, "messages": messages, "ref": ref})
        message = data.get("Message") or data.get("Detail") or data.get("Title")
        if items and (not message or message == "A validation exception occurred"):
            message = "; ".join(items[0]["messages"])
            if len(items) > 1:
                message = "%s (and %d more items)" % (message, len(items) - 1)
        return cls(message, items=items, status=status, code=data.get("Type"))


class XeroNotFound(XeroError):
    """The object does not exist in Xero (HTTP 404), e.g. deleted there."""

    default_message = _lt("Xero could not find this record (it may have been deleted in Xero).")

    def __init__(self, message=None, *, status=404, code=None):
        super().__init__(message, status=status, code=code)


class XeroRateLimited(XeroError):
    """A Xero call limit is reached for longer than the caller should block.

    ``until``: epoch seconds when calls may start again; ``problem``: ``minute``, ``day``,
    ``concurrent`` or ``appminute`` (Xero's ``X-Rate-Limit-Problem``).
    """

    def __init__(self, message=None, *, until, problem=None, status=429):
        self.until = float(until)
        self.problem = problem or "day"
        if not message:
            if self.problem == "day":
                message = _lt(
                    "Xero's daily call limit is reached; calls resume after %s.", self.until_text()
                )
            else:
                message = _lt(
                    "Xero's per-%(problem)s call limit is reached; calls resume after %(at)s.",
                    problem=self.problem,
                    at=self.until_text(),
                )
        super().__init__(message, status=status, code="RateLimit")

    def until_text(self):
        """``until`` as ``YYYY-MM-DD HH:MM UTC``."""
        when = datetime.fromtimestamp(self.until, tz=timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M UTC")


#: OAuth2 errors of the token endpoint that mean the client id or secret is wrong.
CREDENTIAL_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


class XeroAuthError(XeroError):
    """Xero refused the credentials (HTTP 401/403, or an OAuth2 error on the token endpoint).

    ``needs_reauth`` is true when no retry can help: the refresh token is dead
    (``invalid_grant``), the client id/secret are refused, or no fresh token could be had;
    a user must reconnect the organisation (or fix the app's credentials).
    """

    default_message = _lt("Xero refused the connection's credentials.")

    def __init__(self, message=None, *, needs_reauth=False, status=None, code=None):
        self.needs_reauth = bool(needs_reauth)
        super().__init__(message, status=status, code=code)

    @property
    def bad_credentials(self):
        """Xero refused the app's client id or secret: reconnecting cannot help, only
        correcting them can (custom connections have nothing to authorise)."""
        return self.code in CREDENTIAL_ERRORS

    def user_message(self):
        """One line, telling the user what fixes it: correct the client id or secret, or
        reconnect the organisation."""
        if self.bad_credentials:
            return _one_line(
                _lt(
                    "Xero refused the client id or secret (%s): correct them on the connection.",
                    self.code,
                )
            )
        if self.needs_reauth:
            return _one_line(
                _lt(
                    "The connection to Xero must be authorised again (%s).",
                    self.message.rstrip("."),
                )
            )
        return self.message


class XeroTransientError(XeroError):
    """Xero could not be reached or failed (5xx, timeout, dropped connection).

    ``unsure``: a write whose answer was a 5xx or was lost; Xero may hold it, and keeps the
    answer under its ``Idempotency-Key`` (a 5xx included): re-read what Xero holds, then send
    what is missing under a new key.
    """

    default_message = _lt("Xero could not be reached; try again later.")
    unsure = False
