from odoo import _, api, models

from ..models.res_partner import contact_key
from ..xero_api import payloads
from . import org_index
from .customers import ACCOUNT_TAKEN, NAME_TAKEN


class XeroHandlerCustomerWrites(models.AbstractModel):
    """The customers handler's writes: creates with ``PUT`` and updates with ``POST``, and what
    a second send does about what Xero refused (a name or an account number it has)."""

    _inherit = "xero.handler.customers"

    @api.model
    def _match_taken_names(self, batch, taken, results):
        """Creates Xero refused because the name is taken: someone made that contact since the
        organisation was last read. Read what changed and match again: link it when it is this
        customer, block it when it is doubtful, else send again with a distinct name."""
        if not taken:
            return []
        partners = self.env["res.partner"].browse([partner.id for partner, _p, _w in taken])
        plan = self._match_all(batch.but(fresh_contacts=True), partners)
        retry = []
        for partner, payload, warnings in taken:
            decision = plan[partner.id]
            if decision.action in ("link", "blocked"):
                results[partner.id] = self._apply_match(partner, decision)
            else:
                name = decision.name or payloads.distinct_contact_name(
                    payload["Name"], partner.ref, contact_key(partner.id)
                )
                retry.append((partner, "create", dict(payload, Name=name), warnings))
        return retry

    @api.model
    def _write_contacts(self, connection, items):
        """``[(item, answer)]``: creates with ``PUT`` and updates with ``POST``, one call each."""
        out = []
        for action, method in (
            ("create", "create_contacts"),
            ("update", "update_or_create_contacts"),
        ):
            group = [item for item in items if (item[1] == "create") == (action == "create")]
            answers = self._batch_call(connection, method, "Contacts", [i[2] for i in group])
            written = [a["record"] for a in answers if a.get("record")]
            org_index.remember_contacts(connection, written)
            out += zip(group, answers, strict=True)
        return out

    @api.model
    def _second_try(self, partner, payload, warnings, errors):
        """``(payload, warnings)`` to send again when Xero refused only what a second send
        can do without: a name it has (a distinct name) or an account number it has (left
        out); None otherwise."""
        name = any(NAME_TAKEN in e for e in errors)
        account = any(ACCOUNT_TAKEN in e for e in errors) and payload.get("AccountNumber")
        if not errors or len(errors) != name + bool(account):
            return None
        payload, warnings = dict(payload), list(warnings)
        if name:
            # Xero's unique names: never a failure loop, the documented distinct name.
            payload["Name"] = payloads.distinct_contact_name(
                payload["Name"], partner.ref, contact_key(partner.id)
            )
        if account:
            payload.pop("AccountNumber")
            warnings.append(self._account_note(partner, shared=False))
        return payload, warnings

    @api.model
    def _shared_refs(self, connection, partners):
        """The references (lower case) of ``partners`` that another customer of the dealer
        also has: Xero's account numbers are unique, Odoo's references are not."""
        refs = {(p.ref or "").strip().lower() for p in partners} - {""}
        if not refs:
            return set()
        self.env["res.partner"].flush_model(["ref", "company_id", "customer_rank"])
        self.env.cr.execute(
            """SELECT lower(trim(ref)) FROM res_partner
                WHERE lower(trim(ref)) IN %s AND customer_rank > 0
                  AND (company_id IS NULL OR company_id = %s)
                  AND id = commercial_partner_id
             GROUP BY lower(trim(ref)) HAVING count(*) > 1""",
            [tuple(refs), connection.company_id.id],
        )
        return {ref for (ref,) in self.env.cr.fetchall()}

    @api.model
    def _account_note(self, partner, shared):
        if shared:
            return _(
                "Sent without an account number: the reference %s is shared by several "
                "customers in Odoo, and Xero's account numbers are unique.",
                partner.ref,
            )
        return _(
            "Sent without an account number: another Xero contact already has %s.", partner.ref
        )
