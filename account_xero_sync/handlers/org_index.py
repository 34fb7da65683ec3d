"""The Xero read layer of the handlers: what this process knows of an organisation, read as
cheaply as Xero allows, and looked up by key.

One shape, :class:`Listing`, for every list read whole and kept: records by id, indexed by the
fields they are looked up by (a dict per field: normalised value -> ids), the newest
``UpdatedDateUTC`` seen (Xero's own clock, so no skew), brought up to date by one
``If-Modified-Since`` read of what changed. A look-up costs what the batch asks for, never a
walk over the organisation. Three uses of it:

- **contacts** (:func:`contact_candidates`, :func:`organisation_contacts`,
  :func:`remember_contacts`): the organisation's contacts (archived too) read whole, 1,000 a
  page, kept for an hour, and what changed read at most once a minute, at once when asked
  (the retry of a batch whose answer was lost, a name Xero says is taken): a contact made by
  another worker, by a person in Xero, or by a write whose answer was lost is found; the
  contacts our own writes return are kept as they come. For an organisation too large to
  read for the work in hand, ``where`` look-ups of the batch's keys, references, emails and
  names instead, at most ten ``OR`` terms a call (Xero's list parameters have no name or
  email; long ``OR`` chains are refused), each compared through ``ToLower()``: Xero's ``==``
  on strings is case-sensitive while its unique names are not. Matching itself (which contact
  is which customer) is the customers' handler's.
- **documents by number** (:func:`documents_by_number`, :func:`first_batch`): a credit note is
  looked up before it is created (Xero has no list parameter for credit note numbers and its
  documentation does not say they are unique); an invoice only when Xero refuses its number
  as taken. The organisation's documents of the kind read whole when that costs no more than
  the look-ups of the batches left, kept for an hour, what changed read at most once a minute
  and at once for a task's first batch in this process and for a retry (one typed in Xero
  less than a minute before a later batch of the same task is not found).
- **a task's invoices** (:func:`task_invoices`, :func:`invoices_paid`): each payment of Send
  New Payments is decided on its invoice's status, amount due and payments in Xero. Read by
  ``IDs`` that costs a call per 38 invoices (Xero's query-string limit). A task that pays more
  invoices than one such call holds reads instead, once, the organisation's sales invoices
  modified since the oldest of them was last sent, when that takes fewer calls, keeps them for
  the task, and reads what changed when that read is older than a minute or for a retry. An
  invoice this read does not hold (not modified since then, or paid by this task since: it is
  dropped) is read by ids as before.

Paging is ``xero_api.paging``'s; chunking of ids and ``where`` terms under Xero's query-string
limit is ``xero_api.wire``'s (``chunk_by_length``, ``where_any``).
"""

import math
import time
from datetime import timedelta, timezone

from ..xero_api import paging, payloads, wire

PAGE = paging.LARGEST_PAGE  # items per page of a list read whole
INDEX_TTL = 3600  # seconds an organisation read whole is kept (then read whole again)
FRESH_FOR = 60  # seconds a read of what changed is trusted (Xero allows 60 calls a minute)
# What matching reads of a contact; the rest is not kept.
KEPT = ("ContactID", "Name", "ContactNumber", "AccountNumber", "EmailAddress", "ContactStatus")
MARGIN = timedelta(minutes=5)  # Xero stamps an invoice before Odoo records when it was sent
IDS_PER_CALL = 38  # invoice ids that fit one ``IDs`` query under Xero's limit
SALES = 'Type=="ACCREC"'

# What this process knows: (database, connection id, tenant id, list) -> Listing, and
# -> (pages of the whole list, when seen); (database, task id) -> Listing of a task's
# invoices, or None when reading them by ids is cheaper; (database, task id) of the tasks
# this process has sent a batch of, oldest first.
_LISTINGS = {}
_PAGES = {}
_TASK_INVOICES = {}
_KEEP_TASK_INVOICES = 4  # a worker runs one task at a time
_TASKS = {}
_KEEP_TASKS = 64  # a task forgotten here only costs one more read of what changed


