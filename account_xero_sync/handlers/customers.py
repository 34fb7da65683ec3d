from odoo import _, api, models
from odoo.tools import SQL

from ..models.res_partner import checksum, contact_key
from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Decision
from ..xero_api import payloads
from . import org_index

NAME_TAKEN = "already assigned to another contact"
ACCOUNT_TAKEN = "Account Number already exists"
# Xero's answer to any update of a contact whose Website was typed in Xero without
# http(s):// (Xero-NetStandard#434, #623); Website is read-only in the API: only Xero fixes it.
WEBSITE_INVALID = "Website must be valid."


class XeroHandlerCustomers(models.AbstractModel):
    """Send New Customers, Send All Customers, Send Customer: customers as Xero contacts.

    Sends: new contacts with ``PUT /Contacts`` (which only creates: ``POST`` would update a
    contact it matches by number or name) and updates with ``POST /Contacts`` by ContactID, 50
    a call; a name Xero says is taken is matched again against a fresh read (linked, blocked,
    or sent once more with a distinct name), an account number it has is left out on a second
    send. Reads: the candidate contacts of each batch (see ``org_index``: the organisation
    read once, then what changed, at most once a minute). Cost: 1 call per 50 new customers
    once the organisation is read, plus one read a minute.

    AccountNumber (the partner's reference) is unique in Xero: a reference that several of the
    dealer's customers share in Odoo is left out of every one of them, said on the log line.

    Matching before creating, in this order: stored id, ContactNumber (our key, so a create that
    reached Xero before a crash is found again), AccountNumber (the partner's reference), email,
    exact name. A name match whose email differs, and an email or reference match whose name
    differs (case and spaces aside), are blocked for a person to decide ("Link to this Xero
    contact" on the partner). One Xero contact links one customer.
    """

    _name = "xero.handler.customers"
    _inherit = "xero.task.handler"
    _description = "Xero task handler: customers"
    _records = "res.partner"

    @api.model
    def _candidates(self, connection, mode, all_dates=False):
        """The dealer's own customers, never another dealer's (whatever their dates): see
        ``_candidates_of_dealers``; mode new: those not linked to its organisation."""
        company = connection.company_id
        dealer = self.with_company(company)
        ids = dealer._candidates_of_dealers(company, unlinked=mode == "new")[company.id]
        return self.env["res.partner"].with_company(company).browse(sorted(ids))

    @api.model
    def _candidates_of_dealers(self, companies, unlinked=False):
        """``{company id: partner ids}``: the customers of each dealer of ``companies`` (the
        dealer dashboard counts them for all its cards at once), in four queries whatever
        their number; ``unlinked``: only those not linked to the dealer's organisation.

        - the commercial partners of the dealer's partners with a customer rank (a customer
          created for this dealer is its customer before its first invoice);
        - shared partners (no company) the dealer has invoiced or credited: a posted customer
          invoice or credit note of the dealer (``customer_rank`` is global: it says that
          some dealer sells to the partner, not which one).
        """
        Partner = self.env["res.partner"]
        result = {company.id: set() for company in companies}
        ranked = Partner._read_group(
            [("company_id", "in", companies.ids), ("customer_rank", ">", 0)],
            ["company_id", "commercial_partner_id"],
        )
        for company, partner in ranked:
            result[company.id].add(partner.id)
        invoiced = self.env["account.move"]._read_group(
            [
                ("company_id", "in", companies.ids),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            ["company_id", "commercial_partner_id"],
        )
        invoiced_ids = {partner.id for _company, partner in invoiced}
        owner = {
            partner.id: partner.company_id.id
            for partner in Partner.search_fetch([("id", "in", list(invoiced_ids))], ["company_id"])
        }
        for company, partner in invoiced:
            if partner.id in owner and owner[partner.id] in (False, company.id):
                result[company.id].add(partner.id)
        if unlinked:
            ids = list(set().union(*result.values()))
            rows = self.env.execute_query(
                SQL("SELECT id, xero_contact_id FROM res_partner WHERE id = ANY(%s)", ids)
            )
            links = {pid: link or {} for pid, link in rows}
            for company_id, partner_ids in result.items():
                result[company_id] = {
                    pid for pid in partner_ids if not links.get(pid, {}).get(str(company_id))
                }
        return result

    @api.model
    def _preview_row(self, record, decision):
        return dict(super()._preview_row(record, decision), partner_id=record.id)

    @api.model
    def _send_batch(self, batch, records):
        """Send up to 50 customers in one Xero call; link, create or update each."""
        connection, task = batch.connection, batch.task
        partners = records.with_company(connection.company_id).with_context(active_test=False)
        left = len(task._pending_lines(10 * BATCH_SIZE)) if task else 0
        batch = batch.but(batches_left=-(-left // BATCH_SIZE) or 1)
        plan = self._decide(batch, partners)
        results, to_send = {}, []
        for partner in partners:
            decision = plan[partner.id]
            if decision.action == "skip":
                results[partner.id] = Result("skipped", partner.xero_contact_id, decision.reason)
            elif decision.action in ("link", "blocked"):
                results[partner.id] = self._apply_match(partner, decision)
            else:
                to_send.append((partner, decision))
        results.update(self._push_contacts(batch, to_send))
        return results

    @api.model
    def _apply_match(self, partner, decision):
        """Link ``partner`` to the contact a match found, or record why it is blocked (with the
        contact offered for "Link to this Xero contact"): its log result."""
        if decision.action == "link":
            partner._xero_link_contact(decision.xero)
        else:
            partner._xero_set_blocked(decision.reason, decision.xero, decision.candidate)
        return self._match_result(decision)

    @api.model
    def _match_result(self, decision):
        """The log result of a match (``link`` or ``blocked``), as ``_apply_match`` logs it."""
        if decision.action == "link":
            return Result("linked", decision.xero_id, decision.reason)
        return Result("blocked", decision.xero_id if decision.candidate else None, decision.reason)

    @api.model
    def _push_contacts(self, batch, to_send):
        """Create (PUT) and update (POST by id) contacts, one call each; send a name or an
        account number Xero already has once more, with a distinct name or without it."""
        connection = batch.connection
        results, items = {}, []
        shared = self._shared_refs(connection, [partner for partner, _d in to_send])
        for partner, decision in to_send:
            try:
                payload, warnings = self._contact_payload(partner, decision, shared)
            except payloads.PayloadError as exc:
                results[partner.id] = Result("blocked", None, str(exc))
                partner.xero_last_error = xero_text(self.env, exc)
                continue
            items.append((partner, decision.action, payload, warnings))
        for attempt in (1, 2):
            retry, taken = [], []
            for (partner, action, payload, warnings), answer in self._write_contacts(
                connection, items
            ):
                errors = answer.get("errors") or []
                if (
                    attempt == 1
                    and action == "create"
                    and errors
                    and all(NAME_TAKEN in e for e in errors)
                ):
                    taken.append((partner, payload, warnings))
                    continue
                again = attempt == 1 and self._second_try(partner, payload, warnings, errors)
                if again:
                    retry.append((partner, action, *again))
                    continue
                if WEBSITE_INVALID in errors:
                    answer = dict(answer, errors=[self._website_note()])
                results[partner.id] = partner._xero_record_answer(action, payload, warnings, answer)
            retry += self._match_taken_names(batch, taken, results)
            items = retry
        return results

    @api.model
    def _contact_payload(self, partner, decision, shared):
        """The contact as ``decision`` sends it: ``(payload, warnings)``, without an account
        number ``shared`` by several customers. :raises PayloadError: not sendable."""
        payload, warnings = payloads.contact_payload(partner._xero_contact_values(decision.name))
        if payload.get("AccountNumber", "").strip().lower() in shared:
            payload.pop("AccountNumber")
            warnings.append(self._account_note(partner, shared=True))
        return payload, warnings

    @api.model
    def _skip_unchanged(self, connection, partners, plan):
        """In ``plan``, an update whose contact is what the last send sent is skipped
        ("Unchanged since the last send."): the run sends nothing for it, its preview says so."""
        updates = partners.filtered(lambda p: plan[p.id].action == "update")
        shared = self._shared_refs(connection, updates) if updates else set()
        for partner in updates:
            try:
                payload, _warnings = self._contact_payload(partner, plan[partner.id], shared)
            except payloads.PayloadError:
                continue  # blocked when sent, with why
            if partner.xero_payload_hash == checksum(payload):
                plan[partner.id] = Decision(
                    "skip", partner.xero_contact_id, _("Unchanged since the last send.")
                )

    @api.model
    def _website_note(self):
        """What to fix in Xero when it refuses to update a contact for its Website."""
        return _(
            "Xero refuses every update of this contact: its Website was typed in Xero without "
            '"http://" or "https://". Correct the Website of the contact in Xero (the API cannot '
            "change it), then send the customer again."
        )

    # ------------------------------------------------------------------ matching

    @api.model
    def _decide(self, batch, records):
        """Decide for each partner: create, update, link, skip or blocked (no Xero write).

        Candidates are read in bulk (see :meth:`_fetch_candidates`).
        """
        company = batch.connection.company_id
        partners = records.with_company(company)
        plan, unlinked = {}, partners.browse()
        for partner in partners:
            if partner.company_id and partner.company_id != company:
                plan[partner.id] = Decision(
                    "blocked",
                    reason=_(
                        "The customer belongs to %s, not to this dealer.", partner.company_id.name
                    ),
                )
            elif partner.xero_contact_id:
                if batch.mode == "new":
                    plan[partner.id] = Decision(
                        "skip", partner.xero_contact_id, _("Already in Xero.")
                    )
                else:
                    plan[partner.id] = Decision(
                        "update", partner.xero_contact_id, name=partner._xero_update_name()
                    )
            elif not partner.active and not batch.for_documents:
                # A customer of documents being sent goes all the same: an invoice of a customer
                # archived since is still owed, and Xero needs its contact (created ACTIVE).
                plan[partner.id] = Decision("skip", reason=_("Archived in Odoo and not in Xero."))
            elif not payloads.contact_name(partner.name):
                plan[partner.id] = Decision("blocked", reason=_("The customer has no name."))
            else:
                unlinked |= partner
        if unlinked:
            plan.update(self._match_all(batch, unlinked))
        self._skip_unchanged(batch.connection, partners, plan)
        return plan

    @api.model
    def _match_all(self, batch, partners):
        """``{partner id: Decision}`` of these partners not linked to Xero, matched against
        the contacts that may be theirs (one contact links one customer)."""
        contacts = self._fetch_candidates(batch, partners)
        linked_elsewhere = set(
            partners.with_context(active_test=False)
            .search(
                [
                    ("xero_contact_id", "in", [c["ContactID"] for c in contacts]),
                    ("id", "not in", partners.ids),
                ]
            )
            .mapped("xero_contact_id")
        )
        free = [c for c in contacts if c["ContactID"] not in linked_elsewhere]
        names_taken = {
            payloads.name_key(c.get("Name"))
            for c in contacts
            if c.get("ContactStatus") != "ARCHIVED"
        }
        plan = {}
        for partner in partners:
            decision = self._match(partner, free)
            if decision.action == "link":
                # One Xero contact links one customer: the next one with the same email or
                # name is a different customer (created with a distinct name).
                free.remove(decision.xero)
            wanted = payloads.name_key(payloads.contact_name(partner.name))
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

    @api.model
    def _fetch_candidates(self, batch, partners):
        """The Xero contacts that may be these partners: those with one of their keys,
        references, emails or names (see ``org_index`` for how they are read)."""
        terms = []
        for partner in partners:
            terms.append(("ContactNumber", contact_key(partner.id)))
            if partner.ref:
                terms.append(("AccountNumber", partner.ref.strip()))
            if partner.email:
                terms.append(("EmailAddress", partner.email.strip()))
            terms.append(("Name", payloads.contact_name(partner.name)))
        fresh = batch.fresh_contacts or batch.retry
        return org_index.contact_candidates(batch.connection, terms, batch.batches_left, fresh)

    @api.model
    def _match(self, partner, contacts):
        """Match one partner against candidate contacts; see the class docstring."""
        key = contact_key(partner.id)
        ref = (partner.ref or "").strip().lower()
        email = (partner.email or "").strip().lower()
        name = payloads.name_key(payloads.contact_name(partner.name))

        def low(contact, field):
            return (contact.get(field) or "").strip().lower()

        for field, value, why in (
            ("ContactNumber", key.lower(), _("same contact key %s", key)),
            ("AccountNumber", ref, _("same reference")),
            ("EmailAddress", email, _("same email")),
        ):
            found = value and next((c for c in contacts if low(c, field) == value), None)
            if found and field != "ContactNumber" and not self._same_name(partner, found):
                other = _(
                    'the name "%(xname)s", not "%(name)s"',
                    xname=found.get("Name"),
                    name=partner.name,
                )
                return self._conflict(found, why, other)
            if found:
                return self._found(found, why)
        found = next((c for c in contacts if payloads.name_key(c.get("Name")) == name), None)
        if not found:
            return Decision("create")
        if low(found, "EmailAddress") and email and low(found, "EmailAddress") != email:
            other = _(
                "the email %(xemail)s, not %(email)s",
                xemail=found.get("EmailAddress"),
                email=partner.email,
            )
            return self._conflict(found, _("same name"), other)
        return self._found(found, _("same name"))

    @api.model
    def _same_name(self, partner, contact):
        """True when the contact bears the partner's name, or the distinct name we would send
        (case, spaces and line breaks ignored)."""
        names = {
            payloads.contact_name(partner.name),
            payloads.distinct_contact_name(partner.name, partner.ref, contact_key(partner.id)),
        }
        return payloads.name_key(contact.get("Name")) in {payloads.name_key(n) for n in names}

    @api.model
    def _conflict(self, contact, same, other):
        """A match on one thing (name, email or reference) with another thing that differs: a
        person decides ("Link to this Xero contact" on the partner), never a silent link."""
        reason = _(
            'Xero contact "%(xname)s" (%(xid)s) has the %(same)s but %(other)s: link it by hand '
            'from the customer\'s Xero tab ("Link to this Xero contact") if it is the same '
            "customer.",
            xname=contact.get("Name"),
            xid=contact["ContactID"],
            same=same,
            other=other,
        )
        return Decision("blocked", contact["ContactID"], reason, xero=contact, candidate=True)

    @api.model
    def _found(self, contact, why):
        reason = _('Matches Xero contact "%(name)s" (%(why)s).', name=contact.get("Name"), why=why)
        if contact.get("ContactStatus") == "ARCHIVED":
            return Decision(
                "blocked",
                contact["ContactID"],
                _("%s It is archived in Xero: restore it there first.", reason),
                xero=contact,
            )
        return Decision("link", contact["ContactID"], reason, xero=contact)
