from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..handlers import org_index
from .common import DEMO_TENANT, XeroTransactionCase


@tagged("post_install", "-at_install")
class TestCustomers(XeroTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.connection = cls.make_connection(cls.company)
        cls.nz = cls.env.ref("base.nz")
        cls.au = cls.env.ref("base.au")
        cls.gb = cls.env.ref("base.uk")
        # Customers that exist before the tests: none must be a "customer" of this dealer.
        cls.env["res.partner"].search([("customer_rank", ">", 0)]).customer_rank = 0

    def customer(self, name, **vals):
        """A customer of this dealer (a partner of its company; shared partners count only
        once the dealer has invoiced them: see test_dealer_guards)."""
        return self.env["res.partner"].create(
            {"name": name, "customer_rank": 1, "company_id": self.company.id, **vals}
        )

    def run_task(self, task_type, records=None, company=None):
        return self.run_xero_task(company or self.company, task_type, records)

    def xero_contacts(self, tenant=DEMO_TENANT):
        return self.emulator.state(tenant)["contacts"]

    def outcome(self, task, partner):
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == "res.partner" and ln.res_id == partner.id
        )
        self.assertEqual(len(line), 1, f"one log line for {partner.name}")
        return line.outcome, line.message or ""

    def test_send_new_customers_then_nothing(self):
        partners = self.customer(
            "Kiwi Fibre Ltd",
            is_company=True,
            email="ops@kiwifibre.nz",
            country_id=self.nz.id,
            phone="09 123 4567",
        ) | self.customer(
            "Aroha Ngata",
            email="aroha@example.nz",
            ref="C0007",
            country_id=self.nz.id,
            mobile="021 123 4567",
        )
        task = self.run_task("send_new_customers")
        self.assertEqual(task.state, "done")
        self.assertEqual((task.count_created, task.count_error), (2, 0))
        contacts = {c["Name"]: c for c in self.xero_contacts()}
        self.assertEqual(set(contacts), {"Kiwi Fibre Ltd", "Aroha Ngata"})
        aroha = contacts["Aroha Ngata"]
        self.assertEqual((aroha["FirstName"], aroha["LastName"]), ("Aroha", "Ngata"))
        self.assertEqual(aroha["AccountNumber"], "C0007")
        mobile = next(p for p in aroha["Phones"] if p["PhoneType"] == "MOBILE")
        self.assertEqual(
            (mobile["PhoneCountryCode"], mobile["PhoneAreaCode"], mobile["PhoneNumber"]),
            ("64", "21", "1234567"),
        )
        for partner in partners:
            self.assertEqual(partner.xero_contact_id, contacts[partner.name]["ContactID"])
            self.assertEqual(self.outcome(task, partner)[0], "created")
        # A second run sends nothing and writes nothing to Xero.
        self.emulator.clear_requests()
        again = self.run_task("send_new_customers")
        self.assertEqual(again.count_total, 0)
        self.assertFalse(self.emulator.requests(method="POST"))
        self.assertFalse(self.emulator.requests(method="PUT"))

    def test_send_all_updates_changed_only(self):
        kept = self.customer("Unchanged Ltd", email="same@example.com")
        changed = self.customer("Changing Ltd", email="old@example.com")
        self.run_task("send_new_customers")
        changed.email = "new@example.com"
        task = self.run_task("send_all_customers")
        self.assertEqual(self.outcome(task, changed)[0], "updated")
        outcome, message = self.outcome(task, kept)
        self.assertEqual(outcome, "skipped")
        self.assertIn("Unchanged", message)
        contact = next(c for c in self.xero_contacts() if c["Name"] == "Changing Ltd")
        self.assertEqual(contact["EmailAddress"], "new@example.com")
        self.assertEqual(len(self.xero_contacts()), 2)
        # Created with PUT (creates only); updated with POST by ContactID (a POST without one
        # would update whatever contact Xero matches by number or name).
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
        posts = self.emulator.requests(method="POST", path="/api.xro/2.0/Contacts")
        self.assertEqual(([r["items"] for r in puts], [r["items"] for r in posts]), ([2], [1]))

    def test_one_off_create_then_update(self):
        partner = self.customer("One Off Ltd", email="a@oneoff.com")
        partner.action_xero_send()
        self.assertTrue(partner.xero_contact_id)
        partner.write({"name": "One Off Limited"})
        action = partner.action_xero_send()
        task = self.env["xero.task"].browse(action["res_id"])
        self.assertEqual(task.task_type, "send_customer")
        self.assertEqual(self.outcome(task, partner)[0], "updated")
        names = [c["Name"] for c in self.xero_contacts()]
        self.assertEqual(names, ["One Off Limited"])

    def test_existing_contacts_linked_not_duplicated(self):
        by_email = self.customer("Email Match Ltd", email="billing@match.com")
        by_ref = self.customer("Ref Match Ltd", ref="ACC-9")
        by_name = self.customer("Name Only Ltd")
        name_clash = self.customer("Clash Ltd", email="mine@clash.com")
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "contacts": [
                            # Same names, but for case and spaces: still the same customer.
                            {"Name": "EMAIL MATCH  LTD", "EmailAddress": "billing@match.com"},
                            {"Name": "Ref  Match LTD", "AccountNumber": "ACC-9"},
                            {"Name": "Name Only Ltd"},
                            {"Name": "Clash Ltd", "EmailAddress": "someone.else@clash.com"},
                        ],
                    }
                ]
            },
        )
        seeded = {c["Name"]: c["ContactID"] for c in self.xero_contacts()}
        task = self.run_task("send_new_customers")
        self.assertEqual(by_email.xero_contact_id, seeded["EMAIL MATCH  LTD"])
        self.assertEqual(by_ref.xero_contact_id, seeded["Ref  Match LTD"])
        self.assertEqual(by_name.xero_contact_id, seeded["Name Only Ltd"])
        for partner in by_email | by_ref | by_name:
            self.assertEqual(self.outcome(task, partner)[0], "linked")
        outcome, message = self.outcome(task, name_clash)
        self.assertEqual(outcome, "blocked")
        self.assertIn("someone.else@clash.com", message)
        self.assertFalse(name_clash.xero_contact_id)
        self.assertEqual(len(self.xero_contacts()), 4, "nothing created")
        # A person decides: link by hand.
        name_clash.action_xero_link_candidate()
        self.assertEqual(name_clash.xero_contact_id, seeded["Clash Ltd"])

    def test_duplicate_odoo_names_get_distinct_xero_names(self):
        first = self.customer("John Smith", email="john1@example.com")
        second = self.customer("John Smith", email="john2@example.com", ref="C0042")
        task = self.run_task("send_new_customers")
        self.assertEqual((task.count_created, task.count_error), (2, 0))
        names = sorted(c["Name"] for c in self.xero_contacts())
        self.assertEqual(names, ["John Smith", "John Smith (C0042)"])
        self.assertNotEqual(first.xero_contact_id, second.xero_contact_id)
        # A third one, sent later, against the name already in Xero.
        third = self.customer("John Smith", email="john3@example.com")
        self.run_task("send_new_customers")
        self.assertIn(f"John Smith (ODOO-{third.id})", [c["Name"] for c in self.xero_contacts()])

    def test_lost_answer_rechecked_never_replayed(self):
        """Xero applies the create, the answer is lost: the write is not replayed under its
        key (Xero would give back what it kept, a 5xx included); the next step re-reads the
        organisation, finds the contacts by our key and links them."""
        partners = self.env["res.partner"]
        for i in range(5):
            partners |= self.customer(f"Retry Test {i}")
        self.emulator.fault(
            kind="drop_after_write", count=2, method="PUT", path="/api.xro/2.0/Contacts"
        )
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_customers")
        self.assertEqual((task.state, task.count_linked), ("done", 5))
        self.assertIn("same contact key", task.line_ids[0].message)
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
        self.assertEqual(len(puts), 1, "never sent twice")
        self.assertEqual(len(self.xero_contacts()), 5)
        self.assertEqual(
            sorted(partners.mapped("xero_contact_id")),
            sorted(c["ContactID"] for c in self.xero_contacts()),
        )

    def test_done_after_a_lost_answer_shows_no_stale_warning(self):
        """A batch whose answer was lost, linked by the next step: the task ends done and its
        form shows no warning of the failure it recovered from (the fault storm found done
        tasks still saying "Xero could not be reached")."""
        partner = self.customer("Recovered Ltd")
        self.emulator.fault(
            kind="drop_after_write", count=1, method="PUT", path="/api.xro/2.0/Contacts"
        )
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_customers")
        self.assertEqual((task.state, task.count_linked), ("done", 1))
        self.assertEqual(self.outcome(task, partner)[0], "linked")
        self.assertFalse(task.message, "no warning left on a task that recovered")

    def test_server_error_after_write_rechecked_with_new_key(self):
        """Xero answers 500 to a create it made, and keeps that 500 under the key; Odoo
        re-reads, links what Xero has and sends what is missing under a new key."""
        made = self.customer("Made Before The Error Ltd")
        self.emulator.fault(
            kind="500_after_write", count=1, method="PUT", path="/api.xro/2.0/Contacts"
        )
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, made)[0], "linked")
        missing = self.customer("Sent After The Error Ltd")
        self.emulator.fault(kind="500", count=1, method="PUT", path="/api.xro/2.0/Contacts")
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, missing)[0], "created")
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
        self.assertEqual([r["status"] for r in puts], [500, 500, 200])
        self.assertEqual(len({r["idempotency_key"] for r in puts}), 3, "a new key each time")
        names = sorted(c["Name"] for c in self.xero_contacts())
        self.assertEqual(names, ["Made Before The Error Ltd", "Sent After The Error Ltd"])

    def test_idempotency_store_down_fails_cleanly(self):
        """While Xero's idempotency store is down every keyed write answers 500: the task
        stops after three tries, saying so, and nothing is half-sent."""
        self.customer("Store Down Ltd")
        self.emulator.fault(kind="idempotency_down", count=10, method="PUT")
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_customers")
        self.assertEqual(task.state, "failed")
        self.assertIn("HTTP 500", task.message)
        self.assertFalse(self.xero_contacts())
        self.emulator.control("DELETE", "faults")
        self.assertEqual(self.run_task("send_new_customers").count_created, 1)

    def test_account_number_unique_in_xero(self):
        """Xero's account numbers are unique, Odoo's references are not: a reference two
        customers share is sent for neither; one another Xero contact holds is left out on a
        second send. Each says so on its log line; every customer is in Xero."""
        twin_a = self.customer("Twin A Ltd", ref="SHARED-1")
        twin_b = self.customer("Twin B Ltd", ref="shared-1 ")
        holder = self.customer("Holder Ltd", ref="HELD-7")
        first = self.run_task("send_new_customers", twin_a | twin_b | holder)
        # The holder's reference changes in Odoo; its Xero contact keeps HELD-7.
        holder.ref = "HELD-8"
        newcomer = self.customer("Newcomer Ltd", ref="HELD-7")
        task = self.run_task("send_new_customers", newcomer)
        contacts = {c["Name"]: c for c in self.xero_contacts()}
        self.assertEqual(len(contacts), 4)
        self.assertNotIn("AccountNumber", contacts["Twin A Ltd"])
        self.assertNotIn("AccountNumber", contacts["Twin B Ltd"])
        self.assertEqual(contacts["Holder Ltd"]["AccountNumber"], "HELD-7")
        self.assertNotIn("AccountNumber", contacts["Newcomer Ltd"])
        outcome, message = self.outcome(task, newcomer)
        self.assertEqual(outcome, "created")
        self.assertIn("another Xero contact already has HELD-7", message)
        for twin in twin_a | twin_b:
            outcome, message = self.outcome(first, twin)
            self.assertEqual(outcome, "created")
            self.assertIn("shared by several customers", message)

    def test_case_variant_made_in_xero_during_the_task(self):
        """The organisation is read once per task; a contact a person types in Xero meanwhile
        ("LATE COMER LTD") is not read yet when the next batch goes (what changed is read at
        most once a minute), so Xero refuses the create as a taken name: Odoo then reads what
        changed, matches again and links it, never a second "Late Comer Ltd (ODOO-n)"."""
        for i in range(50):
            self.customer(f"Early {i:02d} Ltd")
        late = self.customer("Late Comer Ltd")
        task = self.env["xero.task"]._queue(self.company, "send_new_customers")
        task._run_step()
        self.assertEqual(task.count_created, 50)
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {"tenant_id": DEMO_TENANT, "contacts": [{"Name": "LATE COMER LTD"}]}
                ]
            },
        )
        while task.state in ("queued", "running"):
            task._run_step()
        self.assertEqual(self.outcome(task, late)[0], "linked")
        self.assertEqual(len(self.xero_contacts()), 51)
        refused = [
            r
            for r in self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
            if r["items"] == 1
        ]
        self.assertEqual(len(refused), 1, "one create refused for its name, none sent again")

    def test_a_contact_typed_before_our_last_write_is_found(self):
        """Our own writes do not move the mark of what was read: a contact typed in Xero after
        the organisation was read, and before a batch of ours was written, is found by the next
        read of what changed, and linked, never sent again as "Typed Meanwhile Ltd (ODOO-n)"."""
        self.customer("Already Ltd")
        self.run_task("send_new_customers")
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {"tenant_id": DEMO_TENANT, "contacts": [{"Name": "Typed Meanwhile Ltd"}]}
                ]
            },
        )
        self.emulator.api.advance(5)  # our next writes are stamped later than that contact
        for i in range(50):
            self.customer(f"Later {i:02d} Ltd")
        typed = self.customer("Typed Meanwhile Ltd")  # in the second batch
        task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, typed)[0], "linked")
        names = [c["Name"] for c in self.xero_contacts()]
        self.assertEqual(names.count("Typed Meanwhile Ltd"), 1)
        self.assertFalse([n for n in names if n.startswith("Typed Meanwhile Ltd (")])

    def test_phones_of_several_countries(self):
        au = self.customer("Sydney Pty", country_id=self.au.id, phone="(02) 9876 5432")
        gb = self.customer("London Ltd", country_id=self.gb.id, phone="020 7946 0958")
        odd = self.customer("Odd Phone Ltd", country_id=self.nz.id, phone="ask for Bob")
        self.run_task("send_new_customers")
        contacts = {c["Name"]: c for c in self.xero_contacts()}

        def phone(partner):
            p = next(p for p in contacts[partner.name]["Phones"] if p["PhoneType"] == "DEFAULT")
            return p.get("PhoneCountryCode"), p.get("PhoneAreaCode"), p.get("PhoneNumber")

        self.assertEqual(phone(au), ("61", "2", "98765432"))
        self.assertEqual(phone(gb), ("44", "20", "79460958"))
        self.assertEqual(phone(odd)[2], "ask for Bob")

    def test_bad_inputs_never_stop_the_batch(self):
        long_name = "L" * 300
        long = self.customer(long_name)
        emoji = self.customer("Café ☕ Ltd 🚀")
        bad_email = self.customer("Bad Email Ltd", email="not-an-email")
        # Xero refuses both (the emulator too): the first is left out, the list cut to one.
        listed = self.customer("Listed Email Ltd", email="a@example.com, b@example.com")
        no_country = self.customer("Nowhere Ltd", phone="+64 9 123 4567")
        unnamed = self.customer("placeholder")
        self.env.cr.execute("UPDATE res_partner SET name = '' WHERE id = %s", [unnamed.id])
        unnamed.invalidate_recordset(["name"])
        good = self.customer("Good Ltd")
        task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, unnamed)[0], "blocked")
        self.assertIn("no name", self.outcome(task, unnamed)[1])
        for partner in long | emoji | bad_email | listed | no_country | good:
            self.assertEqual(self.outcome(task, partner)[0], "created", partner.name)
        contacts = {c["ContactID"]: c for c in self.xero_contacts()}
        self.assertEqual(len(contacts[long.xero_contact_id]["Name"]), 255)
        self.assertIn("Name", self.outcome(task, long)[1])
        self.assertEqual(contacts[emoji.xero_contact_id]["Name"], "Café ☕ Ltd 🚀")
        self.assertFalse(contacts[bad_email.xero_contact_id].get("EmailAddress"))
        self.assertIn("mail", self.outcome(task, bad_email)[1])
        self.assertEqual(contacts[listed.xero_contact_id]["EmailAddress"], "a@example.com")
        self.assertIn("only the first, a@example.com, was sent", self.outcome(task, listed)[1])
        phone = contacts[no_country.xero_contact_id]["Phones"][0]
        self.assertEqual(phone["PhoneCountryCode"], "64")

    def test_archived_partner_archives_contact(self):
        partner = self.customer("Closing Down Ltd")
        partner.action_xero_send()
        partner.active = False
        partner.with_context(active_test=False).action_xero_send()
        contact = next(c for c in self.xero_contacts() if c["ContactID"] == partner.xero_contact_id)
        self.assertEqual(contact["ContactStatus"], "ARCHIVED")

    def test_batches_of_fifty_and_bounded_lookups(self):
        for i in range(120):
            self.customer(f"Bulk Customer {i:03d}", email=f"bulk{i}@example.com")
        task = self.run_task("send_new_customers")
        self.assertEqual(task.count_created, 120)
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
        self.assertEqual([r["items"] for r in puts], [50, 50, 20])
        gets = self.emulator.requests(method="GET", path="/api.xro/2.0/Contacts")
        self.assertTrue(all(r["status"] == 200 for r in gets), "no look-up over Xero's limit")
        # The organisation read whole once; what changed is read again only a minute later.
        self.assertEqual(len(gets), 1)
        self.assertFalse(gets[0]["if_modified_since"])
        self.assertFalse([r for r in gets if "where" in r["query"]], "no OR chains")

    def seed_large_organisation(self, contact):
        """An organisation of 13 contacts, ``contact`` among them (read 2 a page in the tests:
        more pages than the batch's own filtered look-up costs)."""
        others = [{"Name": f"Other Contact {i:02d}"} for i in range(12)]
        self.emulator.control(
            "POST",
            "seed",
            {"organisations": [{"tenant_id": DEMO_TENANT, "contacts": [*others, contact]}]},
        )

    def test_large_organisation_is_searched_not_read_whole(self):
        """Past a few pages of contacts, the batch's own filter is cheaper: same matches."""
        self.seed_large_organisation(
            {"Name": "Big Org Match Ltd", "EmailAddress": "match@big.example"}
        )
        match = self.customer("Big Org Match Ltd", email="match@big.example")
        new = self.customer("Big Org New Ltd")
        with patch.object(org_index, "PAGE", 2):
            task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, match)[0], "linked")
        self.assertEqual(self.outcome(task, new)[0], "created")
        gets = self.emulator.requests(method="GET", path="/api.xro/2.0/Contacts")
        self.assertEqual(len([r for r in gets if "where" in r["query"]]), 1)
        self.assertEqual(len(gets), 2, "one page read to learn the size, one filtered look-up")

    def test_large_organisation_finds_another_case_of_the_name(self):
        """Xero's `==` is case-sensitive, its unique names are not: "ACME Ltd" in Xero is the
        Odoo customer "Acme Ltd", found by the filtered look-up and linked, never duplicated
        as "Acme Ltd (C0042)"."""
        self.seed_large_organisation({"Name": "ACME Ltd", "EmailAddress": "Accounts@ACME.example"})
        by_name = self.customer("Acme Ltd")
        with patch.object(org_index, "PAGE", 2):
            task = self.run_task("send_new_customers")
        gets = self.emulator.requests(method="GET", path="/api.xro/2.0/Contacts")
        self.assertEqual(len([r for r in gets if "where" in r["query"]]), 1, "the filter path")
        self.assertEqual(self.outcome(task, by_name)[0], "linked", task.line_ids.mapped("message"))
        acme = [
            c
            for c in self.emulator.state(DEMO_TENANT)["contacts"]
            if c["Name"].lower().startswith("acme")
        ]
        self.assertEqual(len(acme), 1, "no second contact for the same customer")
        self.assertEqual(by_name.xero_contact_id, acme[0]["ContactID"])

    def test_same_email_twice_links_one_and_creates_the_other(self):
        """One Xero contact links one customer, never two."""
        first = self.customer("Twin Ltd", email="twins@example.com")
        second = self.customer("Twin Ltd", email="twins@example.com")
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "contacts": [{"Name": "Twin Ltd", "EmailAddress": "twins@example.com"}],
                    }
                ]
            },
        )
        task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, first)[0], "linked")
        self.assertEqual(self.outcome(task, second)[0], "created")
        self.assertNotEqual(first.xero_contact_id, second.xero_contact_id)
        names = sorted(c["Name"] for c in self.xero_contacts())
        self.assertEqual(names, ["Twin Ltd", f"Twin Ltd (ODOO-{second.id})"])

    def test_send_all_keeps_the_distinct_name(self):
        """A renamed duplicate is updated under its distinct name: never a failure loop."""
        self.customer("Jane Doe", email="jane1@example.com")
        second = self.customer("Jane Doe", email="jane2@example.com")
        self.run_task("send_new_customers")
        second.phone = "+64 9 555 0101"
        task = self.run_task("send_all_customers")
        self.assertEqual(task.count_error, 0, task.line_ids.mapped("message"))
        self.assertEqual(self.outcome(task, second)[0], "updated")
        self.assertEqual(len(self.xero_contacts()), 2)

    def test_partner_of_another_dealer_is_not_sent_here(self):
        dealer_b = self.env["res.company"].create({"name": "Dealer B"})
        foreign = self.customer("Dealer B Customer", company_id=dealer_b.id)
        task = self.run_task("send_customer", foreign)
        self.assertEqual(self.outcome(task, foreign)[0], "blocked")
        self.assertFalse(self.xero_contacts())

    def test_a_name_typed_in_xero_with_extra_spaces_is_the_customer(self):
        """A bookkeeper typed "Kiwi  Fibre Ltd " in Xero (doubled and trailing spaces): the
        Odoo customer "Kiwi Fibre Ltd" is that contact. The preview says it is linked, the run
        links it, and no second contact is made beside it."""
        self.seed_org(contacts=[{"Name": "Kiwi  Fibre Ltd ", "EmailAddress": "ap@kiwi.example"}])
        kiwi = self.customer("Kiwi Fibre Ltd")
        [row] = [
            r
            for r in self.env["xero.handler.customers"]._preview(self.connection, "new")
            if r["res_id"] == kiwi.id
        ]
        self.assertEqual(row["action"], "link", row["reason"])
        task = self.run_task("send_new_customers")
        self.assertEqual(self.outcome(task, kiwi)[0], "linked")
        kiwis = [c for c in self.xero_contacts() if "kiwi" in c["Name"].lower()]
        self.assertEqual(len(kiwis), 1, "no second contact beside the bookkeeper's")
        self.assertEqual(kiwi.xero_contact_id, kiwis[0]["ContactID"])

    def test_large_organisation_finds_a_name_with_extra_spaces(self):
        """The filtered look-up of a large organisation cannot compare runs of spaces in Xero:
        it asks word by word, and keeps the equal name only."""
        self.seed_large_organisation({"Name": "Kiwi  Fibre Ltd "})
        self.seed_org(contacts=[{"Name": "Kiwi Fibre Ltd Holdings"}])
        kiwi = self.customer("Kiwi Fibre Ltd")
        with patch.object(org_index, "PAGE", 2):
            task = self.run_task("send_new_customers")
        gets = self.emulator.requests(method="GET", path="/api.xro/2.0/Contacts")
        self.assertEqual(len([r for r in gets if "where" in r["query"]]), 1, "the filter path")
        self.assertEqual(self.outcome(task, kiwi)[0], "linked", task.line_ids.mapped("message"))
        [contact] = [c for c in self.xero_contacts() if c["ContactID"] == kiwi.xero_contact_id]
        self.assertEqual(" ".join(contact["Name"].split()), "Kiwi Fibre Ltd")
        self.assertEqual(len([c for c in self.xero_contacts() if "Kiwi" in c["Name"]]), 2)

    def test_a_website_typed_in_xero_blocks_only_its_contact(self):
        """A bookkeeper typed "www.typed.example" as a contact's Website in Xero: Xero refuses
        every update of that contact ("Website must be valid."; the API cannot set a Website).
        Send All Customers says on its line what to fix in Xero; the rest of the batch is
        updated."""
        typed = self.customer("Typed Web Ltd", email="old@typed.example")
        fine = self.customer("Fine Web Ltd", email="old@fine.example")
        self.run_task("send_new_customers")
        for partner, website in ((typed, "www.typed.example"), (fine, "https://fine.example")):
            contact_id = partner.xero_contact_id
            self.seed_org(contacts=[{"ContactID": contact_id, "Website": website}])
        (typed | fine).write({"phone": "+64 9 300 1000"})
        task = self.run_task("send_all_customers")
        outcome, message = self.outcome(task, typed)
        self.assertEqual(outcome, "error")
        self.assertIn("Correct the Website of the contact in Xero", message)
        self.assertEqual(self.outcome(task, fine)[0], "updated")
        contacts = {c["ContactID"]: c for c in self.xero_contacts()}
        phones = [p["PhoneNumber"] for p in contacts[fine.xero_contact_id]["Phones"]]
        self.assertTrue(any("300" in number for number in phones), phones)