def forget():
    """Drop what this process knows of every organisation (e.g. after a reset of Xero's data)."""
    _LISTINGS.clear()
    _PAGES.clear()
    _TASK_INVOICES.clear()
    _TASKS.clear()


def read_pages(connection, method, key, budget=None, **kwargs):
    """Every item of ``method``'s list the arguments select, :data:`PAGE` a page: ``(items,
    pages)``, or ``(None, pages)`` when there are more than ``budget`` pages (one call spent)."""
    return paging.read_pages(connection._xero_call, method, key, budget, page_size=PAGE, **kwargs)


def _org_key(connection, *rest):
    return (connection.env.cr.dbname, connection.id, connection.tenant_id, *rest)


class Listing:
    """A list of one organisation as last read: records by lower-case id, looked up by key.

    ``keys``: ``{field: normalise}``, the fields records are looked up by and how their values
    compare; ``kept``: the fields kept of each record (all when None); ``read``: ``(method,
    key, kwargs)`` of the list's read.
    """

    def __init__(self, id_field, keys, read, kept=None, since=None):
        self.id_field, self.keys, self.read, self.kept = id_field, keys, read, kept
        self.records = {}  # lower-case id -> record, in the order first seen
        self.seen = {}  # lower-case id -> its rank in that order
        self.index = {field: {} for field in keys}  # field -> normalised value -> {ids}
        self.since = since
        self.read_at = self.checked_at = time.time()

    def merge(self, records, read=True):
        """Keep ``records``; ``read``: they were read from Xero (their newest stamp is the mark
        the next read of what changed starts from), not answered to a write of ours."""
        for record in records:
            rid = record[self.id_field].lower()
            stamp = wire.parse_xero_date(record.get("UpdatedDateUTC")) if read else None
            if self.kept is not None:
                record = {k: record[k] for k in self.kept if record.get(k) is not None}
            old = self.records.get(rid)
            if old is None:
                self.seen.setdefault(rid, len(self.seen))
            for field, normalise in self.keys.items():
                by_value = self.index[field]
                before = normalise(old.get(field)) if old is not None else None
                after = normalise(record.get(field))
                if before == after:
                    continue
                if before:
                    ids = by_value.get(before)
                    if ids is not None:
                        ids.discard(rid)
                        if not ids:
                            del by_value[before]
                if after:
                    by_value.setdefault(after, set()).add(rid)
            self.records[rid] = record
            if stamp and (self.since is None or stamp > self.since):
                self.since = stamp

    def refresh(self, connection):
        """Read what changed since the newest record seen (one call, unless more than a page
        changed); the header is to the second, so that second is read again, harmlessly."""
        method, key, kwargs = self.read
        since = {"if_modified_since": self.since} if self.since else {}
        self.merge(read_pages(connection, method, key, **kwargs, **since)[0])
        self.checked_at = time.time()

    def matching(self, terms):
        """The records (copies) equal to any ``(field, value)`` of ``terms``, by key, in the
        order first seen."""
        ids = set()
        for field, value in terms:
            key = self.keys[field](value)
            if key:
                ids |= self.index[field].get(key, set())
        return [dict(self.records[rid]) for rid in sorted(ids, key=self.seen.__getitem__)]

    def drop(self, ids):
        """Forget these records (out of date)."""
        for rid in ids:
            record = self.records.pop(rid.lower(), None)
            for field, normalise in self.keys.items() if record else ():
                value = normalise(record.get(field))
                self.index[field].get(value, set()).discard(rid.lower())


