"""Fetch New Payments: Xero payments (typed in Xero, or from a bank feed) into Odoo.

One task step reads one page of ``GET /Payments`` (1,000 receivable payments modified since
the dealer's high-water mark, ``xero.connection.payments_fetched_until``, less a small
overlap) and handles each payment:

- on an invoice linked to Odoo and unknown to Odoo: an Odoo payment is created in the journal
  mapped from the Xero bank account, posted and reconciled with the invoice; the allocation
  carries the Xero payment id, so it is never sent back;
- sent from Odoo (our Reference) but its answer lost in a crash: linked to its allocation;
- deleted in Xero and imported by Odoo: the Odoo payment is unreconciled and cancelled;
- on an invoice Odoo does not know: counted and listed in the log, not imported.

Pages follow a moving If-Modified-Since (the newest UpdatedDateUTC read so far), so a payment
modified during the fetch moves to a later page and is never skipped. A payment that could not
be imported for a reason a person can fix (no journal mapping, Odoo's amount due too small) is
re-read at the next fetch by id (at most ``RETRY_LIMIT`` per fetch, oldest first: the rest wait
for the next one, so a payment that can never be imported does not hold up the others). The
last step compares Odoo's amount due of every linked invoice still open in Odoo, and of every
invoice the fetch touched, with Xero's, and writes the report into the task's summary.
"""

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from odoo import _, api, models
from odoo.tools.translate import LazyTranslate

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..xero_api import errors as xero_errors
from ..xero_api import payloads
from ..xero_api.wire import MAX_OR_TERMS, chunk_by_length, guid_where
from .credit_note_fetch import CreditNoteFetch
from .payment_fetch_report import FetchReport
from .payment_import import PaymentImport, document_id
from .reader import PREVIEW_PAGES

_lt = LazyTranslate(__name__)

# Customer payments on invoices, and refunds paid out on credit notes.
RECEIVABLE = 'PaymentType=="ACCRECPAYMENT" OR PaymentType=="ARCREDITPAYMENT"'
OVERLAP = timedelta(minutes=2)  # re-read the edge of the last fetch: nothing is missed
PAGE_SIZE = 1000  # Xero's largest page of GET /Payments (its default is 100)
RETRY_LIMIT = 100  # waiting payments re-read per fetch; the rest wait for the next fetch


