"""The invoices or credit notes an organisation already has under given numbers, read as
cheaply as Xero allows.

A credit note is looked up before it is created (Xero has no list parameter for credit note
numbers, as ``InvoiceNumbers`` is for invoices, and its documentation does not say they are
unique); an invoice only when Xero refuses its number as taken. Two ways, whichever costs
fewer calls over the task (as for contacts, ``contact_index``):

- the organisation's documents of the kind read whole (1,000 a page), kept in this process
  for an hour
  and brought up to date by one ``If-Modified-Since`` read of what changed since the newest one
  seen (Xero's own clock, so no skew), at most once a minute, and at once for a task's first
  batch in this process and for the retry of a batch whose answer was lost: a credit note
  made by another worker, by a person in Xero, or by a write whose answer was lost is found
  (one typed in Xero less than a minute before a later batch of the same task is not);
- for an organisation too large to read for the work in hand, look-ups of the batch's
  numbers (the handler's ``_number_queries``: ``InvoiceNumbers`` lists, or ``where`` filters
  of at most ten credit note numbers).
"""

import time

from ..xero_api import wire
from .org_reads import read_pages

INDEX_TTL = 3600  # seconds an organisation read whole is kept (then read whole again)
FRESH_FOR = 60  # seconds a read of what changed is trusted
# (database, connection id, tenant id, document kind) -> OrgDocuments, and -> (pages, when).
_INDEXES = {}
_PAGES = {}
# (database, task id) of the last tasks this process has sent a batch of, oldest first; a
# task forgotten here only costs one more read of what changed when it comes back.
_TASKS = {}
_KEEP_TASKS = 64


def forget():
    """Drop what this process knows of every organisation (e.g. after a reset of Xero's data)."""
    _INDEXES.clear()
    _PAGES.clear()
    _TASKS.clear()


def first_batch(task):
    """True the first time this process sends a batch of ``task``."""
    key = (task.env.cr.dbname, task.id)
    if key in _TASKS:
        return False
    while len(_TASKS) >= _KEEP_TASKS:
        _TASKS.pop(next(iter(_TASKS)))
    _TASKS[key] = True
    return True


class OrgDocuments:
    """One organisation's documents of one kind as last read, by lower-case id."""

    def __init__(self, document):
        self.document = document
        self.records = {}
        self.since = None
        self.read_at = self.checked_at = time.time()

    def merge(self, records):
        for record in records:
            self.records[record[self.document.id].lower()] = record
            stamp = wire.parse_xero_date(record.get("UpdatedDateUTC"))
            if stamp and (self.since is None or stamp > self.since):
                self.since = stamp

    def refresh(self, connection):
        """What changed since the newest document seen (that second is read again)."""
        since = {"if_modified_since": self.since} if self.since else {}
        self.merge(_read_pages(connection, self.document, **since)[0])
        self.checked_at = time.time()

    def matching(self, numbers):
        """The documents whose number is one of ``numbers`` (Xero compares them exactly)."""
        wanted = set(numbers)
        return [r for r in self.records.values() if r.get(self.document.number) in wanted]


def _read_pages(connection, document, budget=None, **kwargs):
    """Every sales document of this kind (see ``org_reads.read_pages``)."""
    where = 'Type=="%s"' % document.type
    return read_pages(
        connection, document.read, document.key, budget, where=where, unitdp=4, **kwargs
    )


def lookup(connection, document, numbers, budget=1, fresh=False):
    """The documents of ``connection``'s organisation under ``numbers`` (any status), read
    whole when that takes no more than ``budget`` calls (the look-ups of the batches left);
    None when those look-ups are cheaper (the caller makes them). ``fresh``: what changed in
    Xero is read now."""
    key = (connection.env.cr.dbname, connection.id, connection.tenant_id, document.key)
    now = time.time()
    index = _INDEXES.get(key)
    if index is not None and index.read_at > now - INDEX_TTL:
        if fresh or index.checked_at <= now - FRESH_FOR:
            index.refresh(connection)
        return index.matching(numbers)
    known = _PAGES.get(key)
    if known is None or known[1] < now - INDEX_TTL or known[0] <= budget:
        records, pages = _read_pages(connection, document, budget)
        _PAGES[key] = (pages, now)
        if records is not None:
            index = _INDEXES[key] = OrgDocuments(document)
            index.merge(records)
            return index.matching(numbers)
    return None
