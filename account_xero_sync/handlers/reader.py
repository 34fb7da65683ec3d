"""The phased reader (``xero.task.reader``): the one shape of the handlers that read Xero."""

import copy

from odoo import api, models

from ..xero_api import paging
from ..xero_api.documents import XERO_DOCUMENTS

DOCUMENTS_PAGE = 1000  # Xero's largest page of invoices and credit notes


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
        return []  # what a reader finds is only known by reading Xero

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
    def _read_documents_page(self, task, move_type, page):
        """One page of the organisation's documents of ``move_type`` (sales invoices or credit
        notes): ``(records, more)``."""
        document = XERO_DOCUMENTS[move_type]
        return paging.read_page(
            task.connection_id._xero_call,
            document.read,
            document.key,
            page,
            where='Type=="%s"' % document.type,
            page_size=DOCUMENTS_PAGE,
        )

    @api.model
    def _next_phase(self, state):
        """Move ``state`` to the next phase, at page 1; False after the last one."""
        phases = self._phases
        if not phases or state["phase"] == phases[-1]:
            return False
        state.update(phase=phases[phases.index(state["phase"]) + 1], page=1)
        return True
