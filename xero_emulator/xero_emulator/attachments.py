"""Attachments on invoices: `/Invoices/{id}/Attachments[/{FileName}]`.

PUT and POST by file name both store the raw body; a file of the same name is replaced. An
invoice takes at most 10 attachments, each at most 10 MB.
"""

import mimetypes
import uuid
from urllib.parse import quote

from .invoices import find_invoice
from .wire import (
    Response,
    envelope,
    json_response,
    messages,
    not_found,
    text_response,
    validation_exception,
)

MAX_ATTACHMENTS = 10
MAX_BYTES = 10 * 1024 * 1024
MSG_TOO_MANY = "The maximum number of attachments (10) has been reached for this document."


def attachment_routes(org, request, invoice_ref, rest):
    """Answer an attachment call for the invoice `invoice_ref` (id or number)."""
    invoice = find_invoice(org, invoice_ref)
    if invoice is None:
        return not_found()
    invoice_id = invoice["InvoiceID"].lower()
    stored = org.attachments.get(invoice_id, {})
    if request.method == "GET" and not rest:
        return json_response(200, envelope("Attachments", [e["record"] for e in stored.values()]))
    if len(rest) != 1:
        return not_found()
    name = rest[0]
    if request.method == "GET":
        wanted = name.casefold()
        entry = stored.get(wanted) or next(
            (e for e in stored.values() if e["record"]["AttachmentID"].casefold() == wanted), None
        )
        if entry is None:
            return not_found()
        return Response(200, entry["content"], {}, entry["record"]["MimeType"])
    if request.method not in ("PUT", "POST"):
        return not_found()
    if len(request.body) > MAX_BYTES:
        return text_response(
            413, "The file is too large. The maximum size of an attachment is 10MB."
        )
    if name.casefold() not in stored and len(stored) >= MAX_ATTACHMENTS:
        element = {"FileName": name, "ValidationErrors": messages([MSG_TOO_MANY])}
        return validation_exception([element])
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
    if not content_type or content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    record = {
        "AttachmentID": str(uuid.uuid4()),
        "FileName": name,
        "Url": "%s/api.xro/2.0/Invoices/%s/Attachments/%s"
        % (request.base_url, invoice["InvoiceID"], quote(name)),
        "MimeType": content_type,
        "ContentLength": len(request.body),
        "IncludeOnline": bool(request.query.flag("IncludeOnline", False)),
    }
    org.attachments[invoice_id] = dict(
        stored, **{name.casefold(): {"record": record, "content": request.body}}
    )
    return json_response(200, envelope("Attachments", [record]))
