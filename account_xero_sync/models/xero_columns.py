"""Writes of the addon's own columns on Odoo's records, and whether code that commits on its own
runs in Odoo's test thread (where it must never commit)."""

import threading

from .xero_texts import xero_text


def testing():
    """True in Odoo's test threads, where a transaction must never be committed."""
    return getattr(threading.current_thread(), "testing", False)


def write_xero_columns(records, vals):
    """Write the addon's own columns (links, sync state, last error) of ``records`` in one
    bulk ``UPDATE``, not through the model's ``write``: on a posted invoice that would run the
    posted-move machinery (balance checks, dynamic lines, a chatter message per tracked field)
    for fields it does not concern. ``vals``: one dict for all, or a list with one per record
    (same keys). Stored fields that depend on them are recomputed."""
    if not records:
        return
    vals_list = vals if isinstance(vals, list) else [vals] * len(records)
    # A last error of the Xero layer, in the user's language.
    vals_list = [{name: xero_text(records.env, val) for name, val in v.items()} for v in vals_list]
    names = list(vals_list[0])
    records.flush_recordset(names)
    records._write_multi(
        [{name: (None if val is False else val) for name, val in v.items()} for v in vals_list]
    )
    records.invalidate_recordset(names)
    records.modified(names)