def _whole(connection, key, make, budget, fresh, now):
    """The listing kept under ``key`` (brought up to date when asked or older than a minute),
    else the list read whole into a new one (``make()``) when that takes no more than
    ``budget`` pages (None: any), else None (the caller looks its records up)."""
    listing = _LISTINGS.get(key)
    if listing is not None and listing.read_at > now - INDEX_TTL:
        if fresh or listing.checked_at <= now - FRESH_FOR:
            listing.refresh(connection)
        return listing
    known = _PAGES.get(key)
    if budget is None or known is None or known[1] < now - INDEX_TTL or known[0] <= budget:
        listing = make()
        method, list_key, kwargs = listing.read
        records, pages = read_pages(connection, method, list_key, budget, **kwargs)
        _PAGES[key] = (pages, now)
        if records is not None:
            listing.merge(records)
            _LISTINGS[key] = listing
            return listing
    return None


# ---------------------------------------------------------------------- contacts


def _plain(value):
    return (value or "").strip().lower()


def _exact(value):
    return value or ""


CONTACT_KEYS = {
    "Name": payloads.name_key,  # case and runs of spaces aside
    "ContactNumber": _plain,
    "AccountNumber": _plain,
    "EmailAddress": _plain,
}
CONTACTS_READ = ("get_contacts", "Contacts", {"include_archived": True})


def _contacts(kept=KEPT):
    return Listing("ContactID", CONTACT_KEYS, CONTACTS_READ, kept=kept)


def where_term(field, value):
    """``field`` equal to ``value`` without regard to case, guarded against null where Xero may
    have none (the value quoted and escaped). A name is asked for word by word (each contained,
    case aside): Xero cannot compare names runs of spaces aside, so "Kiwi  Fibre Ltd" is found
    for "Kiwi Fibre Ltd"; :func:`matching` keeps the equal ones."""
    if field == "Name":
        words = value.lower().split()
        if len(words) > 1:
            return "(%s)" % " AND ".join(
                "Name.ToLower().Contains(%s)" % wire.where_string(word) for word in words
            )
    compare = "%s.ToLower()==%s" % (field, wire.where_string(value.lower()))
    return compare if field == "Name" else "(%s!=null AND %s)" % (field, compare)


def matching(contacts, terms):
    """Those of ``contacts`` equal to any of ``terms``: names case and runs of spaces aside,
    the rest case and outer spaces aside."""
    listing = _contacts(kept=None)
    listing.merge(contacts, read=False)
    return listing.matching(terms)


def remember_contacts(connection, contacts):
    """Keep the contacts a write of ours answered with, if the organisation is read whole.
    They do not move the mark of what was read: a contact typed in Xero before our write and
    after the last read is found by the next read of what changed."""
    listing = _LISTINGS.get(_org_key(connection, "Contacts"))
    if listing is not None:
        listing.merge(contacts, read=False)


def organisation_contacts(connection):
    """Every contact of ``connection``'s organisation (archived too): read whole, 1,000 a
    page, and kept for the batches that follow (see :func:`contact_candidates`); brought up
    to date by one ``If-Modified-Since`` read when it was read before."""
    listing = _whole(
        connection, _org_key(connection, "Contacts"), _contacts, None, True, time.time()
    )
    return [dict(contact) for contact in listing.records.values()]


def contact_candidates(connection, terms, batches_left=1, fresh=False):
    """The contacts of ``connection``'s organisation that any of ``terms`` (``(Xero field,
    value)`` pairs) may designate, at the lowest number of calls over ``batches_left``
    batches like this one (see the module docstring); ``fresh``: what changed in Xero is
    read now."""
    key, now = _org_key(connection, "Contacts"), time.time()
    listing, wheres, budget = _LISTINGS.get(key), None, None
    if listing is None or listing.read_at <= now - INDEX_TTL:
        wheres = list(wire.where_any(terms, lambda term: where_term(*term)))
        budget = len(wheres) * max(batches_left, 1)
    listing = _whole(connection, key, _contacts, budget, fresh, now)
    if listing is not None:
        return listing.matching(terms)
    found = {}
    for where in wheres:
        for contact in connection._xero_read_all(
            "get_contacts", "Contacts", where=where, include_archived=True
        ):
            found[contact["ContactID"]] = contact
    # A name asked for word by word also finds longer names: only the equal ones are kept.
    return matching(found.values(), terms)


