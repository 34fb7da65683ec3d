from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round
from odoo.tools.translate import LazyTranslate

from ..xero_api import payloads
from ..xero_api.documents import XERO_DOCUMENTS
from ..xero_api.payloads import totals as xero_totals
from .xero_columns import write_xero_columns
from .xero_result import Result
from .xero_texts import xero_texts

_lt = LazyTranslate(__name__)

SENDABLE_LINES = ("product", "line_section", "line_note")
UNSUPPORTED_LINES = {
    "rounding": _lt("cash rounding"),
    "epd": _lt("early payment discount"),
}


XERO_SYNC_STATES = [
    ("not_sent", "Not in Xero"),
    ("linked", "In Xero"),
    ("sent", "Approved in Xero"),
    ("paid", "Paid in Xero"),
    ("draft", "Draft in Xero"),
    ("differs", "Differs from Xero"),
    ("voided", "Voided in Xero"),
    ("missing", "Not found in Xero"),
    ("error", "Xero error"),
]
XERO_DOCUMENT_STATUSES = [
    ("DRAFT", "Draft"),
    ("SUBMITTED", "Awaiting approval"),
    ("AUTHORISED", "Awaiting payment"),
    ("PAID", "Paid"),
    ("VOIDED", "Voided"),
    ("DELETED", "Deleted"),
    ("missing", "Not found"),
]
XERO_DRAFTS = ("DRAFT", "SUBMITTED")
XERO_CANCELLED = ("VOIDED", "DELETED")


