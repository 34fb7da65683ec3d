import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..xero_api import errors as xero_errors
from ..xero_api import payloads

_logger = logging.getLogger(__name__)

NAME_TAKEN = "already assigned to another contact"


def contact_key(partner_id):
    """Our stable ContactNumber for a partner: a create that reached Xero is found again."""
    return "ODOO-%d" % partner_id


def _checksum(payload):
    """What was sent, whether as a create or an update (the ContactID is not content)."""
    return payloads.payload_checksum({k: v for k, v in payload.items() if k != "ContactID"})


def _where_or(terms):
    """A Xero ``where`` clause matching any of ``(field, value)`` (values quoted, escaped)."""
    quoted = (
        '%s=="%s"' % (field, value.replace("\\", "\\\\").replace('"', '\\"'))
        for field, value in terms
    )
    return " OR ".join(quoted)


class ResPartner(models.Model):
    """Customers as Xero contacts: one per dealer's organisation, never duplicated.

    Matching before creating, in this order: stored id, ContactNumber (our key, so a create that
    reached Xero before a crash is found again), AccountNumber (the partner's reference), email,
    exact name. A name match whose email differs is blocked for a person to decide.
    """

    _name = "res.partner"
    _inherit = ["res.partner", "xero.sync.mixin"]

    xero_contact_id = fields.Char(
        string="Xero contact ID",
        company_dependent=True,
        copy=False,
        help="The contact of this customer in the current dealer's Xero organisation.",
    )
    xero_last_sync = fields.Datetime(string="Last sent to Xero", company_dependent=True, copy=False)
    xero_last_error = fields.Text(string="Last Xero error", company_dependent=True, copy=False)
    xero_payload_hash = fields.Char(company_dependent=True, copy=False)
    xero_candidate_id = fields.Char(
        string="Possible Xero contact",
        company_dependent=True,
        copy=False,
        help="A Xero contact with the same name but another email: link it by hand if it is "
        "this customer.",
    )
    xero_candidate_name = fields.Char(
        string="Possible Xero contact name", company_dependent=True, copy=False
    )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero > Send Customer: create or update each in the current dealer's Xero."""
        partners = self.commercial_partner_id.with_context(active_test=False)
        task = self.env["xero.task"]._queue(
            self.env.company, "send_customer", partners, run_now=True
        )
        return task._action_open()

    def action_xero_link_candidate(self):
        """Link this customer to the Xero contact that matched by name only."""
        for partner in self:
            if not partner.xero_candidate_id:
                raise UserError(_("%s has no possible Xero contact to link.", partner.name))
            partner.write(
                {
                    "xero_contact_id": partner.xero_candidate_id,
                    "xero_candidate_id": False,
                    "xero_candidate_name": False,
                    "xero_last_error": False,
                }
            )
        return True

    # ------------------------------------------------------------------ sync protocol

    @api.model
    def _xero_candidates(self, connection, mode):
        """Customers of the dealer: customer rank > 0, or with posted customer invoices."""
        company = connection.company_id
        invoiced = self.env["account.move"]._read_group(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            ["commercial_partner_id"],
        )
        domain = [
            ("company_id", "in", (False, company.id)),
            "|",
            ("customer_rank", ">", 0),
            ("id", "in", [p.id for (p,) in invoiced]),
        ]
        partners = self.with_company(company).search(domain, order="id").commercial_partner_id
        if mode == "new":
            partners = partners.filtered(lambda p: not p.xero_contact_id)
        return partners.sorted("id")

    @api.model
    def _xero_preview(self, connection, mode, records=None):
        partners = records or self._xero_candidates(connection, mode)
        rows = []
        for start in range(0, len(partners), 50):
            chunk = partners[start : start + 50]
            plan = chunk._xero_plan(connection, mode)
            for partner in chunk:
                action, contact, reason = plan[partner.id]
                rows.append(
                    {
                        "res_id": partner.id,
                        "name": partner.display_name,
                        "partner_id": partner.id,
                        "action": action,
                        "reason": reason,
                        "xero_id": (contact or {}).get("ContactID"),
                    }
                )
        return rows

    def _xero_send_batch(self, task, mode, records):
        """Send up to 50 customers in one Xero call; link, create or update each."""
        connection = task.connection_id
        partners = records.with_company(connection.company_id).with_context(active_test=False)
        plan = partners._xero_plan(connection, mode)
        results, to_send = {}, []
        for partner in partners:
            action, contact, reason = plan[partner.id]
            if action == "blocked":
                results[partner.id] = ("blocked", None, reason)
                partner.xero_last_error = reason
            elif action == "skip":
                results[partner.id] = ("skipped", partner.xero_contact_id, reason)
            elif action == "link":
                partner.write({"xero_contact_id": contact["ContactID"], "xero_last_error": False})
                results[partner.id] = ("linked", contact["ContactID"], reason)
            else:
                to_send.append((partner, action, reason))
        if to_send:
            results.update(self._xero_push_contacts(connection, to_send, plan))
        return results

    def _xero_push_contacts(self, connection, to_send, plan):
        """Create/update contacts in one call; retry name clashes once with a distinct name."""
        results, items = {}, []
        for partner, action, _reason in to_send:
            try:
                payload, warnings = payloads.contact_payload(
                    partner._xero_contact_values(plan.get("_names", {}).get(partner.id))
                )
            except payloads.PayloadError as exc:
                results[partner.id] = ("blocked", None, str(exc))
                partner.xero_last_error = str(exc)
                continue
            if (
                action == "update"
                and not self.env.context.get("xero_force")
                and partner.xero_payload_hash == _checksum(payload)
            ):
                results[partner.id] = (
                    "skipped",
                    partner.xero_contact_id,
                    _("Unchanged since the last send."),
                )
                continue
            items.append((partner, action, payload, warnings))
        retry = []
        for (partner, action, payload, warnings), answer in zip(
            items, self._xero_post_contacts(connection, [i[2] for i in items]), strict=True
        ):
            errors = answer.get("errors")
            if errors and any(NAME_TAKEN in e for e in errors) and action == "create":
                payload = dict(
                    payload,
                    Name=payloads.distinct_contact_name(
                        payload["Name"], partner.ref, contact_key(partner.id)
                    ),
                )
                retry.append((partner, action, payload, warnings))
                continue
            results[partner.id] = partner._xero_record_answer(action, payload, warnings, answer)
        if retry:
            answers = self._xero_post_contacts(connection, [i[2] for i in retry])
            for (partner, action, payload, warnings), answer in zip(retry, answers, strict=True):
                results[partner.id] = partner._xero_record_answer(action, payload, warnings, answer)
        return results

    @api.model
    def _xero_post_contacts(self, connection, contacts):
        """POST the contacts (create or update) in one call; one answer dict per contact."""
        if not contacts:
            return []
        try:
            answer = connection._xero_call(
                "update_or_create_contacts", contacts={"Contacts": contacts}, summarize_errors=False
            )
        except xero_errors.XeroValidationError as exc:
            # The whole call was refused (Elements lists only the failing items, not by
            # batch position): every item of the batch carries Xero's message.
            return [{"errors": [exc.user_message()]} for _contact in contacts]
        out = []
        for contact in answer.get("Contacts", []):
            messages = [e.get("Message") for e in contact.get("ValidationErrors") or []]
            if contact.get("StatusAttributeString") == "ERROR" or (
                messages and not contact.get("ContactID")
            ):
                out.append({"errors": messages or [_("Xero refused this contact.")]})
            else:
                out.append({"contact": contact, "warnings": messages})
        return out

    def _xero_record_answer(self, action, payload, warnings, answer):
        self.ensure_one()
        if answer.get("errors"):
            message = "; ".join(answer["errors"])
            self.xero_last_error = message
            return ("error", None, message)
        contact_id = answer["contact"]["ContactID"]
        self.write(
            {
                "xero_contact_id": contact_id,
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
                "xero_payload_hash": _checksum(payload),
                "xero_candidate_id": False,
                "xero_candidate_name": False,
            }
        )
        notes = list(warnings) + list(answer.get("warnings") or [])
        if payload.get("Name") != self.name and payload.get("Name"):
            notes.append(_('Sent as "%s" (Xero names are unique).', payload["Name"]))
        return (
            "created" if action == "create" else "updated",
            contact_id,
            "; ".join(notes) or False,
        )

    # ------------------------------------------------------------------ matching

    def _xero_plan(self, connection, mode):
        """Decide for each partner: create, update, link, skip or blocked (no Xero write).

        Candidates are fetched with ONE call per batch: a ``where`` clause OR-ing the batch's
        ContactNumbers, AccountNumbers, emails and names (archived included). For a batch that
        is cheaper than reading the organisation's contacts page by page (one call per 100).
        :return: ``{partner_id: (action, xero_contact_or_None, reason)}``.
        """
        partners = self.with_company(connection.company_id)
        plan, unlinked = {}, self.browse()
        for partner in partners:
            if partner.xero_contact_id:
                if mode == "new":
                    plan[partner.id] = (
                        "skip",
                        {"ContactID": partner.xero_contact_id},
                        _("Already in Xero."),
                    )
                else:
                    plan[partner.id] = ("update", {"ContactID": partner.xero_contact_id}, False)
            elif not partner.active:
                plan[partner.id] = ("skip", None, _("Archived in Odoo and not in Xero."))
            elif not (partner.name or "").strip():
                plan[partner.id] = ("blocked", None, _("The customer has no name."))
            else:
                unlinked |= partner
        if not unlinked:
            return plan
        contacts = self._xero_fetch_candidates(connection, unlinked)
        linked_elsewhere = set(
            self.with_company(connection.company_id)
            .with_context(active_test=False)
            .search(
                [
                    ("xero_contact_id", "in", [c["ContactID"] for c in contacts]),
                    ("id", "not in", unlinked.ids),
                ]
            )
            .mapped("xero_contact_id")
        )
        free = [c for c in contacts if c["ContactID"] not in linked_elsewhere]
        names_taken = {
            (c.get("Name") or "").lower() for c in contacts if c.get("ContactStatus") != "ARCHIVED"
        }
        names = {}
        for partner in unlinked:
            plan[partner.id] = partner._xero_match(free)
            wanted = partner.name.strip().lower()
            if plan[partner.id][0] == "create" and wanted in names_taken:
                names[partner.id] = payloads.distinct_contact_name(
                    partner.name, partner.ref, contact_key(partner.id)
                )
            elif plan[partner.id][0] == "create":
                names_taken.add(wanted)
        plan["_names"] = names
        return plan

    def _xero_fetch_candidates(self, connection, partners):
        terms = []
        for partner in partners:
            terms.append(("ContactNumber", contact_key(partner.id)))
            if partner.ref:
                terms.append(("AccountNumber", partner.ref.strip()))
            if partner.email:
                terms.append(("EmailAddress", partner.email.strip()))
            terms.append(("Name", partner.name.strip()))
        contacts, page = [], 1
        while True:
            answer = connection._xero_call(
                "get_contacts", where=_where_or(terms), include_archived=True, page=page
            )
            batch = answer.get("Contacts") or []
            contacts += batch
            if len(batch) < 100:
                return contacts
            page += 1

    def _xero_match(self, contacts):
        """Match this partner against candidate contacts; see the class docstring."""
        self.ensure_one()
        key = contact_key(self.id)
        ref = (self.ref or "").strip().lower()
        email = (self.email or "").strip().lower()
        name = self.name.strip().lower()

        def low(contact, field):
            return (contact.get(field) or "").strip().lower()

        for field, value, why in (
            ("ContactNumber", key.lower(), _("same contact key %s", key)),
            ("AccountNumber", ref, _("same reference")),
            ("EmailAddress", email, _("same email")),
        ):
            found = value and next((c for c in contacts if low(c, field) == value), None)
            if found:
                return self._xero_match_found(found, why)
        found = next((c for c in contacts if low(c, "Name") == name), None)
        if not found:
            return ("create", None, False)
        if low(found, "EmailAddress") and email and low(found, "EmailAddress") != email:
            reason = _(
                'Xero contact "%(xname)s" (%(xid)s) has this name but the email %(xemail)s, '
                "not %(email)s: link it by hand from the customer's Xero tab if it is the same "
                "customer.",
                xname=found.get("Name"),
                xid=found["ContactID"],
                xemail=found.get("EmailAddress"),
                email=self.email,
            )
            self.write(
                {"xero_candidate_id": found["ContactID"], "xero_candidate_name": found.get("Name")}
            )
            return ("blocked", found, reason)
        return self._xero_match_found(found, _("same name"))

    def _xero_match_found(self, contact, why):
        reason = _('Matches Xero contact "%(name)s" (%(why)s).', name=contact.get("Name"), why=why)
        if contact.get("ContactStatus") == "ARCHIVED":
            return (
                "blocked",
                contact,
                _("%s It is archived in Xero: restore it there first.", reason),
            )
        return ("link", contact, reason)

    def _xero_contact_values(self, name=None):
        """The plain values ``payloads.contact_payload`` maps (no ORM in the payload layer)."""
        self.ensure_one()
        invoice = self.child_ids.filtered(lambda c: c.type == "invoice" and c.street)[:1]
        currency = (
            self.property_product_pricelist.currency_id
            if "property_product_pricelist" in self._fields
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
