"""The answers injected faults give, and Xero's 500."""

import time

from .wire import Response, dumps, json_response, loads, text_response

SERVER_ERROR_DETAIL = (
    "An error occurred in Xero. Check the API Status page "
    "http://status.developer.xero.com for current service status."
)
#: Envelope keys whose items carry `Warnings` (xero-python's Invoice, CreditNote, Payment).
WARNED_KEYS = ("Invoices", "CreditNotes", "Payments")


def server_error(detail=SERVER_ERROR_DETAIL):
    """Xero's 500 (JSON)."""
    return json_response(500, {"Title": "An error occurred", "Detail": detail, "Status": 500})


def early_answer(fault):
    """The answer a fault gives before the call is processed (None: process it).

    `429` and `503` are answered before the Idempotency-Key is looked at (nothing remembered);
    `delay` sleeps, then the call goes on; `500` here is the answer of a call without a key
    (a keyed write's 500 goes through the key, see `app.Emulator._idempotent`).
    """
    if fault is None:
        return None
    kind = fault["kind"]
    if kind == "delay":
        time.sleep(fault["delay"])
        return None
    if kind == "429":
        headers = {"X-Rate-Limit-Problem": fault["problem"]}
        if fault["problem"] != "concurrent":
            headers["Retry-After"] = str(fault["retry_after"])
        return text_response(429, "Rate limit exceeded", headers)
    if kind in ("500", "idempotency_down"):
        return server_error()
    if kind == "503":
        return text_response(
            503, "The Xero API is temporarily unavailable. Please try again later."
        )
    return None


def with_warning(response, message):
    """`response` with `{"Message": message}` added to every item's `Warnings` (an item OK
    becomes WARNING); answers other than 200 are left alone."""
    if response.status != 200:
        return response
    try:
        data = loads(response.body)
    except ValueError:
        return response
    if not isinstance(data, dict):
        return response
    for key in WARNED_KEYS:
        for item in data.get(key) or []:
            if isinstance(item, dict):
                item["Warnings"] = list(item.get("Warnings") or []) + [{"Message": message}]
                if item.get("StatusAttributeString") == "OK":
                    item["StatusAttributeString"] = "WARNING"
    return Response(200, dumps(data), dict(response.headers), response.content_type)


def copy_response(response):
    """A copy that a later change to `response.headers` does not reach."""
    return Response(response.status, response.body, dict(response.headers), response.content_type)
