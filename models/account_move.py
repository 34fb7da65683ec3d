import logging
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round

from ..xero_api import payloads, wire

_logger = logging.getLogger(__name__)

XERO_INVOICE_URL = "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=%s"
SENDABLE_LINES = ("product", "line_section", "line_note")
UNSUPPORTED_LINES = {"rounding": "cash rounding", "epd": "early payment discount"}


class AccountMove(models.Model):
    """Customer invoices as Xero ACCREC invoices, with Xero's totals equal to Odoo's.

    Totals: every product line carries its ``TaxAmount`` as Odoo computed it, the cents that
    Odoo's global rounding moves between lines being given to the lines with the largest tax
    (largest-remainder), so ``TotalTax`` and ``Total`` in Xero are Odoo's to the cent. Each
    create is checked against Xero's answer; a difference is logged as an error on the invoice.
    """

    _name = "account.move"
    _inherit = ["account.move", "xero.sync.mixin"]

    xero_invoice_id = fields.Char(
        string="Xero invoice ID", copy=False, index="btree_not_null", tracking=True
    )
    xero_sync_state = fields.Selection(
        [
            ("not_sent", "Not in Xero"),
            ("sent", "In Xero"),
            ("error", "Error"),
            ("voided", "Voided in Xero"),
        ],
        string="Xero status",
        default="not_sent",
        copy=False,
        index=True,
    )
    xero_last_sync = fields.Datetime(string="Last sent to Xero", copy=False)
    xero_last_error = fields.Text(string="Last Xero error", copy=False)
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")
    xero_pdf_name = fields.Char(string="PDF sent", copy=False)
    xero_pdf_checksum = fields.Char(copy=False)
    xero_pdf_date = fields.Datetime(string="PDF sent on", copy=False)

    @api.depends("xero_invoice_id")
    def _compute_xero_url(self):
        for move in self:
            move.xero_url = (
                XERO_INVOICE_URL % move.xero_invoice_id if move.xero_invoice_id else False
            )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero > Send Invoice: create in Xero if not linked, else update (or void)."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            raise UserError(_("Only customer invoices are sent to Xero."))
        return self.env["xero.task"]._run_one_off("send_invoice", invoices)

    # ------------------------------------------------------------------ sync protocol

    @api.model
    def _xero_candidates(self, connection, mode):
        domain = [
            ("company_id", "=", connection.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ]
        if mode == "pdf":
            # Only the invoices whose current version Xero does not have (no Xero call).
            moves = self.search(domain + [("xero_invoice_id", "!=", False)], order="id")
            return moves.filtered(lambda m: m._xero_pdf_version() != m.xero_pdf_checksum)
        return self.search(domain + [("xero_invoice_id", "=", False)], order="id")

    @api.model
    def _xero_preview(self, connection, mode, records=None):
        invoices = records or self._xero_candidates(connection, mode)
        if mode == "pdf":
            return [
                dict(
                    move._xero_pdf_preview(),
                    res_id=move.id,
                    name=move.name,
                    partner_id=move.partner_id.id,
                    currency_id=move.currency_id.id,
                    amount_total=move.amount_total,
                    xero_id=move.xero_invoice_id,
                )
                for move in invoices
            ]
        rows = []
        for start in range(0, len(invoices), 50):
            chunk = invoices[start : start + 50]
            plan = chunk._xero_plan(connection, mode, preview=True)
            for move in chunk:
                action, xero_id, reason = plan[move.id]
                rows.append(
                    {
                        "res_id": move.id,
                        "name": move.name,
                        "partner_id": move.partner_id.id,
                        "action": action,
                        "reason": reason,
                        "xero_id": xero_id,
                        "currency_id": move.currency_id.id,
                        "amount_total": move.amount_total,
                    }
                )
        return rows

    def _xero_send_batch(self, task, mode, records):
        if mode == "pdf":
            return records._xero_send_pdfs(task)
        connection = task.connection_id
        invoices = records.with_company(connection.company_id)
        self._xero_send_missing_customers(task, invoices)
        plan = invoices._xero_plan(connection, mode)
        results, creates, updates, voids = {}, [], [], []
        for move in invoices:
            action, xero_id, reason = plan[move.id]
            if action == "blocked":
                results[move.id] = ("blocked", None, reason)
            elif action == "skip":
                results[move.id] = ("skipped", xero_id, reason)
            elif action == "link":
                move._xero_linked(xero_id)
                results[move.id] = ("linked", xero_id, reason)
            elif action == "void":
                voids.append(move)
            elif action == "update":
                updates.append(move)
            else:
                creates.append(move)
        results.update(self._xero_create_invoices(connection, creates))
        results.update(self._xero_update_invoices(connection, updates, voids, plan))
        for move in invoices:
            outcome, _xid, message = results[move.id]
            if outcome in ("blocked", "error"):
                move.write(
                    {
                        "xero_last_error": message,
                        "xero_sync_state": "error"
                        if not move.xero_invoice_id
                        else move.xero_sync_state,
                    }
                )
        return results

    def _xero_send_missing_customers(self, task, invoices):
        """Customers not in Xero yet are sent first, in this task, by the customer code path."""
        partners = invoices.commercial_partner_id.filtered(lambda p: not p.xero_contact_id)
        if partners:
            self.env["res.partner"]._xero_send_dependencies(task, "new", partners)

    # ------------------------------------------------------------------ planning

    def _xero_plan(self, connection, mode, preview=False):
        """What happens to each invoice: create, link, update, void, skip or blocked.

        One bulk look-up by invoice number (``InvoiceNumbers`` filter) per batch finds
        invoices already in Xero (a create that reached Xero before a crash, or one typed
        there) so they are linked, never duplicated.
        :return: ``{move_id: (action, xero_id, reason)}``
        """
        plan, to_match = {}, self.browse()
        currencies = self._xero_enabled_currencies(connection)
        maps = self.env["xero.mapping"]._maps(connection)
        for move in self:
            blocked = move._xero_block_reason(connection, currencies, maps, preview)
            if blocked:
                plan[move.id] = ("blocked", move.xero_invoice_id or None, blocked)
            elif move.xero_invoice_id:
                if mode == "new":
                    plan[move.id] = ("skip", move.xero_invoice_id, _("Already in Xero."))
                elif move.state == "cancel":
                    plan[move.id] = ("void", move.xero_invoice_id, False)
                else:
                    plan[move.id] = ("update", move.xero_invoice_id, False)
            elif move.state == "cancel":
                plan[move.id] = ("skip", None, _("Cancelled and not in Xero."))
            else:
                to_match |= move
        existing = self._xero_fetch_by_number(connection, to_match.mapped("name"))
        for move in to_match:
            found = existing.get(move.name)
            if not found:
                plan[move.id] = ("create", None, False)
                continue
            partner = move.commercial_partner_id.with_company(connection.company_id)
            # A customer not linked yet (preview: it is sent first) is compared by name.
            same_contact = (
                found["Contact"]["ContactID"] == partner.xero_contact_id
                if partner.xero_contact_id
                else (found["Contact"].get("Name") or "").strip().lower()
                == (partner.name or "").strip().lower()
            )
            same_total = (
                float_compare(
                    float(found.get("Total") or 0),
                    move.amount_total,
                    precision_rounding=move.currency_id.rounding,
                )
                == 0
            )
            if same_contact and same_total:
                plan[move.id] = (
                    "link",
                    found["InvoiceID"],
                    _("Invoice %s already exists in Xero for this customer and total.", move.name),
                )
            else:
                plan[move.id] = (
                    "blocked",
                    None,
                    _(
                        "Invoice number %(name)s already exists in Xero for %(contact)s, total "
                        "%(total)s: check it in Xero.",
                        name=move.name,
                        contact=found["Contact"].get("Name") or found["Contact"]["ContactID"],
                        total=found.get("Total"),
                    ),
                )
        return plan

    def _xero_block_reason(self, connection, currencies, maps, preview):
        """Why this invoice cannot be sent (a user-readable sentence), or False."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return _("Only customer invoices are sent to Xero.")
        if self.company_id != connection.company_id:
            return _("The invoice belongs to %s, not to this dealer.", self.company_id.name)
        if self.state == "draft":
            return _("The invoice is not posted.")
        if self.state == "cancel" and not self.xero_invoice_id:
            return False
        if (
            not self.xero_invoice_id
            and float_compare(self.amount_total, 0, precision_rounding=self.currency_id.rounding)
            <= 0
        ):
            return _("Zero or negative total: Xero takes only invoices above zero.")
        if currencies is not None and self.currency_id.name not in currencies:
            return _("Currency %s is not enabled in the Xero organisation.", self.currency_id.name)
        partner = self.commercial_partner_id.with_company(connection.company_id)
        if not partner.xero_contact_id:
            if preview:
                if not (partner.name or "").strip():
                    return _("Customer has no Xero contact and is not sendable: no name.")
                return False
            return _(
                "Customer %(name)s has no Xero contact and could not be sent: %(why)s",
                name=partner.display_name,
                why=partner.xero_last_error or _("unknown"),
            )
        try:
            self._xero_invoice_values(connection, maps)
        except payloads.PayloadError as exc:
            return str(exc)
        return False

    @api.model
    def _xero_enabled_currencies(self, connection):
        """Currency codes enabled in the organisation (one call), or None when all are local."""
        if all(m.currency_id == connection.company_id.currency_id for m in self):
            return None
        answer = connection._xero_call("get_currencies")
        codes = {c["Code"] for c in answer.get("Currencies") or []}
        return codes | {connection.org_currency or connection.company_id.currency_id.name}

    @api.model
    def _xero_fetch_by_number(self, connection, numbers):
        """Sales invoices Xero has under these numbers (``InvoiceNumbers``, split by length)."""
        found = {}
        for chunk in wire.chunk_by_length(numbers, str, separator_len=3):
            for invoice in connection._xero_read_all(
                "get_invoices", "Invoices", invoice_numbers=chunk, unitdp=4
            ):
                if invoice.get("Type") == "ACCREC" and invoice.get("Status") not in (
                    "DELETED",
                    "VOIDED",
                ):
                    found[invoice["InvoiceNumber"]] = invoice
        return found

    # ------------------------------------------------------------------ values

    def _xero_invoice_values(self, connection, maps=None):
        """The plain values ``payloads.invoice_payload`` maps, with Odoo's taxes per line.

        :raise payloads.PayloadError: unmapped account or tax, or what Xero cannot take.
        """
        self.ensure_one()
        maps = maps or self.env["xero.mapping"]._maps(connection)
        accounts, default_account = maps["account"]
        taxes, default_tax = maps["tax"]
        for line in self.line_ids:
            if line.display_type in UNSUPPORTED_LINES:
                raise payloads.PayloadError(
                    _(
                        "Invoice %(name)s has a %(what)s line, which is not sent to Xero.",
                        name=self.name,
                        what=UNSUPPORTED_LINES[line.display_type],
                    )
                )
        # filtered() narrows the prefetch to one invoice: keep the batch's, so the lines'
        # taxes are read once for the whole batch.
        all_lines = self.invoice_line_ids
        lines = all_lines.filtered(lambda ln: ln.display_type in SENDABLE_LINES).with_prefetch(
            all_lines._prefetch_ids
        )
        product_lines = lines.filtered(lambda ln: ln.display_type == "product").with_prefetch(
            all_lines._prefetch_ids
        )
        all_taxes = product_lines.tax_ids
        if all_taxes and len(set(all_taxes.mapped("price_include"))) > 1:
            raise payloads.PayloadError(
                _(
                    "Invoice %s mixes tax-included and tax-excluded "
                    "prices; Xero takes one kind per invoice.",
                    self.name,
                )
            )
        amount_types = (
            "NoTax"
            if not all_taxes
            else ("Inclusive" if all_taxes[0].price_include else "Exclusive")
        )
        line_taxes = self._xero_line_taxes(product_lines)
        values = []
        for line in lines:
            if line.display_type != "product":
                values.append(
                    {
                        "kind": "section" if line.display_type == "line_section" else "note",
                        "description": line.name,
                        "line_item_id": line.xero_line_item_id,
                    }
                )
                continue
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
            if len(line.tax_ids) > 1:
                raise payloads.PayloadError(
                    _(
                        'Invoice %(name)s: line "%(line)s" has several taxes; Xero takes one tax '
                        "type per line.",
                        name=self.name,
                        line=line.name,
                    )
                )
            tax_type = None
            if line.tax_ids:
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
            elif amount_types != "NoTax":
                tax_type = connection.no_tax_type
            values.append(
                {
                    "kind": "product",
                    "description": line.name or line.product_id.display_name,
                    "quantity": line.quantity,
                    "unit_price": line.price_unit,
                    "discount": line.discount,
                    "account_code": code[0],
                    "tax_type": tax_type,
                    "tax_amount": line_taxes.get(line.id) if amount_types != "NoTax" else None,
                    "line_item_id": line.xero_line_item_id,
                }
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
            "status": connection.invoice_status,
            "line_amount_types": amount_types,
            "invoice_id": self.xero_invoice_id or None,
            "lines": values,
        }

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

    # ------------------------------------------------------------------ sending

    @api.model
    def _xero_create_invoices(self, connection, moves):
        """PUT the new invoices in one call; link each and check its totals."""
        if not moves:
            return {}
        bodies, results, sent = [], {}, []
        maps = self.env["xero.mapping"]._maps(connection)
        for move in moves:
            invoice, warnings = payloads.invoice_payload(
                move._xero_invoice_values(connection, maps)
            )
            bodies.append(invoice)
            sent.append((move, warnings))
        answers = self._xero_put_invoices(connection, "create_invoices", bodies)
        for (move, warnings), answer in zip(sent, answers, strict=True):
            results[move.id] = move._xero_record_answer(answer, warnings, "created")
        return results

    @api.model
    def _xero_put_invoices(self, connection, method, bodies):
        """One call for the batch; one ``{"record"} | {"errors"}`` per body, in order."""
        return self._xero_batch_call(connection, method, "Invoices", bodies, unitdp=4)

    def _xero_record_answer(self, answer, warnings, outcome, check_totals=True):
        self.ensure_one()
        if answer.get("errors"):
            message = "; ".join(answer["errors"])
            outcome = "blocked" if "archived" in message.lower() else "error"
            return (outcome, None, message)
        invoice = answer["record"]
        self._xero_linked(invoice["InvoiceID"], invoice.get("LineItems"))
        notes = list(warnings) + list(answer.get("warnings") or [])
        mismatch = check_totals and self._xero_total_mismatch(invoice)
        if mismatch:
            self.write({"xero_last_error": mismatch, "xero_sync_state": "error"})
            return ("error", invoice["InvoiceID"], mismatch)
        return (outcome, invoice["InvoiceID"], "; ".join(notes) or False)

    def _xero_linked(self, xero_id, line_items=None):
        """Store the link (and Xero's line ids, in the order the lines were sent)."""
        self.ensure_one()
        self.write(
            {
                "xero_invoice_id": xero_id,
                "xero_sync_state": "sent",
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
            }
        )
        if line_items:
            lines = self.invoice_line_ids.filtered(lambda ln: ln.display_type in SENDABLE_LINES)
            sent = [ln for ln in lines if ln.display_type == "product" or ln.name]
            for line, item in zip(sent, line_items, strict=False):
                if item.get("LineItemID") and line.xero_line_item_id != item["LineItemID"]:
                    line.xero_line_item_id = item["LineItemID"]

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
