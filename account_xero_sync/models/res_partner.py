from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..xero_api import payloads
from .xero_result import Result
from .xero_texts import xero_text, xero_texts


def contact_key(partner_id):
    """Our stable ContactNumber for a partner: a create that reached Xero is found again."""
    return "ODOO-%d" % partner_id


def checksum(payload):
    """What was sent, whether as a create or an update (the ContactID is not content)."""
    return payloads.payload_checksum({k: v for k, v in payload.items() if k != "ContactID"})


class ResPartner(models.Model):
    """Customers as Xero contacts: one per dealer's organisation (company-dependent links).

    What Send Customer(s) does is in ``handlers/customers.py``; here are the links, the values
    a contact is built from, and what a send writes back on the partner.
    """

    _inherit = "res.partner"

    xero_contact_id = fields.Char(
        string="Xero contact ID",
        company_dependent=True,
        copy=False,
        help="The contact of this customer in the current dealer's Xero organisation.",
    )
    xero_last_sync = fields.Datetime(string="Last sent to Xero", company_dependent=True, copy=False)
    xero_last_error = fields.Text(string="Last Xero error", company_dependent=True, copy=False)
    xero_payload_hash = fields.Char(company_dependent=True, copy=False)
    xero_contact_name = fields.Char(
        string="Name in Xero",
        company_dependent=True,
        copy=False,
        help="The name last sent to Xero (distinct when another contact has this name).",
    )
    xero_candidate_id = fields.Char(
        string="Possible Xero contact",
        company_dependent=True,
        copy=False,
        help="A Xero contact found by name alone (with another email), or by email or reference "
        "alone (with another name): link it by hand if it is this customer.",
    )
    xero_candidate_name = fields.Char(
        string="Possible Xero contact name", company_dependent=True, copy=False
    )
    xero_status = fields.Selection(
        [
            ("not_sent", "Not in Xero"),
            ("linked", "In Xero"),
            ("candidate", "Possible Xero contact to check"),
            ("error", "Xero error"),
        ],
        string="Xero status",
        compute="_compute_xero_status",
        help="In the current dealer's Xero organisation, as the last send or link left it: an "
        "error whenever the last send failed, linked or not.",
    )
    xero_url = fields.Char(
        string="Xero contact",
        compute="_compute_xero_url",
        help="The contact in the current dealer's Xero organisation.",
    )

    @api.depends_context("company")
    @api.depends("xero_contact_id", "xero_last_error", "xero_candidate_id")
    def _compute_xero_status(self):
        for partner in self:
            if partner.xero_last_error:
                partner.xero_status = "error"
            elif partner.xero_contact_id:
                partner.xero_status = "linked"
            elif partner.xero_candidate_id:
                partner.xero_status = "candidate"
            else:
                partner.xero_status = "not_sent"

    @api.depends_context("company")
    @api.depends("xero_contact_id")
    def _compute_xero_url(self):
        """The contact in the current dealer's own Xero organisation (a deep link with the
        organisation's short code)."""
        connection = (
            self.env["xero.connection"]
            .sudo()
            .search([("company_id", "=", self.env.company.id)], limit=1)
        )
        for partner in self:
            partner.xero_url = (
                connection._xero_deep_link(f"/Contacts/View/{partner.xero_contact_id}")
                if partner.xero_contact_id
                else False
            )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero > Send Customer: create or update each in its dealer's Xero (the
        partner's company, or the current company for a partner shared by all)."""
        partners = self.commercial_partner_id.with_context(active_test=False)
        return self.env["xero.task"]._run_one_off("send_customer", partners)

    def action_xero_link_candidate(self):
        """Link this customer to the Xero contact a send found but would not link by itself
        (same name and another email, or same email or reference and another name). Each
        customer's chatter says so (one note each, written together)."""
        notes = {}
        for partner in self:
            if not partner.xero_candidate_id:
                raise UserError(_("%s has no possible Xero contact to link.", partner.name))
            notes[partner] = Markup("<p>%s</p>") % self.env._(
                "Linked by hand to the Xero contact %(name)s (Xero ID %(xero_id)s): Link to "
                "this Xero contact.",
                name=partner.xero_candidate_name or "-",
                xero_id=partner.xero_candidate_id,
            )
            partner.write(
                {
                    "xero_contact_id": partner.xero_candidate_id,
                    "xero_candidate_id": False,
                    "xero_candidate_name": False,
                    "xero_last_error": False,
                }
            )
        self.env["xero.audit"]._log_notes(notes)
        return True

    # ------------------------------------------------------------------ what a send writes

    def _xero_link_contact(self, contact):
        """Link to an existing Xero contact found by matching."""
        self.write(
            {
                "xero_contact_id": contact["ContactID"],
                "xero_last_error": False,
                "xero_contact_name": contact.get("Name"),
            }
        )

    def _xero_set_blocked(self, reason, contact=None, candidate=False):
        """Record why; a name-only match is offered for "Link to this Xero contact"."""
        contact = contact or {}
        self.write(
            {
                "xero_last_error": xero_text(self.env, reason),
                "xero_candidate_id": contact.get("ContactID") if candidate else False,
                "xero_candidate_name": contact.get("Name") if candidate else False,
            }
        )

    def _xero_record_answer(self, action, payload, warnings, answer):
        self.ensure_one()
        if answer.get("errors"):
            message = "; ".join(answer["errors"])
            self.xero_last_error = message
            return Result("error", None, message)
        contact_id = answer["record"]["ContactID"]
        self.write(
            {
                "xero_contact_id": contact_id,
                "xero_contact_name": payload.get("Name"),
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
                "xero_payload_hash": checksum(payload),
                "xero_candidate_id": False,
                "xero_candidate_name": False,
            }
        )
        notes = xero_texts(self.env, warnings) + list(answer.get("warnings") or [])
        if payload.get("Name") and payload["Name"] != (self.name or "").strip():
            notes.append(_('Sent as "%s" (Xero names are unique).', payload["Name"]))
        outcome = "created" if action == "create" else "updated"
        return Result(outcome, contact_id, "; ".join(notes) or False)

    # ------------------------------------------------------------------ values

    def _xero_update_name(self):
        """The name to send on update: the distinct name Xero has, while it still fits."""
        distinct = payloads.distinct_contact_name(self.name, self.ref, contact_key(self.id))
        return distinct if self.xero_contact_name == distinct else None

    def _xero_contact_values(self, name=None):
        """The plain values ``payloads.contact_payload`` maps (no ORM in the payload layer)."""
        self.ensure_one()
        invoice = self.child_ids.filtered(lambda c: c.type == "invoice" and c.street)[:1]
        currency = (
            self.property_product_pricelist.currency_id
            if ("property_product_pricelist" in self._fields)
            else False
        )
        values = {
            "name": name or self.name,
            "is_company": self.is_company,
            "email": self.email,
            "vat": self.vat,
            "ref": self.ref,
            "contact_number": contact_key(self.id),
            "contact_id": self.xero_contact_id or None,
            "phone": self.phone,
            "mobile": self.mobile,
            "country_code": self.country_id.code,
            "country_name": self.country_id.name,
            "currency": currency.name if currency else None,
            # Only ever archives: never re-activates a contact someone archived in Xero.
            "archived": True if (not self.active and self.xero_contact_id) else None,
            **self._xero_address_values(self),
        }
        if invoice:
            values["invoice_address"] = self._xero_address_values(invoice)
        return values

    @staticmethod
    def _xero_address_values(partner):
        return {
            "street": partner.street,
            "street2": partner.street2,
            "city": partner.city,
            "state": partner.state_id.name,
            "zip": partner.zip,
            "country_code": partner.country_id.code,
            "country_name": partner.country_id.name,
        }