def utc_naive(value):
    """An ``UpdatedDateUTC`` (aware or naive datetime, or ``/Date(...)/``) as naive UTC."""
    if isinstance(value, str):
        value = payloads.parse_xero_date(value)
    if isinstance(value, datetime) and value.tzinfo:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class PaymentFetch(PaymentImport, CreditNoteFetch, FetchReport):
    """One fetch task of one dealer (see the module docstring); not an ORM model.

    Without a task it is the task's preview: the same reads and decisions, nothing written
    (no payment, link, log line, retry list or high-water mark); the log lines it would write
    are kept in ``preview_lines``.
    """

    def __init__(self, payments, connection, task=None):
        self.env = payments.env
        self.task = task
        self.connection = connection
        self.company = connection.company_id
        self.preview = task is None
        self.preview_lines = []
        self._mappings = None
        self._queued = []  # Xero payments to import, created together (_import_queued)
        self._residuals = {}  # Odoo's amount due per invoice, less what is queued

    # ------------------------------------------------------------------ task protocol

    def start(self):
        """The task's first state: from the high-water mark, less the overlap (everything on
        a first fetch)."""
        mark = self.connection.payments_fetched_until
        return {
            "since": (mark - OVERLAP).isoformat() if mark else None,
            "notes_since": (mark - OVERLAP).isoformat() if mark else None,
            "page": 1,
            "edge": [],
            "mark": mark.isoformat() if mark else None,
            "retry": None,
            "pages": 0,
            "read": 0,
            "known": 0,
            "created": 0,
            "linked": 0,
            "reversed": 0,
            "unknown": [],
            "invoices": [],
        }

    def step(self, state):
        """Read and handle one page (``state`` updated in place); True once the last page
        is done."""
        if state.get("payments_done"):  # last phase: allocations made in Xero
            return self._credit_notes_step(state)
        if state.get("retry") is None:
            state["retry"] = self._take_retries()
        if state["retry"]:
            self._read_retries(state)
            return False
        kwargs = {"where": RECEIVABLE, "page": state["page"], "page_size": PAGE_SIZE}
        if state.get("since"):
            kwargs["if_modified_since"] = datetime.fromisoformat(state["since"])
        answer = self.connection._xero_call("get_payments", **kwargs)
        payments = answer.get("Payments") or []
        state["pages"] += 1
        seen = set(state.get("edge") or [])
        self._process([p for p in payments if p["PaymentID"] not in seen], state)
        stamps = {
            p["PaymentID"]: utc_naive(p["UpdatedDateUTC"])
            for p in payments
            if p.get("UpdatedDateUTC")
        }
        newest = max(stamps.values(), default=None)
        mark = self.connection.payments_fetched_until
        if newest and (not mark or newest > mark) and not self.preview:
            self.connection.sudo().payments_fetched_until = newest
        page_count = (answer.get("pagination") or {}).get("pageCount")
        more = state["page"] < page_count if page_count is not None else len(payments) >= PAGE_SIZE
        if not more:
            state["payments_done"] = True
            return False
        since = datetime.fromisoformat(state["since"]) if state.get("since") else None
        if newest and (since is None or newest > since):
            # The next page starts at this one's newest instant (included, as If-Modified-Since
            # is): its payments of that instant, already handled, are skipped.
            edge = [pid for pid, stamp in stamps.items() if stamp == newest]
            state.update(since=newest.isoformat(), page=1, edge=edge)
        else:  # a full page modified at the same instant: go on by page number
            state.update(page=state["page"] + 1, edge=[])
        return False

    def _take_retries(self):
        """The oldest ``RETRY_LIMIT`` waiting payments. They stay on the connection's list until
        a step handles them (:meth:`_read_retries`), so a fetch that fails half way loses none;
        those still not importable go back at its end (:meth:`_retry_later`)."""
        return list(self.connection.payments_fetch_retry_ids or [])[:RETRY_LIMIT]

    def _read_retries(self, state):
        """Re-read by id the waiting payments of one query (short enough for Xero) and handle
        them. Should Xero refuse the query, they wait for the next fetch; this one goes on."""
        chunk = next(chunk_by_length(state["retry"], lambda x: guid_where("PaymentID", [x])))
        chunk = chunk[:MAX_OR_TERMS]
        state["retry"] = state["retry"][len(chunk) :]
        if not self.preview:  # handled in this step's transaction: off the list
            conn = self.connection.sudo()
            left = [x for x in conn.payments_fetch_retry_ids or [] if x not in chunk]
            conn.payments_fetch_retry_ids = left or False
        try:
            payments = self.connection._xero_read_all(
                "get_payments", "Payments", where=guid_where("PaymentID", chunk)
            )
        except (xero_errors.XeroValidationError, xero_errors.XeroNotFound) as exc:
            for xero_id in chunk:
                self._retry_later(xero_id)
            message = _(
                "Xero refused to read this waiting payment again (%s): it is tried at the next "
                "fetch.",
                xero_text(self.env, exc),
            )
            self._write_lines(
                [self._line("error", {"PaymentID": xero_id}, message=message) for xero_id in chunk]
            )
            return
        self._process(payments, state)

    # ------------------------------------------------------------------ one page

    def _process(self, payments, state):
        """Handle one page of Xero payments with a few bulk reads; log one line per action."""
        if not payments:
            return
        Partial = self.env["account.partial.reconcile"]
        linked, writeoffs, pending, imported = self._known_payments(payments)
        invoices = self._paid_invoices(payments)
        refs = {
            p["PaymentID"]: payloads.parse_payment_reference(p.get("Reference")) for p in payments
        }
        ours = {p.id: p for p in Partial.browse(list(set(filter(None, refs.values())))).exists()}
        unsent = self._unsent_allocations(invoices)
        lines = []
        state["read"] += len(payments)
        mark = datetime.fromisoformat(state["mark"]) if state.get("mark") else None

        def reported(xp):  # read again in the overlap: already listed by the last fetch
            stamp = xp.get("UpdatedDateUTC")
            return bool(mark and stamp and utc_naive(stamp) <= mark)

        for xp in payments:
            key = xp["PaymentID"].lower()
            invoice = invoices.get((document_id(xp) or "").lower())
            if invoice:
                state["invoices"].append(invoice.id)
            if xp.get("Status") == "DELETED" and key in writeoffs:
                line = self._deleted(xp, writeoffs[key], None, state, writeoff=True)
            elif xp.get("Status") == "DELETED":
                line = self._deleted(xp, linked.get(key), imported.get(key), state)
            elif (
                xp.get("Status") != "AUTHORISED"
                or key in linked
                or key in writeoffs
                or key in pending
                or key in imported
            ):
                state["known"] += 1
                line = None
            elif refs[xp["PaymentID"]]:
                line = self._ours(xp, ours.get(refs[xp["PaymentID"]]), invoice, state)
            elif not invoice:
                line = self._unknown(xp, state, reported)
            else:
                line = self._import(xp, invoice, state, unsent[invoice.id])
            if line:
                lines.append(line)
        lines += self._import_queued(state)
        self._write_lines(lines)

    def _write_lines(self, lines):
        """Write the task's log lines (``lines``: their values); a preview keeps them."""
        if self.preview:
            self.preview_lines += lines
        else:
            self.env["xero.task.line"].create(lines)

    def _known_payments(self, payments):
        """What Odoo already knows of the page's payments, by lowercase Xero id.

        :return: (allocations linked, allocations whose write-off it is, the ids pending or
            written off from Odoo, Odoo payments imported)
        """
        Partial = self.env["account.partial.reconcile"]
        ids = [p["PaymentID"] for p in payments]
        linked = {
            p.xero_payment_id.lower(): p for p in Partial.search([("xero_payment_id", "in", ids)])
        }
        pending = {
            x.lower()
            for x in Partial.search([("xero_pending_payment_id", "in", ids)]).mapped(
                "xero_pending_payment_id"
            )
        }
        # Write-offs sent from Odoo (``#A<id>-W``): never imported as a receipt.
        writeoffs = {
            p.xero_writeoff_payment_id.lower(): p
            for p in Partial.search([("xero_writeoff_payment_id", "in", ids)])
        }
        pending |= {
            x.lower()
            for x in Partial.search([("xero_pending_writeoff_id", "in", ids)]).mapped(
                "xero_pending_writeoff_id"
            )
        }
        pending |= {
            p["PaymentID"].lower()
            for p in payments
            if payloads.parse_writeoff_reference(p.get("Reference"))
        }
        imported = {
            p.xero_import_id.lower(): p
            for p in self.env["account.payment"].search(
                [("xero_import_id", "in", ids), ("company_id", "=", self.company.id)]
            )
        }
        return linked, writeoffs, pending, imported

    def _paid_invoices(self, payments):
        """The Odoo invoices the page's payments are on, by lowercase Xero id."""
        invoice_ids = list({document_id(p) for p in payments} - {None})
        return {
            m.xero_invoice_id.lower(): m
            for m in self.env["account.move"].search(
                [("company_id", "=", self.company.id), ("xero_invoice_id", "in", invoice_ids)]
            )
        }

    def _unsent_allocations(self, invoices):
        """The allocations in Odoo not sent yet (credit allocations left out), per invoice id."""
        Partial = self.env["account.partial.reconcile"]
        unsent = defaultdict(list)
        moves = [m.id for m in invoices.values()]
        for partial in Partial.search(
            Partial._xero_sendable_domain(self.company)
            + [
                ("xero_payment_id", "=", False),
                ("xero_pending_payment_id", "=", False),
                "|",
                ("debit_move_id.move_id", "in", moves),
                ("credit_move_id.move_id", "in", moves),
            ],
            order="id",
        ):
            if partial._xero_kind() != "credit":
                unsent[partial._xero_paid_document().id].append(partial)
        return unsent


