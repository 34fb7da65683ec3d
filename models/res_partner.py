import time
from typing import NamedTuple

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..xero_api import payloads, wire
from .xero_task import BATCH_SIZE

NAME_TAKEN = "already assigned to another contact"
SCAN_PAGE = 1000  # contacts per page when reading a whole organisation (Xero's largest page)
CONTACT_PAGES_TTL = 600  # seconds an organisation's size (in pages) is trusted
# tenant id -> (pages of contacts, when seen): a cost hint only, so a process-local memory.
_CONTACT_PAGES = {}


def contact_key(partner_id):
    """Our stable ContactNumber for a partner: a create that reached Xero is found again."""
    return "ODOO-%d" % partner_id


class Decision(NamedTuple):
    """What happens to one customer: the action, the Xero contact concerned, why, the name to
    send (None: the partner's), and whether the contact is offered for linking by hand."""

    action: str
    contact: dict | None
    reason: str | bool
    name: str | None = None
    candidate: bool = False


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
        help="A Xero contact with the same name but another email: link it by hand if it is "
        "this customer.",
    )
    xero_candidate_name = fields.Char(
        string="Possible Xero contact name", company_dependent=True, copy=False
    )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero > Send Customer: create or update each in its dealer's Xero (the
        partner's company, or the current company for a partner shared by all)."""
        partners = self.commercial_partner_id.with_context(active_test=False)
        return self.env["xero.task"]._run_one_off("send_customer", partners)

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
        for start in range(0, len(partners), BATCH_SIZE):
            chunk = partners[start : start + BATCH_SIZE]
            plan = chunk._xero_plan(connection, mode)
            rows += [
                {
                    "res_id": partner.id,
                    "name": partner.display_name,
                    "partner_id": partner.id,
                    "action": plan[partner.id].action,
                    "reason": plan[partner.id].reason,
                    "xero_id": (plan[partner.id].contact or {}).get("ContactID"),
                }
                for partner in chunk
            ]
        return rows

    def _xero_send_batch(self, task, mode, records):
        """Send up to 50 customers in one Xero call; link, create or update each."""
        connection = task.connection_id
        partners = records.with_company(connection.company_id).with_context(active_test=False)
        plan = partners._xero_plan(connection, mode)
        results, to_send = {}, []
        for partner in partners:
            decision = plan[partner.id]
            if decision.action == "blocked":
                results[partner.id] = ("blocked", None, decision.reason)
                partner._xero_blocked(decision)
            elif decision.action == "skip":
                results[partner.id] = ("skipped", partner.xero_contact_id, decision.reason)
            elif decision.action == "link":
                contact = decision.contact
                partner.write(
                    {
                        "xero_contact_id": contact["ContactID"],
                        "xero_last_error": False,
                        "xero_contact_name": contact.get("Name"),
                    }
                )
                results[partner.id] = ("linked", contact["ContactID"], decision.reason)
            else:
                to_send.append((partner, decision))
        results.update(self._xero_push_contacts(connection, to_send))
        return results

    def _xero_blocked(self, decision):
        """Record why; a name-only match is offered for "Link to this Xero contact"."""
        contact = decision.contact or {}
        self.write(
            {
                "xero_last_error": decision.reason,
                "xero_candidate_id": contact.get("ContactID") if decision.candidate else False,
                "xero_candidate_name": contact.get("Name") if decision.candidate else False,
            }
        )

    def _xero_push_contacts(self, connection, to_send):
        """Create/update contacts in one call; retry name clashes once with a distinct name."""
        results, items = {}, []
        for partner, decision in to_send:
            try:
                payload, warnings = payloads.contact_payload(
                    partner._xero_contact_values(decision.name)
                )
            except payloads.PayloadError as exc:
                results[partner.id] = ("blocked", None, str(exc))
                partner.xero_last_error = str(exc)
                continue
            if decision.action == "update" and partner.xero_payload_hash == _checksum(payload):
                results[partner.id] = (
                    "skipped",
                    partner.xero_contact_id,
                    _("Unchanged since the last send."),
                )
                continue
            items.append((partner, decision.action, payload, warnings))
        retry = []
        answers = self._xero_batch_call(
            connection, "update_or_create_contacts", "Contacts", [item[2] for item in items]
        )
        for (partner, action, payload, warnings), answer in zip(items, answers, strict=True):
            if any(NAME_TAKEN in e for e in answer.get("errors") or []):
                # Xero's unique names: never a failure loop, the documented distinct name.
                name = payloads.distinct_contact_name(
                    payload["Name"], partner.ref, contact_key(partner.id)
                )
                retry.append((partner, action, dict(payload, Name=name), warnings))
                continue
            results[partner.id] = partner._xero_record_answer(action, payload, warnings, answer)
        answers = self._xero_batch_call(
            connection, "update_or_create_contacts", "Contacts", [item[2] for item in retry]
        )
        for (partner, action, payload, warnings), answer in zip(retry, answers, strict=True):
            results[partner.id] = partner._xero_record_answer(action, payload, warnings, answer)
        return results

    def _xero_record_answer(self, action, payload, warnings, answer):
        self.ensure_one()
        if answer.get("errors"):
            message = "; ".join(answer["errors"])
            self.xero_last_error = message
            return ("error", None, message)
        contact_id = answer["record"]["ContactID"]
        self.write(
            {
                "xero_contact_id": contact_id,
                "xero_contact_name": payload.get("Name"),
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
                "xero_payload_hash": _checksum(payload),
                "xero_candidate_id": False,
                "xero_candidate_name": False,
            }
        )
        notes = list(warnings) + list(answer.get("warnings") or [])
        if payload.get("Name") and payload["Name"] != (self.name or "").strip():
            notes.append(_('Sent as "%s" (Xero names are unique).', payload["Name"]))
        outcome = "created" if action == "create" else "updated"
        return (outcome, contact_id, "; ".join(notes) or False)

    # ------------------------------------------------------------------ matching

    def _xero_plan(self, connection, mode):
        """Decide for each partner: create, update, link, skip or blocked (no Xero write).

        Candidates are fetched in bulk: a ``where`` clause OR-ing the batch's ContactNumbers,
        AccountNumbers, emails and names (archived included), split so that no query string
        passes Xero's ~2 KB limit: 2 to 5 calls for a batch of 50. That is cheaper than reading
        the organisation's contacts page by page (one call per 100 contacts) for any
        organisation above a few hundred contacts, which is the case of our customers.
        :return: ``{partner_id: Decision}``.
        """
        partners = self.with_company(connection.company_id)
        company = connection.company_id
        plan, unlinked = {}, self.browse()
        for partner in partners:
            if partner.company_id and partner.company_id != company:
                plan[partner.id] = Decision(
                    "blocked",
                    None,
                    _("The customer belongs to %s, not to this dealer.", partner.company_id.name),
                )
            elif partner.xero_contact_id:
                contact = {"ContactID": partner.xero_contact_id}
                if mode == "new":
                    plan[partner.id] = Decision("skip", contact, _("Already in Xero."))
                else:
                    plan[partner.id] = Decision(
                        "update", contact, False, partner._xero_update_name()
                    )
            elif not partner.active:
                plan[partner.id] = Decision("skip", None, _("Archived in Odoo and not in Xero."))
            elif not (partner.name or "").strip():
                plan[partner.id] = Decision("blocked", None, _("The customer has no name."))
            else:
                unlinked |= partner
        if unlinked:
            plan.update(unlinked._xero_match_all(connection))
        return plan

    def _xero_match_all(self, connection):
        contacts = self._xero_fetch_candidates(connection)
        linked_elsewhere = set(
            self.with_context(active_test=False)
            .search(
                [
                    ("xero_contact_id", "in", [c["ContactID"] for c in contacts]),
                    ("id", "not in", self.ids),
                ]
            )
            .mapped("xero_contact_id")
        )
        free = [c for c in contacts if c["ContactID"] not in linked_elsewhere]
        names_taken = {
            (c.get("Name") or "").strip().lower()
            for c in contacts
            if c.get("ContactStatus") != "ARCHIVED"
        }
        plan = {}
        for partner in self:
            decision = partner._xero_match(free)
            if decision.action == "link":
                # One Xero contact links one customer: the next one with the same email or
                # name is a different customer (created with a distinct name).
                free.remove(decision.contact)
            wanted = partner.name.strip().lower()
            if decision.action == "create":
                if wanted in names_taken:
                    decision = decision._replace(
                        name=payloads.distinct_contact_name(
                            partner.name, partner.ref, contact_key(partner.id)
                        )
                    )
                names_taken.add(wanted)
            plan[partner.id] = decision
        return plan

    def _xero_fetch_candidates(self, connection):
        """The Xero contacts that may be these partners, at the lowest number of calls.

        Two ways, whichever costs fewer calls for this batch: the filtered look-up (the batch's
        keys, references, emails and names OR-ed, split under Xero's query-length limit: 3 to
        5 calls for 50 customers), or a read of all the organisation's contacts, 1,000 a page
        (one call up to 1,000 contacts). The size of the organisation is remembered for a few
        minutes per tenant; when unknown, the first page of the read tells it.
        """
        terms = []
        for partner in self:
            terms.append(("ContactNumber", contact_key(partner.id)))
            if partner.ref:
                terms.append(("AccountNumber", partner.ref.strip()))
            if partner.email:
                terms.append(("EmailAddress", partner.email.strip()))
            terms.append(("Name", partner.name.strip()))
        chunks = list(wire.chunk_by_length(terms, lambda term: _where_or([term])))
        known = _CONTACT_PAGES.get(connection.tenant_id)
        if known is None or known[1] < time.time() - CONTACT_PAGES_TTL or known[0] <= len(chunks):
            contacts = self._xero_scan_contacts(connection, len(chunks))
            if contacts is not None:
                return contacts
        found = {}
        for chunk in chunks:
            for contact in connection._xero_read_all(
                "get_contacts", "Contacts", where=_where_or(chunk), include_archived=True
            ):
                found[contact["ContactID"]] = contact
        return list(found.values())

    @api.model
    def _xero_scan_contacts(self, connection, budget):
        """All the organisation's contacts, unless that takes more than ``budget`` calls."""
        contacts, page = [], 1
        while True:
            answer = connection._xero_call(
                "get_contacts", include_archived=True, page=page, page_size=SCAN_PAGE
            )
            pages = (answer.get("pagination") or {}).get("pageCount") or page
            _CONTACT_PAGES[connection.tenant_id] = (pages, time.time())
            if pages > budget:
                return None
            contacts += answer.get("Contacts") or []
            if page >= pages:
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
            return Decision("create", None, False)
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
            return Decision("blocked", found, reason, candidate=True)
        return self._xero_match_found(found, _("same name"))

    def _xero_match_found(self, contact, why):
        reason = _('Matches Xero contact "%(name)s" (%(why)s).', name=contact.get("Name"), why=why)
        if contact.get("ContactStatus") == "ARCHIVED":
            return Decision(
                "blocked", contact, _("%s It is archived in Xero: restore it there first.", reason)
            )
        return Decision("link", contact, reason)

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
