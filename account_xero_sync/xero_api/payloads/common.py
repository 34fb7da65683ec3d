"""What the payload builders share."""

import hashlib
import json

REFERENCE_MAX = 255  # Reference of invoices, credit notes and payments


def payload_checksum(payload):
    """SHA-256 (hex) of the payload as canonical JSON, to skip sending what has not changed."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def put(target, field, value):
    """Set ``target[field]`` unless ``value`` is empty (None, ``""``, ``[]``)."""
    if value not in (None, "", []):
        target[field] = value
