"""The Xero contacts a batch of customers may match, read as cheaply as Xero allows.

Two ways, whichever costs fewer calls over the task:

- the organisation's contacts read whole (1,000 a page), kept in this process for an hour and
  brought up to date by one ``If-Modified-Since`` read of what changed since the newest contact
  seen (Xero's own clock, so no skew), at most once a minute, and at once when asked (the
  retry of a batch whose answer was lost, a name Xero says is taken): a contact made by
  another worker, by a person in Xero, or by a write whose answer was lost is found; the
  contacts our own writes return are kept as they come;
- for an organisation too large to read for the work in hand, ``where`` look-ups of the
  batch's keys, references, emails and names, at most ten ``OR`` terms a call (Xero's list
  parameters have no name or email; long ``OR`` chains are refused), each compared through
  ``ToLower()``: Xero's ``==`` on strings is case-sensitive while its unique names are not.

Matching itself (which contact is which customer) is the customers' handler's.
"""

import time

from ..xero_api import payloads, wire
from .org_reads import read_pages

INDEX_TTL = 3600  # seconds an organisation read whole is kept (then read whole again)
FRESH_FOR = 60  # seconds a read of what changed is trusted (Xero allows 60 calls a minute)
# What matching reads of a contact; the rest is not kept.
KEPT = ("ContactID", "Name", "ContactNumber", "AccountNumber", "EmailAddress", "ContactStatus")
# (database, connection id, tenant id) -> OrgContacts, and -> (pages of contacts, when seen).
_INDEXES = {}
_PAGES = {}


def forget():
    """Drop what this process knows of every organisation (e.g. after a reset of Xero's data)."""
    _INDEXES.clear()
    _PAGES.clear()


def remember(connection, contacts):
    """Keep the contacts a write of ours answered with, if the organisation is read whole.
    They do not move the mark of what was read: a contact typed in Xero before our write and
    after the last read is found by the next read of what changed."""
    index = _INDEXES.get((connection.env.cr.dbname, connection.id, connection.tenant_id))
    if index is not None:
        index.merge(contacts, read=False)


def where_term(field, value):
    """``field`` equal to ``value`` without regard to case, guarded against null where Xero may
    have none (the value quoted and escaped). A name is asked for word by word (each contained,
    case aside): Xero cannot compare names runs of spaces aside, so "Kiwi  Fibre Ltd" is found
    for "Kiwi Fibre Ltd"; :meth:`OrgContacts.matching` keeps the equal ones."""
    if field == "Name":
        words = value.lower().split()
        if len(words) > 1:
            return "(%s)" % " AND ".join(
                "Name.ToLower().Contains(%s)" % wire.where_string(word) for word in words
            )
    compare = "%s.ToLower()==%s" % (field, wire.where_string(value.lower()))
    return compare if field == "Name" else "(%s!=null AND %s)" % (field, compare)


def _key(field, value):
    """How ``field`` values compare: names case and runs of spaces aside, the rest case and
    outer spaces aside."""
    return payloads.name_key(value) if field == "Name" else (value or "").strip().lower()


class OrgContacts:
    """One organisation's contacts as last read, and the newest ``UpdatedDateUTC`` among them."""

    def __init__(self):
        self.contacts = {}
        self.since = None
        self.read_at = self.checked_at = time.time()

    def merge(self, contacts, read=True):
        """Keep ``contacts``; ``read``: they were read from Xero (their newest stamp is the
        mark the next read of what changed starts from), not answered to a write of ours."""
        for contact in contacts:
            kept = {k: contact[k] for k in KEPT if contact.get(k) is not None}
            self.contacts[contact["ContactID"]] = kept
            stamp = wire.parse_xero_date(contact.get("UpdatedDateUTC")) if read else None
            if stamp and (self.since is None or stamp > self.since):
                self.since = stamp

    def refresh(self, connection):
        """Read what changed since the newest contact seen (one call, unless more than 1,000
        changed); the header is to the second, so that second is read again, harmlessly."""
        since = {"if_modified_since": self.since} if self.since else {}
        self.merge(_read_pages(connection, **since)[0])
        self.checked_at = time.time()

    def matching(self, terms):
        """The contacts equal to any ``(field, value)``: names case and runs of spaces aside,
        the rest case and outer spaces aside."""
        return matching(self.contacts.values(), terms)


def matching(contacts, terms):
    """Those of ``contacts`` equal to any of ``terms`` (see :meth:`OrgContacts.matching`)."""
    wanted = {}
    for field, value in terms:
        wanted.setdefault(field, set()).add(_key(field, value))
    return [
        dict(contact)
        for contact in contacts
        if any(_key(f, contact.get(f)) in v for f, v in wanted.items())
    ]


def _read_pages(connection, budget=None, **kwargs):
    """Every contact (archived too) the arguments select (see ``org_reads.read_pages``)."""
    return read_pages(
        connection, "get_contacts", "Contacts", budget, include_archived=True, **kwargs
    )


def organisation(connection):
    """Every contact of ``connection``'s organisation (archived too): read whole, 1,000 a
    page, and kept for the batches that follow (see :func:`candidates`); brought up to date by
    one ``If-Modified-Since`` read when it was read before."""
    key = (connection.env.cr.dbname, connection.id, connection.tenant_id)
    index = _INDEXES.get(key)
    if index is not None and index.read_at > time.time() - INDEX_TTL:
        index.refresh(connection)
    else:
        contacts, pages = _read_pages(connection)
        _PAGES[key] = (pages, time.time())
        index = _INDEXES[key] = OrgContacts()
        index.merge(contacts)
    return [dict(contact) for contact in index.contacts.values()]


def candidates(connection, terms, batches_left=1, fresh=False):
    """The contacts of ``connection``'s organisation that any of ``terms`` (``(Xero field,
    value)`` pairs) may designate, at the lowest number of calls over ``batches_left``
    batches like this one (see the module docstring); ``fresh``: what changed in Xero is
    read now."""
    key = (connection.env.cr.dbname, connection.id, connection.tenant_id)
    now = time.time()
    index = _INDEXES.get(key)
    if index is not None and index.read_at > now - INDEX_TTL:
        if fresh or index.checked_at <= now - FRESH_FOR:
            index.refresh(connection)
        return index.matching(terms)
    wheres = list(wire.where_any(terms, lambda term: where_term(*term)))
    budget = len(wheres) * max(batches_left, 1)
    known = _PAGES.get(key)
    if known is None or known[1] < now - INDEX_TTL or known[0] <= budget:
        contacts, pages = _read_pages(connection, budget)
        _PAGES[key] = (pages, now)
        if contacts is not None:
            index = _INDEXES[key] = OrgContacts()
            index.merge(contacts)
            return index.matching(terms)
    found = {}
    for where in wheres:
        for contact in connection._xero_read_all(
            "get_contacts", "Contacts", where=where, include_archived=True
        ):
            found[contact["ContactID"]] = contact
    # A name asked for word by word also finds longer names: only the equal ones are kept.
    return matching(found.values(), terms)
