"""The addon as an Odoo integrator meets it (issue #26, items 2, 3, 6 and 7): its manifest passes
Odoo's own dependency check, the app has its icon, the connections and mappings sit under
Accounting > Configuration and in Settings, and a mapping never names another company's
account, tax or journal."""

import io

from packaging.requirements import Requirement
from PIL import Image

from odoo.exceptions import UserError
from odoo.modules.module import (
    check_manifest_dependencies,
    check_python_external_dependency,
    get_manifest,
)
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import file_open, file_path

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

MODULE = "account_xero_sync"
ICON = "static/description/icon.png"


@tagged("post_install", "-at_install")
class TestOdooNative(AccountTestInvoicingCommon):
    """A dealer (the test company) with a connection, and a second company with its own chart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("account_xero_sync.group_xero_manager")
        cls.company = cls.env.company
        cls.other = cls.setup_other_company(name="Other Dealer")
        cls.env.user.company_ids |= cls.other["company"]
        # Created as the tests' connections are (test/common.py: make_connection), without a
        # server: nothing here calls Xero.
        cls.connection = cls.env["xero.connection"].sudo().create({"company_id": cls.company.id})
        cls.Mapping = cls.env["xero.mapping"]

    # ------------------------------------------------------------------ manifest

    def test_manifest_external_dependencies_pass_odoos_check(self):
        """Every Python dependency names its PyPI package with a version range, and Odoo's own
        check (the one run when the module is installed) accepts what is installed."""
        manifest = get_manifest(MODULE)
        python_deps = manifest["external_dependencies"]["python"]
        self.assertTrue(python_deps)
        check_manifest_dependencies(manifest)  # raises on a missing or mismatching package
        # What Install and Upgrade call (ir.module.module._state_update): a UserError if unmet.
        self.env["ir.module.module"].check_external_dependencies(MODULE)
        self.env["ir.module.module"].check_external_dependencies(MODULE, "to upgrade")
        for dep in python_deps:
            requirement = Requirement(dep)
            self.assertTrue(requirement.specifier, f"{dep} has no version range")
            # The same check refuses a range the installed package is outside of: the ranges
            # are really compared, not only the names looked up.
            with self.assertRaisesRegex(Exception, "version mismatch"):
                check_python_external_dependency(f"{requirement.name}<0.0.1")
        self.assertNotIn("phone_validation", manifest["depends"], "phones use phonenumbers")
        for key in ("author", "website", "maintainers", "development_status"):
            self.assertTrue(manifest.get(key), key)
        self.assertNotEqual(manifest["author"], MODULE)

    # ------------------------------------------------------------------ icon

    def test_app_menu_shows_the_icon(self):
        """The Xero app menu's icon is the addon's static/description/icon.png, a square PNG,
        and the web client receives it with the app menus."""
        root = self.env.ref("account_xero_sync.menu_xero_root")
        self.assertEqual(root.web_icon, f"{MODULE},{ICON}")
        with file_open(f"{MODULE}/{ICON}", "rb") as icon:
            image = Image.open(io.BytesIO(icon.read()))
        self.assertEqual(image.format, "PNG")
        self.assertEqual(image.width, image.height)
        self.assertGreaterEqual(image.width, 64)
        roots = self.env["ir.ui.menu"].load_menus_root()["children"]
        data = next(menu["web_icon_data"] for menu in roots if menu["id"] == root.id)
        self.assertTrue(data, "the app menu is sent without its icon")
        self.assertTrue(file_path(f"{MODULE}/static/description/index.html"))

    # ------------------------------------------------------------------ menus and settings

    def test_connections_and_mappings_under_accounting_configuration(self):
        """Accounting > Configuration > Xero opens the connections and the mappings, for a
        Xero Manager; a billing administrator who does not manage Xero does not see it."""
        section = self.env.ref("account_xero_sync.menu_xero_account_config")
        self.assertEqual(section.parent_id, self.env.ref("account.menu_finance_configuration"))
        expected = {
            "account_xero_sync.menu_xero_account_connections": "action_xero_connection",
            "account_xero_sync.menu_xero_account_mappings": "action_xero_mapping",
        }
        visible = self.env["ir.ui.menu"]._visible_menu_ids()
        self.assertIn(section.id, visible)
        for menu_xmlid, action_name in expected.items():
            menu = self.env.ref(menu_xmlid)
            self.assertEqual(menu.parent_id, section)
            self.assertEqual(menu.action, self.env.ref(f"account_xero_sync.{action_name}"))
            self.assertIn(menu.id, visible)
            # What the web client does with the menu: read the action, load its views and
            # the records of its first view.
            action = self.env["ir.actions.act_window"]._for_xml_id(
                f"account_xero_sync.{action_name}"
            )
            model = self.env[action["res_model"]]
            views = model.get_views([(False, mode) for mode in action["view_mode"].split(",")])
            self.assertTrue(views["views"])
            model.web_search_read([], {"display_name": {}})
        self.assertIn(self.connection, self.env["xero.connection"].search([]))

        accountant = new_test_user(
            self.env,
            "billing_admin_not_xero",
            groups="base.group_user,account.group_account_manager",
            company_id=self.company.id,
        )
        visible = self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids()
        self.assertIn(self.env.ref("account.menu_finance_configuration").id, visible)
        self.assertNotIn(section.id, visible)

    def test_settings_link_to_the_connection(self):
        """Settings > Invoicing > Xero shows the company's connection and opens it; a company
        without one gets a new connection form for it."""
        self.env.user.groups_id |= self.env.ref("base.group_system")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.xero_connection_id, self.connection)
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('id="account_xero_sync"', arch)
        self.assertIn("action_open_xero_connection", arch)
        action = settings.action_open_xero_connection()
        self.assertEqual(action["res_model"], "xero.connection")
        self.assertEqual(action["res_id"], self.connection.id)

        other = self.other["company"]
        settings_b = (
            self.env["res.config.settings"]
            .with_context(allowed_company_ids=[other.id, self.company.id])
            .create({})
        )
        self.assertFalse(settings_b.xero_connection_id)
        action = settings_b.action_open_xero_connection()
        self.assertFalse(action.get("res_id"))
        self.assertEqual(action["context"], {"default_company_id": other.id})

        # The block is the Xero Managers': a system administrator without Xero does not see it.
        admin = new_test_user(
            self.env, "admin_not_xero", groups="base.group_user,base.group_system"
        )
        arch = (
            self.env["res.config.settings"]
            .with_user(admin)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn('id="account_xero_sync"', arch)

    # ------------------------------------------------------------------ check_company

    def test_mapping_refuses_another_companys_records(self):
        """A mapping of this dealer's connection to another company's income account, tax or
        journal is refused, when created and when changed; its own are accepted."""
        other = self.other
        own = {
            "account": ("account_id", self.company_data["default_account_revenue"]),
            "tax": ("tax_id", self.company_data["default_tax_sale"]),
            "journal": ("journal_id", self.company_data["default_journal_bank"]),
        }
        foreign = {
            "account": other["default_account_revenue"],
            "tax": other["default_tax_sale"],
            "journal": other["default_journal_bank"],
        }
        for kind, (fname, record) in own.items():
            with self.subTest(kind=kind):
                vals = {"connection_id": self.connection.id, "kind": kind, "xero_code": "200"}
                with (
                    self.assertRaisesRegex(UserError, "Incompatible companies"),
                    self.env.cr.savepoint(),
                ):
                    self.Mapping.create({**vals, fname: foreign[kind].id})
                mapping = self.Mapping.create({**vals, fname: record.id})
                self.assertEqual(mapping.company_id, self.company)
                with (
                    self.assertRaisesRegex(UserError, "Incompatible companies"),
                    self.env.cr.savepoint(),
                ):
                    mapping.write({fname: foreign[kind].id})
                self.assertEqual(mapping[fname], record)

    def test_webhook_event_refuses_another_companys_document(self):
        """A webhook event of this dealer's connection never links another company's invoice."""
        move = self.init_invoice(
            "out_invoice", partner=self.partner_a, amounts=[100.0], company=self.other["company"]
        )
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.env["xero.webhook.event"].sudo().create(
                {"connection_id": self.connection.id, "resource_id": "x", "move_id": move.id}
            )
