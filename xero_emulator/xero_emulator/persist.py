"""`--state FILE`: the emulator's state kept in a file across restarts.

Kept: every organisation with its records exactly as stored (ids, numbers, `UpdatedDateUTC`,
attachments with their content, the invoice sequence, the lock date, a seeded custom
connection), the identity service (its signing key, grants, access and refresh tokens, pending
authorization codes: tokens issued before a restart still work after it), the clock (its offset,
or the virtual time) and the webhook receivers. Not kept: the request log, faults, rate-limit
windows, Idempotency-Keys and webhook events not sent yet.

The file is JSON; what JSON has no type for is tagged: `{"$decimal": "1.50"}`,
`{"$bytes": "<base64>"}`, `{"$date": "2026-03-01"}`, `{"$datetime": "<ISO>"}`. It is written
whole, atomically (a temporary file in the same folder, fsync, rename), under the store lock,
after every call that may change something and when the server stops; a crash leaves the last
complete file.
"""

import base64
import contextlib
import json
import logging
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal

from .state import Organisation

_logger = logging.getLogger("xero_emulator")
FORMAT = "xero-emulator-state"
VERSION = 1
IDENTITY_FIELDS = ("codes", "grants", "access", "refresh")


class StateFileError(ValueError):
    """A state file that cannot be read back."""


def _encode(value):
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError("cannot keep a %s in the state file" % type(value).__name__)


def _decode(obj):
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key == "$decimal":
            return Decimal(value)
        if key == "$bytes":
            return base64.b64decode(value)
        if key == "$datetime":
            return datetime.fromisoformat(value)
        if key == "$date":
            return date.fromisoformat(value)
    return obj


def _organisation(raw):
    fields = dict(raw)
    org = Organisation(
        fields.pop("tenant_id"),
        fields.pop("name"),
        fields.pop("base_currency"),
        fields.pop("currencies"),
        fields.pop("created"),
    )
    for name, value in fields.items():
        setattr(org, name, value)
    if org.custom_client is not None:
        org.custom_client = tuple(org.custom_client)
    return org


def snapshot(emu):
    """The state to keep, as a JSON-ready dict (the caller holds the store lock)."""
    identity = emu.identity
    with identity._lock:
        kept_identity = {name: getattr(identity, name) for name in IDENTITY_FIELDS}
        kept_identity["key"] = identity._key
        text = json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "clock": emu.clock.state(),
                "organisations": [vars(org) for org in emu.store.orgs.values()],
                "identity": kept_identity,
                "webhooks": emu.webhooks.receivers(),
            },
            default=_encode,
            separators=(",", ":"),
        )
    return text


def save(emu, path):
    """Write the state to `path` atomically; True when written (a failure is logged)."""
    with emu.store.lock:
        try:
            text = snapshot(emu)
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp"
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except Exception:
            _logger.exception("could not save the emulator's state to %s", path)
            return False
    return True


def load(emu, path):
    """Replace the emulator's state by the one in `path` (StateFileError when unreadable)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle, object_hook=_decode)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StateFileError("%s is not an emulator state file" % path)
        if data.get("version") != VERSION:
            raise StateFileError(
                "%s has version %r of the state format, not %d" % (path, data["version"], VERSION)
            )
        orgs = [_organisation(raw) for raw in data["organisations"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, StateFileError):
            raise
        raise StateFileError("%s cannot be read: %s" % (path, exc)) from exc
    with emu.store.lock:
        emu.store.orgs = {}
        for org in orgs:
            emu.store.add_org(org)
        identity = emu.identity
        with identity._lock:
            kept = data.get("identity") or {}
            for name in IDENTITY_FIELDS:
                setattr(identity, name, kept.get(name) or {})
            if kept.get("key"):
                identity._key = kept["key"]
        emu.clock.restore(data.get("clock") or {})
        emu.webhooks.restore_receivers(data.get("webhooks") or [])