class XeroHandlerPaymentFetch(models.AbstractModel):
    """Fetch New Payments: Xero payments (typed in Xero, or from a bank feed) into Odoo.

    Sends nothing to Xero. Reads: one page of payments modified since the last fetch per step
    (``GET /Payments``, 1,000 a page), waiting payments again by id, and for the closing
    amount-due check the open invoices (1,000 a page) or the touched ones by id. Cost: 1 call
    per 1,000 payments read, plus 1 to 2 for the check. See :class:`PaymentFetch`.
    """

    _name = "xero.handler.payment.fetch"
    _inherit = "xero.task.reader"
    _description = "Xero task handler: fetch payments"
    _records = "account.payment"
    # What happened in Odoo: a payment or allocation made in Xero was imported, one Odoo had
    # was linked, one deleted in Xero was reversed (unreconciled, cancelled).
    _outcome_words = {
        "created": _lt("imported"),
        "updated": _lt("reversed"),
        "linked": _lt("linked"),
    }
    _note_words = {
        "created": _lt("Imported from Xero"),
        "updated": _lt("Deleted in Xero: reversed in Odoo"),
        "linked": _lt("Linked with its Xero payment"),
    }
    _outcome_counts = {
        "created": (_lt("1 imported"), _lt("%(count)s imported")),
        "updated": (_lt("1 reversed"), _lt("%(count)s reversed")),
    }

    @api.model
    def _start(self, task, mode):
        return self._fetch(task.connection_id, task).start()

    @api.model
    def _read(self, task, mode, state):
        return self._fetch(task.connection_id, task).step(state)

    @api.model
    def _report(self, task, state):
        return self._fetch(task.connection_id, task).report(state)

    @api.model
    def _fetch(self, connection, task=None):
        """The fetch of ``task`` (None: its preview, which writes nothing)."""
        return PaymentFetch(self.with_company(connection.company_id), connection, task)

    @api.model
    def _preview_bulk(self, connection, mode, fresh=False):
        """The payments waiting in Xero, handled by the run's own steps without writing: the
        waiting payments read again by id, then the first ``PREVIEW_PAGES`` pages modified
        since the last fetch. Each row is the log line the run would write (its record: the
        Odoo invoice a payment would be imported on). The note: the run's counts, and what
        the run does that the preview leaves (more pages, credit note allocations, amounts
        due)."""
        fetch = self._fetch(connection)
        state = fetch.start()
        while not state.get("payments_done") and state["pages"] < PREVIEW_PAGES:
            fetch.step(state)
        rows = [
            self._preview_result_row(
                (line["res_model"], line["res_id"], line["res_name"]),
                Result(line["outcome"], line["xero_id"], line["message"]),
            )
            for line in fetch.preview_lines
        ]
        note = fetch.done_lines(state)
        if not state.get("payments_done"):
            note.append(self._unread_note(_("payments modified since the last fetch")))
        note.append(
            _(
                "The run then also reconciles the credit note allocations made in Xero and "
                "compares the amounts due: not previewed."
            )
        )
        return rows, "\n".join(note)

    @api.model
    def _preview_scope(self, connection, mode):
        """The dealer's documents linked to Xero (a payment made or reconciled in Odoo
        changes its invoice's amount due)."""
        domain = [("company_id", "=", connection.company_id.id), ("xero_invoice_id", "!=", False)]
        return [self.env["account.move"].search(domain, order="id")]

    @api.model
    def _preview_action(self, result):
        """A payment on an invoice Odoo does not have: "Not imported"."""
        if result.outcome == "skipped":
            return "not_imported"
        return super()._preview_action(result)

    @api.model
    def _finished(self, task):
        task.connection_id._xero_fetch_finished(task)
