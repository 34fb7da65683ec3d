"""The audit trail a task leaves: once it has ended, one chatter note on each record it created,
updated, voided or linked in Xero (or imported from Xero), naming the task.

Written at the task's end (``_finish``: done, failed or cancelled), from its log lines, so that
a record the task touched in several steps (sent, then checked again after an unanswered call;
an allocation and another of the same payment) still gets ONE note, and a task resumed after a
crash writes its notes once, when it ends. Blocked, skipped and failed records get none: the
task's log holds them, and a task that changes nothing in Xero leaves no note. The notes are
written in bulk (``xero.audit._log_notes``: one ``mail.message`` per record, one ``create`` per
model), never through the posting machinery, never by a write on the records.
"""

from collections import defaultdict

from markupsafe import Markup, escape

from odoo import models

# The log outcomes that changed something in Xero (or in Odoo from Xero): the ones noted.
NOTED_OUTCOMES = ("created", "updated", "linked")


class XeroTask(models.Model):
    _inherit = "xero.task"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the audit notes

    def _write_audit_notes(self):
        """One internal note per record this task created, updated, voided or linked in Xero
        (from its log lines), on the record's chatter; allocations on their payment (else
        their credit note). A constant number of queries per model, whatever the size."""
        self.ensure_one()
        task = self.sudo()  # the system's notes: no record rule read on the way
        lines = task.env["xero.task.line"].search_fetch(
            [
                ("task_id", "=", self.id),
                ("outcome", "in", NOTED_OUTCOMES),
                ("res_id", "!=", 0),
            ],
            ["res_model", "res_id", "outcome", "xero_id", "message"],
            order="id",
        )
        if not lines:
            return
        audit = task.env["xero.audit"]
        ids = defaultdict(list)
        for line in lines:
            ids[line.res_model].append(line.res_id)
        targets = {}
        for model, res_ids in ids.items():
            targets.update(audit._chatter_records(model, res_ids))
        words = task._handler()._note_words
        entries = defaultdict(list)  # record -> [entry Markup]
        for line in lines:
            record = targets.get((line.res_model, line.res_id))
            if record is None or line.outcome not in words:
                continue
            what = line.outcome
            if (
                what == "updated"
                and "voided" in words
                and line.res_model == "account.move"
                and record.xero_document_status == "VOIDED"
            ):
                what = "voided"
            entries[record].append(self._audit_entry(self.env._(words[what]), line, what))
        link = task._get_html_link(title="%s #%s" % (task.name, task.id))
        notes = {record: self._audit_body(link, items) for record, items in entries.items()}
        audit._log_notes(notes, author_id=task.user_id.partner_id.id or None)

    def _audit_entry(self, what, line, outcome):
        """What happened to one record, with its Xero id and the log's message."""
        text = (
            self.env._("%(what)s (Xero ID %(xero_id)s)", what=what, xero_id=line.xero_id)
            if line.xero_id
            else what
        )
        if line.message and outcome != "voided":  # "Voided in Xero." says it again
            text = self.env._("%(what)s: %(message)s", what=text, message=line.message)
        return escape(text)

    def _audit_body(self, link, items):
        """The note: one entry in a sentence, several as a list, naming the task (a link)."""
        if len(items) == 1:
            template = escape(self.env._("%(what)s, by the task %(task)s."))
            return Markup("<p>%s</p>") % (template % {"what": items[0], "task": link})
        head = escape(self.env._("By the task %(task)s:")) % {"task": link}
        rows = Markup("").join(Markup("<li>%s</li>") % item for item in items)
        return Markup("<p>%s</p><ul>%s</ul>") % (head, rows)