# ---------------------------------------------------------------------- documents by number


def first_batch(task):
    """True the first time this process sends a batch of ``task``."""
    key = (task.env.cr.dbname, task.id)
    if key in _TASKS:
        return False
    while len(_TASKS) >= _KEEP_TASKS:
        _TASKS.pop(next(iter(_TASKS)))
    _TASKS[key] = True
    return True


def documents_by_number(connection, document, numbers, budget=1, fresh=False):
    """The documents of ``connection``'s organisation under ``numbers`` (any status), read
    whole when that takes no more than ``budget`` calls (the look-ups of the batches left);
    None when those look-ups are cheaper (the caller makes them). ``fresh``: what changed in
    Xero is read now."""

    def make():
        read = (document.read, document.key, {"where": 'Type=="%s"' % document.type, "unitdp": 4})
        return Listing(document.id, {document.number: _exact}, read)

    listing = _whole(
        connection, _org_key(connection, document.key), make, budget, fresh, time.time()
    )
    if listing is None:
        return None
    return listing.matching([(document.number, number) for number in numbers])


# ---------------------------------------------------------------------- a task's invoices


def _task_span(task):
    """``(oldest time sent, number)`` of the linked invoices the task's pending allocations
    pay (one query)."""
    task.env.cr.execute(
        """
        SELECT min(m.xero_last_sync), count(DISTINCT m.id)
          FROM xero_task_line l
          JOIN account_partial_reconcile p ON p.id = l.res_id
          JOIN account_move_line aml ON aml.id = p.debit_move_id
          JOIN account_move m ON m.id = aml.move_id
         WHERE l.task_id = %s AND l.outcome = 'pending'
           AND l.res_model = 'account.partial.reconcile'
           AND m.move_type = 'out_invoice' AND m.xero_invoice_id IS NOT NULL
        """,
        [task.id],
    )
    return task.env.cr.fetchone()


def _task_listing(connection, task):
    """The invoices read for ``task`` (once, when that is cheaper than by ids), or None."""
    oldest, count = _task_span(task)
    if not oldest or count <= IDS_PER_CALL:
        return None
    since = (oldest - MARGIN).replace(tzinfo=timezone.utc)
    read = ("get_invoices", "Invoices", {"where": SALES})
    listing = Listing("InvoiceID", {}, read, since=since)
    budget = math.ceil(count / IDS_PER_CALL) - 1
    invoices, _pages = read_pages(connection, *read[:2], budget, if_modified_since=since, **read[2])
    if invoices is None:
        return None
    listing.merge(invoices)
    return listing


def task_invoices(connection, task, xero_ids, fresh=False):
    """Those of ``xero_ids`` whose current state this task's read holds, by lower-case id
    (``{}`` when the task reads by ids); ``fresh``: what changed is read now."""
    key = (task.env.cr.dbname, task.id)
    if key not in _TASK_INVOICES:
        listing = _task_listing(connection, task)
        while len(_TASK_INVOICES) >= _KEEP_TASK_INVOICES:
            _TASK_INVOICES.pop(next(iter(_TASK_INVOICES)))
        _TASK_INVOICES[key] = listing
    listing = _TASK_INVOICES[key]
    if listing is None:
        return {}
    if fresh or listing.checked_at <= time.time() - FRESH_FOR:
        listing.refresh(connection)
    held = listing.records
    return {x.lower(): held[x.lower()] for x in xero_ids if x.lower() in held}


def invoices_paid(task, xero_ids):
    """These invoices were paid by the task: what this process holds of them is out of date."""
    listing = _TASK_INVOICES.get((task.env.cr.dbname, task.id))
    if listing is not None:
        listing.drop(xero_ids)