class AccountMove(models.Model):
    """Customer invoices as Xero ACCREC invoices, with Xero's totals equal to Odoo's.

    Totals: every product line carries its ``TaxAmount`` as Odoo computed it, the cents that
    Odoo's global rounding moves between lines being given to the lines with the largest tax
    (largest-remainder), and its ``LineAmount`` as Odoo booked it (a line whose quantity, unit
    price and discount would not give Xero that amount is sent as quantity 1 at an exact unit
    amount: ``payloads.invoice_payload``), so ``TotalTax`` and ``Total`` in Xero are Odoo's to
    the cent. What Xero will compute is worked out before sending; an invoice that still would
    differ goes DRAFT, and one Xero approved with other totals is voided (``handlers/invoices``).
    What Send Invoice(s) does is in ``handlers/invoices.py``; here are the links, the values an
    invoice is built from, and what a send writes back.
    """

    _inherit = "account.move"

    xero_invoice_id = fields.Char(
        string="Xero invoice ID", copy=False, index="btree_not_null", tracking=True
    )
    xero_sync_state = fields.Selection(
        XERO_SYNC_STATES,
        string="Xero status",
        compute="_compute_xero_sync_state",
        store=True,
        copy=False,
        index=True,
        help="What the addon last knew of this document in Xero: from the last send, link or "
        "Compare with Xero.",
    )
    xero_document_status = fields.Selection(
        XERO_DOCUMENT_STATUSES,
        string="Status in Xero",
        copy=False,
        readonly=True,
        help="Xero's status of the document when it was last sent, linked or compared.",
    )
    xero_amount_due = fields.Monetary(
        string="Amount due in Xero",
        currency_field="currency_id",
        copy=False,
        readonly=True,
        help="What Xero said was left to pay (or to allocate) when it was last read.",
    )
    xero_last_read = fields.Datetime(string="Last read from Xero", copy=False, readonly=True)
    xero_attention = fields.Text(
        string="Needs attention",
        copy=False,
        readonly=True,
        help="How Xero's document differs from what Odoo expects (a draft Odoo expects "
        "approved, or what the last Compare with Xero found).",
    )
    xero_last_sync = fields.Datetime(string="Last sent to Xero", copy=False)
    xero_last_error = fields.Text(string="Last Xero error", copy=False)
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")
    xero_pdf_name = fields.Char(string="PDF sent", copy=False)
    xero_pdf_checksum = fields.Char(copy=False)
    xero_pdf_date = fields.Datetime(string="PDF sent on", copy=False)
    xero_removed_allocations = fields.Json(
        copy=False,
        readonly=True,
        help="Xero allocations of this credit note whose reconciliation was removed in Odoo: "
        "Send New Payments deletes them in Xero.",
    )

    @api.depends("xero_invoice_id", "xero_document_status", "xero_last_error", "xero_attention")
    def _compute_xero_sync_state(self):
        """One status from what the addon stores, never "in Xero" beside an error.

        Not linked: an error (the last send failed) or not in Xero. Linked: not found in Xero,
        voided there, the last send failed, a draft in Xero, differing from Xero (Compare),
        paid, approved; "In Xero" when the link was made without reading Xero's status.
        """
        for move in self:
            status = move.xero_document_status
            if not move.xero_invoice_id:
                state = "error" if move.xero_last_error else "not_sent"
            elif status == "missing":
                state = "missing"
            elif status in XERO_CANCELLED:
                state = "voided"
            elif move.xero_last_error:
                state = "error"
            elif status in XERO_DRAFTS:
                state = "draft"
            elif move.xero_attention:
                state = "differs"
            elif status == "PAID":
                state = "paid"
            elif status == "AUTHORISED":
                state = "sent"
            else:
                state = "linked"
            move.xero_sync_state = state

    @api.depends("xero_invoice_id", "move_type", "company_id")
    def _compute_xero_url(self):
        """The document in its dealer's own Xero organisation (a deep link with the
        organisation's short code)."""
        Connection = self.env["xero.connection"].sudo()
        connections = {
            conn.company_id.id: conn
            for conn in Connection.search([("company_id", "in", self.company_id.ids)])
        }
        for move in self:
            document = XERO_DOCUMENTS.get(move.move_type)
            if not (document and move.xero_invoice_id):
                move.xero_url = False
                continue
            connection = connections.get(move.company_id.id, Connection)
            move.xero_url = connection._xero_deep_link(document.url % move.xero_invoice_id)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_xero(self):
        """An invoice or credit note in Xero is never deleted: its Xero twin would live on,
        linked to nothing. Cancelling it is the way (Send Invoice then voids it in Xero)."""
        for move in self:
            if move.xero_invoice_id and move.xero_document_status not in XERO_CANCELLED:
                raise UserError(
                    _(
                        "%s is in Xero and cannot be deleted: cancel it instead (Send Invoice "
                        "then voids it in Xero).",
                        move.display_name,
                    )
                )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero > Send Invoice / Send Credit Note: create in Xero if not linked, else
        update (or void), one task per dealer and kind of document."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        refunds = self.filtered(lambda m: m.move_type == "out_refund")
        if not (invoices or refunds):
            raise UserError(_("Only customer invoices and credit notes are sent to Xero."))
        Task = self.env["xero.task"]
        tasks = Task.browse()
        for task_type, moves in (("send_invoice", invoices), ("send_credit_note", refunds)):
            if moves:
                tasks |= Task._run_one_off_tasks(task_type, moves)
        return tasks._action_open_tasks()

    def _xero_document(self):
        """How Xero names this document (``XERO_DOCUMENTS``)."""
        self.ensure_one()
        return XERO_DOCUMENTS[self.move_type]

    # ------------------------------------------------------------------ values

    def _xero_invoice_values(self, connection, maps=None):
        """The plain values ``payloads.invoice_payload`` maps, with Odoo's taxes per line.

        :raise payloads.PayloadError: unmapped account or tax, or what Xero cannot take.
        """
        self.ensure_one()
        maps = maps or self.env["xero.mapping"]._maps(connection)
        self._xero_check_unsupported_lines()
        lines, product_lines = self._xero_sendable_lines()
        amount_types = self._xero_line_amount_types(product_lines)
        line_taxes = self._xero_line_taxes(product_lines)
        # Xero's rate of each tax type, when "Load from Xero" has read them (cached per batch).
        xero_rates = {c.code: c.rate for c in connection.code_ids if c.kind == "tax"}
        values = []
        for line in lines:
            if line.display_type != "product":
                values.append(self._xero_text_line_values(line))
                continue
            tax = line_taxes.get(line.id) if amount_types != "NoTax" else None
            values.append(
                self._xero_product_line_values(
                    line, connection, maps, amount_types, tax, xero_rates
                )
            )
        return {
            "number": self.name,
            "reference": self.ref or self.payment_reference,
            "contact_id": self.commercial_partner_id.with_company(
                connection.company_id
            ).xero_contact_id,
            "date": self.invoice_date,
            "due_date": self.invoice_date_due,
            "currency": self.currency_id.name,
            "currency_rate": self._xero_currency_rate(),
            "status": connection.invoice_status,
            "total": self.amount_total,
            "total_tax": self.amount_tax if amount_types != "NoTax" else 0.0,
            "line_amount_types": amount_types,
            "invoice_id": self.xero_invoice_id or None,
            "lines": values,
            # Xero's credit notes take no DiscountRate: their lines go at the discounted amount.
            "discounts": self.move_type != "out_refund",
        }

    def _xero_check_unsupported_lines(self):
        """Refuse an invoice with a line kind Xero has no place for (``UNSUPPORTED_LINES``)."""
        for line in self.line_ids:
            if line.display_type in UNSUPPORTED_LINES:
                raise payloads.PayloadError(
                    _(
                        "Invoice %(name)s has a %(what)s line, which is not sent to Xero.",
                        name=self.name,
                        what=self.env._(UNSUPPORTED_LINES[line.display_type]),
                    )
                )

    def _xero_sendable_lines(self):
        """The invoice's lines sent to Xero, and those of them that are products."""
        # filtered() narrows the prefetch to one invoice: keep the batch's, so the lines'
        # taxes are read once for the whole batch.
        all_lines = self.invoice_line_ids
        lines = all_lines.filtered(lambda ln: ln.display_type in SENDABLE_LINES).with_prefetch(
            all_lines._prefetch_ids
        )
        product_lines = lines.filtered(lambda ln: ln.display_type == "product").with_prefetch(
            all_lines._prefetch_ids
        )
        return lines, product_lines

    def _xero_line_amount_types(self, product_lines):
        """Xero's ``LineAmountTypes`` of the invoice: one kind of price for all its lines."""
        all_taxes = product_lines.tax_ids
        if all_taxes and len(set(all_taxes.mapped("price_include"))) > 1:
            raise payloads.PayloadError(
                _(
                    "Invoice %s mixes tax-included and tax-excluded "
                    "prices; Xero takes one kind per invoice.",
                    self.name,
                )
            )
        return (
            "NoTax"
            if not all_taxes
            else ("Inclusive" if all_taxes[0].price_include else "Exclusive")
        )

    def _xero_text_line_values(self, line):
        """The values of a section or note line."""
        return {
            "kind": "section" if line.display_type == "line_section" else "note",
            "description": line.name,
            "line_item_id": line.xero_line_item_id,
        }

    def _xero_product_line_values(self, line, connection, maps, amount_types, tax, xero_rates):
        """The values of a product line, ``tax`` being Odoo's tax amount on it."""
        code = self._xero_line_account_code(line, maps)
        tax_type = self._xero_line_tax_type(line, connection, maps, amount_types)
        # What Odoo booked for the line (round_globally moves cents between lines' bases),
        # tax included when the prices are.
        amount = self.direction_sign * line.amount_currency
        return {
            "kind": "product",
            "description": line.name or line.product_id.display_name,
            "quantity": line.quantity,
            "unit_price": line.price_unit,
            "discount": line.discount,
            "line_amount": amount + (tax if amount_types == "Inclusive" else 0.0),
            "account_code": code[0],
            "tax_type": tax_type,
            "tax_amount": tax,
            "tax_rate": self._xero_tax_rate(line, tax_type, xero_rates),
            "line_item_id": line.xero_line_item_id,
        }

    def _xero_line_account_code(self, line, maps):
        """The mapping of the line's income account to a Xero account code."""
        accounts, default_account = maps["account"]
        code = accounts.get(line.account_id.id, default_account)
        if not code:
            raise payloads.PayloadError(
                _(
                    "Invoice %(name)s: income account %(account)s has no Xero account code: "
                    "map it in Xero > Configuration > Connections > Mappings.",
                    name=self.name,
                    account=line.account_id.display_name,
                )
            )
        return code

    def _xero_line_tax_type(self, line, connection, maps, amount_types):
        """The Xero tax type of a product line: its tax's mapping, or the connection's
        no-tax type on an untaxed line of a taxed invoice."""
        if len(line.tax_ids) > 1:
            raise payloads.PayloadError(
                _(
                    'Invoice %(name)s: line "%(line)s" has several taxes; Xero takes one tax '
                    "type per line.",
                    name=self.name,
                    line=line.name,
                )
            )
        if line.tax_ids:
            taxes, default_tax = maps["tax"]
            tax_type = (taxes.get(line.tax_ids.id, default_tax) or (None,))[0]
            if not tax_type:
                raise payloads.PayloadError(
                    _(
                        "Invoice %(name)s: tax %(tax)s has no Xero tax type: map it in Xero > "
                        "Configuration > Connections > Mappings.",
                        name=self.name,
                        tax=line.tax_ids.display_name,
                    )
                )
            return tax_type
        if amount_types != "NoTax":
            return connection.no_tax_type
        return None

    def _xero_tax_rate(self, line, tax_type, xero_rates):
        """The percent Xero applies to the line's tax type: Xero's own when loaded, else the
        Odoo tax's percentage; None when neither is known (Xero then judges the TaxAmount)."""
        if tax_type in xero_rates:
            return xero_rates[tax_type]
        if not line.tax_ids:
            return 0.0
        return line.tax_ids.amount if line.tax_ids.amount_type == "percent" else None

    def _xero_currency_rate(self):
        """Odoo's own rate for Xero's ``CurrencyRate`` (None in the company's currency).

        Units of the invoice's currency per unit of the company's (Odoo's
        ``invoice_currency_rate``, Xero's convention too), 6 decimals, such that the total in
        the company's currency Xero derives (``Total / CurrencyRate``) is Odoo's
        ``amount_total_signed`` to the cent (``totals.currency_rate``).
        """
        self.ensure_one()
        if self.currency_id == self.company_currency_id:
            return None
        rate = xero_totals.currency_rate(
            self.amount_total, self.amount_total_signed, self.invoice_currency_rate
        )
        return float(rate) if rate is not None else None

    def _xero_line_taxes(self, product_lines):
        """Each line's tax so that they add up to Odoo's tax total exactly.

        Odoo rounds per line or globally (company setting); Xero rounds per line. We take each
        line's own tax (total - subtotal) and give the cents of difference, one by one, to the
        lines with the largest tax: the sum is then ``amount_tax`` to the cent.
        """
        self.ensure_one()
        rounding = self.currency_id.rounding
        taxes = {
            ln.id: Decimal(
                str(float_round(ln.price_total - ln.price_subtotal, precision_rounding=rounding))
            )
            for ln in product_lines
        }
        if not taxes:
            return {}
        step = Decimal(str(rounding))
        diff = Decimal(str(float_round(self.amount_tax, precision_rounding=rounding))) - sum(
            taxes.values()
        )
        order = sorted(taxes, key=lambda lid: abs(taxes[lid]), reverse=True)
        i = 0
        while abs(diff) >= step / 2 and order:
            lid = order[i % len(order)]
            delta = step if diff > 0 else -step
            taxes[lid] += delta
            diff -= delta
            i += 1
        return {lid: float(amount) for lid, amount in taxes.items()}

    # ------------------------------------------------------------------ what a send writes

    def _xero_record_answer(self, answer, warnings, outcome, check_totals=True):
        self.ensure_one()
        if answer.get("errors"):
            message = "; ".join(answer["errors"])
            outcome = "blocked" if "archived" in message.lower() else "error"
            return Result(outcome, None, message)
        invoice = answer["record"]
        xero_id = invoice[self._xero_document().id]
        notes = xero_texts(self.env, warnings) + list(answer.get("warnings") or [])
        mismatch = check_totals and self._xero_total_mismatch(invoice)
        message = "; ".join([mismatch, *notes]) if mismatch else False
        self._xero_linked(xero_id, invoice.get("LineItems"), invoice, notes, error=message)
        if mismatch:
            return Result("error", xero_id, message)
        return Result(outcome, xero_id, "; ".join(notes) or False)

    def _xero_linked(self, xero_id, line_items=None, document=None, notes=(), error=False):
        """Store the link (and Xero's line ids, in the order the lines were sent), with
        Xero's status and amount due when ``document`` (Xero's answer or match) is known, and
        ``error`` as the last error (False: the send went through)."""
        self.ensure_one()
        vals = {
            "xero_invoice_id": xero_id,
            "xero_last_sync": fields.Datetime.now(),
            "xero_last_error": error,
        }
        if document:
            vals.update(self._xero_read_values(document, vals["xero_last_sync"]))
            vals["xero_attention"] = self._xero_draft_attention(vals["xero_document_status"], notes)
        write_xero_columns(self, vals)
        if line_items:
            lines = self.invoice_line_ids.filtered(lambda ln: ln.display_type in SENDABLE_LINES)
            sent = [ln for ln in lines if ln.display_type == "product" or ln.name]
            changed = [
                (line, item["LineItemID"])
                for line, item in zip(sent, line_items, strict=False)
                if item.get("LineItemID") and line.xero_line_item_id != item["LineItemID"]
            ]
            write_xero_columns(  # one UPDATE for the lines, as for the invoice
                self.env["account.move.line"].browse([line.id for line, _id in changed]),
                [{"xero_line_item_id": xero_line_id} for _line, xero_line_id in changed],
            )

    def _xero_set_error(self, message):
        """Record why the last send failed: the Xero status says so, linked or not."""
        self.ensure_one()
        write_xero_columns(self, {"xero_last_error": message})

    def _xero_read_values(self, document, now):
        """The columns of what Xero said of this document (``document`` as Xero lists it, or
        None when Xero has none): its status and what is left to pay or allocate."""
        self.ensure_one()
        if document is None:
            return {
                "xero_document_status": "missing",
                "xero_amount_due": False,
                "xero_last_read": now,
            }
        status = document.get("Status")
        key = "RemainingCredit" if self.move_type == "out_refund" else "AmountDue"
        due = document.get(key)
        return {
            "xero_document_status": status if status in dict(XERO_DOCUMENT_STATUSES) else False,
            "xero_amount_due": float(due) if due is not None else False,
            "xero_last_read": now,
        }

    def _xero_store_reads(self, documents, attentions=None):
        """Record in one ``UPDATE`` what Xero said of each of these linked documents.

        ``documents``: Xero's documents by lower-case Xero id (a document absent: Xero has
        none). ``attentions``: when given, ``{move id: what needs attention, or False}`` (what
        a Compare found), replacing the stored one.
        """
        now = fields.Datetime.now()
        vals_list = []
        for move in self:
            vals = move._xero_read_values(documents.get(move.xero_invoice_id.lower()), now)
            if attentions is not None:
                vals["xero_attention"] = attentions.get(move.id) or False
            vals_list.append(vals)
        write_xero_columns(self, vals_list)

    def _xero_set_voided(self, messages=None):
        """Record, in one ``UPDATE``, that Xero voided these documents; ``messages``: why, one
        per document, as the last error; None when the void was what Odoo asked for."""
        if not self:
            return
        now = fields.Datetime.now()
        vals = {
            "xero_document_status": "VOIDED",
            "xero_amount_due": False,
            "xero_last_read": now,
            "xero_last_sync": now,
            "xero_attention": False,
            "xero_last_error": False,
        }
        write_xero_columns(
            self,
            [dict(vals, xero_last_error=m) for m in messages] if messages else vals,
        )

    def _xero_store_errors(self, messages):
        """Record, in one ``UPDATE``, why the last send of each document failed."""
        write_xero_columns(self, [{"xero_last_error": m} for m in messages])

    def _xero_draft_attention(self, status, notes):
        """Why a document Xero keeps as a draft needs attention, or False when the dealer
        sends drafts (or Xero has it approved)."""
        if status not in XERO_DRAFTS:
            return False
        connection = (
            self.env["xero.connection"]
            .sudo()
            .search([("company_id", "=", self.company_id.id)], limit=1)
        )
        if connection.invoice_status in XERO_DRAFTS:
            return False
        if notes:
            return _(
                "Xero keeps it as a draft, where Odoo expects it approved (AUTHORISED): %(why)s",
                why="; ".join(notes),
            )
        return _("Xero keeps it as a draft, where Odoo expects it approved (AUTHORISED).")

    def _xero_total_mismatch(self, invoice):
        """A message when Xero's Total or TotalTax differs from Odoo's, else False."""
        rounding = self.currency_id.rounding
        total, tax = float(invoice.get("Total") or 0), float(invoice.get("TotalTax") or 0)
        if float_compare(total, self.amount_total, precision_rounding=rounding) or float_compare(
            tax, self.amount_tax, precision_rounding=rounding
        ):
            return _(
                "Totals differ: Xero has %(xt)s (tax %(xtax)s), Odoo %(ot)s (tax %(otax)s).",
                xt=total,
                xtax=tax,
                ot=self.amount_total,
                otax=self.amount_tax,
            )
        return False
