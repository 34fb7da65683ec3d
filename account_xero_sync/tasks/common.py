"""What the task machinery and the handlers above it share: the plan's one shape
(``Decision``), what a sender's batch needs (``Batch``), the batch size, a step Xero stopped
half way, the dealer's lock, grouping by dealer."""

import dataclasses
from collections import defaultdict
from typing import Any, NamedTuple

BATCH_SIZE = 50  # records per Xero call: Xero's safe batch size (XERO_NOTES.md)
ADVISORY_NS = 1480938032  # pg advisory lock namespace of Xero tasks ("XER0")


class StepInterrupted(Exception):
    """Raised by a handler whose step Xero stopped half way (``error``: a rate limit, an
    unanswered write, an authorisation failure) once it has logged what Xero did answer: the
    runner keeps and commits that, then deals with ``error`` as if the step had raised it.
    ``progress``: Xero answered part of the step (an unanswered write then counts as no
    failed batch: the handler retries its record itself)."""

    def __init__(self, error, progress=False):
        super().__init__(str(error))
        self.error = error
        self.progress = progress


class Decision(NamedTuple):
    """What a task will do with one record; a plan is ``{record id: Decision}``.

    ``action``: create, update, link, void, skip, blocked or waiting. ``xero_id``: the Xero
    object concerned (linked, matched or to update). ``reason``: why, for the log and the
    preview. ``xero``: the Xero object a match found (customers: the contact). ``values``: the
    plain values the payload is built from (payments: what was sent, remembered on the link).
    ``body``: the payload ready to send. ``name``: the contact name to send when it must differ
    from the partner's. ``candidate``: the match is offered for linking by hand.
    """

    action: str
    xero_id: str | None = None
    reason: str | bool = False
    xero: dict | None = None
    values: dict | None = None
    body: dict | None = None
    name: str | None = None
    candidate: bool = False


@dataclasses.dataclass(frozen=True)
class Batch:
    """What a sender (``xero.task.handler``) needs to decide and send one batch, passed as an
    argument from the step or the preview down through ``_send_batch``, ``_decide`` and their
    helpers (``batch.but(...)``: a copy with some values changed). The context keeps only what
    Odoo reads (and the connection's gateway: see ``xero.connection._gateway``).

    ``connection``: the dealer's ``xero.connection``. ``mode``: the task type's (new, all,
    one_off). ``task``: the ``xero.task`` whose step this is; None for a preview.
    ``preview``: decide only, write nothing. ``retry``: the runner's retry of a batch Xero
    left unanswered (``xero.task.transient_failures``): what Xero holds is read again before
    deciding. ``batches_left``: the task's batches still to send (up to 10), so that a look-up
    knows when reading the organisation whole costs less (``org_index``).
    ``fresh_contacts``, ``fresh_numbers``: what this process keeps of the organisation's
    contacts, or of its documents by number, is brought up to date first (a check against
    Xero now, a name or number Xero refused as taken, a task's first batch here).
    ``for_documents``: customers sent or previewed for the documents of this batch (an
    archived customer goes all the same). ``customers``: for documents, ``{partner id:
    (outcome or action, message)}`` of their customers not in Xero when the batch began,
    as this batch sent them first (a preview: as their handler would).
    """

    connection: Any
    mode: str
    task: Any = None
    preview: bool = False
    retry: bool = False
    batches_left: int = 1
    fresh_contacts: bool = False
    fresh_numbers: bool = False
    for_documents: bool = False
    customers: dict | None = None

    @classmethod
    def of_task(cls, task, mode, **values):
        """The batch of ``task``'s current step."""
        return cls(task.connection_id, mode, task, retry=bool(task.transient_failures), **values)

    def but(self, **changes):
        """A copy of this batch with ``changes``."""
        return dataclasses.replace(self, **changes)


def dealer_lock(cr, company_id, wait=False):
    """Take the dealer's transaction-level advisory lock; held until commit or rollback.

    Every Xero task of a dealer runs under it, so two never run at once. ``wait=False`` tries
    and returns whether the lock was taken; ``wait=True`` waits for it.
    """
    if wait:
        cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NS, company_id])
        return True
    cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_NS, company_id])
    return cr.fetchone()[0]


def group_by_dealer(records, default_company):
    """``{company: records}``: each record under its company, shared ones under the default."""
    groups = defaultdict(lambda: records.browse())
    for record in records:
        groups[record.company_id or default_company] |= record
    return dict(groups)
