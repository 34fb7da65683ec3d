"""The phased reader (``xero.task.reader``): the one shape of the handlers that read Xero."""

import copy

from odoo import _, api, models

from ..models.xero_texts import xero_text
from ..xero_api import paging
from ..xero_api.documents import XERO_DOCUMENTS

DOCUMENTS_PAGE = 1000  # Xero's largest page of invoices and credit notes
# A preview reads at most this many pages of each kind (1,000 records a page): a large
# organisation's preview says what it left to the run (see ``_preview_bulk``).
PREVIEW_PAGES = 1
# What the preview calls each outcome a reader's run logs (the wizard's actions).
PREVIEW_ACTIONS = {
    "linked": "link",
    "blocked": "blocked",
    "skipped": "skip",
    "created": "import",
    "updated": "reverse",
    "error": "blocked",
}


class XeroTaskReader(models.AbstractModel):
    """A handler that reads Xero page by page (Compare, Link Existing, Fetch New Payments).

    It keeps where it is in the task's ``handler_state`` (a JSON dict, committed with each
    step, so a crash resumes at the next page) and writes the task's ``report`` at the end.
    The base holds that phase code once; a reader implements:

    - ``_start(task, mode)``: the state to begin with (it may also write the work list);
    - ``_read(task, mode, state)``: one step of the current phase, updating ``state`` in
      place; True once the phase is done;
    - ``_report(task, state)``: the report's text, once the last phase is done.

    ``_phases``: the phases in order (the state's ``phase`` names the current one; the next
    starts at ``page`` 1); a reader without phases finishes when ``_read`` says it is done.

    Its preview (``_preview_bulk``) runs the run's own decisions on one read of Xero (at most
    ``PREVIEW_PAGES`` pages of each kind), writing nothing: each reader splits what it decides
    (a ``Result`` per record, the run's log line) from what the run then writes.
    """

    _name = "xero.task.reader"
    _inherit = "xero.task.handler"
    _description = "Xero task reader"
    _phases = ()

    # ------------------------------------------------------------------ entry points

    @api.model
    def _plan(self, task, mode):
        task.write({"handler_state": self._start(task, mode), "report": False})

    @api.model
    def _step(self, task, mode):
        """One step of the current phase; return True once the last one is done."""
        state = copy.deepcopy(task.handler_state or {})
        if self._read(task, mode, state) and not self._next_phase(state):
            task.write({"handler_state": state, "report": self._report(task, state)})
            return True
        task.handler_state = state
        return False

    @api.model
    def _preview(self, connection, mode, records=None, fresh=False):
        return self._preview_bulk(connection, mode, fresh=fresh)[0]

    @api.model
    def _preview_bulk(self, connection, mode, fresh=False):
        """What the run would log, read from Xero now and written nowhere: ``(rows, note)``,
        the note saying what the run reports besides (and what the preview left unread).
        ``fresh``: what the process keeps of the organisation is read again first (a reader
        reads its pages anew in any case)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ protocol

    @api.model
    def _start(self, task, mode):
        """The ``handler_state`` the task begins with."""
        return {"phase": self._phases[0], "page": 1} if self._phases else {}

    @api.model
    def _read(self, task, mode, state):
        """One step of ``state``'s phase (``state`` updated in place); True once it is done."""
        raise NotImplementedError

    @api.model
    def _report(self, task, state):
        """The task's report, written once the last phase is done."""
        return False

    @api.model
    def _read_documents_page(self, connection, move_type, page):
        """One page of the organisation's documents of ``move_type`` (sales invoices or credit
        notes): ``(records, more)``."""
        document = XERO_DOCUMENTS[move_type]
        return paging.read_page(
            connection._xero_call,
            document.read,
            document.key,
            page,
            where='Type=="%s"' % document.type,
            page_size=DOCUMENTS_PAGE,
        )

    @api.model
    def _preview_result_row(self, record, result):
        """The preview row of ``record`` (or ``(model, id, name)``) for the ``Result`` its run
        would log: the same outcome (``_preview_action``) and message."""
        model, res_id, name = (
            (record._name, record.id, record.display_name)
            if isinstance(record, models.BaseModel)
            else record
        )
        return {
            "res_model": model,
            "res_id": res_id,
            "name": name,
            "action": self._preview_action(result),
            "reason": xero_text(self.env, result.message) if result.message else False,
            "xero_id": result.xero_id or False,
        }

    @api.model
    def _preview_action(self, result):
        """The preview's action for the outcome the run would log."""
        return PREVIEW_ACTIONS[result.outcome]

    @api.model
    def _unread_note(self, what):
        """The note of a preview that read only the first pages of ``what``."""
        return _(
            "Xero has more %(what)s than the preview reads (%(count)s): the preview shows what "
            "the first %(count)s say; the run reads them all.",
            what=what,
            count=format(PREVIEW_PAGES * DOCUMENTS_PAGE, ","),
        )

    @api.model
    def _next_phase(self, state):
        """Move ``state`` to the next phase, at page 1; False after the last one."""
        phases = self._phases
        if not phases or state["phase"] == phases[-1]:
            return False
        state.update(phase=phases[phases.index(state["phase"]) + 1], page=1)
        return True
