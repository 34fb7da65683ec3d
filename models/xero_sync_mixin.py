from collections import defaultdict

from odoo import _, api, models

from ..xero_api import errors as xero_errors
from .xero_task import BATCH_SIZE


class XeroSyncMixin(models.AbstractModel):
    """The protocol a task type's target model implements; the runner needs nothing else.

    - ``_xero_candidates(connection, mode)``: what a bulk task sends (the "to send" list).
    - ``_xero_preview(connection, mode, records)``: what would happen to each record, without
      writing anything to Xero: ``[{res_id, action, reason, xero_id, ...}]``.
    - ``_xero_send_batch(task, mode, records)``: send at most 50 records in as few calls as
      possible; return ``{res_id: (outcome, xero_id, message)}``.
    The defaults below turn these into the runner's plan/step.
    """

    _name = "xero.sync.mixin"
    _description = "Xero synchronisation protocol"

    @api.model
    def _xero_candidates(self, connection, mode):
        return self.browse()

    @api.model
    def _xero_preview(self, connection, mode, records=None):
        return []

    def _xero_send_batch(self, task, mode, records):
        raise NotImplementedError

    @api.model
    def _xero_step_size(self, mode):
        """Records per step: each step is committed once Xero has answered it."""
        return BATCH_SIZE

    @api.model
    def _xero_batch_call(self, connection, method, key, bodies, **kwargs):
        """Write ``bodies`` in ONE call with per-item outcomes (``summarizeErrors=false``).

        :return: one dict per body, in order: ``{"record": item, "warnings": [...]}`` or
            ``{"errors": [...]}``. When Xero refuses the whole call (a 400 lists only the
            failing items, not by batch position), every item carries Xero's message.
        """
        if not bodies:
            return []
        try:
            answer = connection._xero_call(
                method, summarize_errors=False, **{key.lower(): {key: bodies}}, **kwargs
            )
        except xero_errors.XeroValidationError as exc:
            return [{"errors": [exc.user_message()]} for _body in bodies]
        out = []
        for item in answer.get(key) or []:
            messages = [e.get("Message") for e in item.get("ValidationErrors") or []]
            if item.get("StatusAttributeString") == "ERROR":
                out.append({"errors": messages or [_("Xero refused this record.")]})
            else:
                out.append({"record": item, "warnings": messages})
        if len(out) != len(bodies):
            return [
                {
                    "errors": [
                        _("Xero answered %(n)s items for %(m)s sent.", n=len(out), m=len(bodies))
                    ]
                }
                for _body in bodies
            ]
        return out

    @api.model
    def _xero_task_plan(self, task, mode):
        """Write the task's work list: one pending line per record to send."""
        if task.res_ids is not None and task.res_model == self._name:
            records = self.browse(task.res_ids).exists()
        else:
            records = self._xero_candidates(task.connection_id, mode)
        task._add_lines(records)

    @api.model
    def _xero_task_step(self, task, mode):
        """Send the next batch of pending records; return True when none is left."""
        lines = task._pending_lines(self._xero_step_size(mode))
        if lines:
            records = self.browse(lines.mapped("res_id")).exists()
            gone = lines.filtered(lambda line: line.res_id not in records.ids)
            gone._log("skipped", message=_("The record was deleted in Odoo."))
            results = records._xero_send_batch(task, mode, records) if records else {}
            self._xero_log_results(lines - gone, results)
        return not task._pending_lines(1)

    @api.model
    def _xero_log_results(self, lines, results):
        """Write outcomes on ``lines`` from ``{res_id: (outcome, xero_id, message)}``.

        A record the handler did not answer for is an error, never silently "done".
        """
        grouped = defaultdict(lambda: self.env["xero.task.line"])
        for line in lines:
            grouped[results.get(line.res_id, ("error", None, "No answer for this record."))] |= line
        for (outcome, xero_id, message), group in grouped.items():
            group._log(outcome, xero_id=xero_id or False, message=message or False)

    def _xero_send_dependencies(self, task, mode, records):
        """Send ``records`` (e.g. the customers of invoices) inside ``task``, logged as lines.

        Uses the records' own send path (so they are matched, never duplicated).
        :return: the results dict of ``_xero_send_batch``.
        """
        if not records:
            return {}
        results = {}
        for start in range(0, len(records), BATCH_SIZE):
            chunk = records[start : start + BATCH_SIZE]
            lines = task._add_lines(chunk)
            chunk_results = chunk._xero_send_batch(task, mode, chunk)
            self.env[records._name]._xero_log_results(lines, chunk_results)
            results.update(chunk_results)
        return results
