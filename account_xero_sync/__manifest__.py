{
    "name": "Xero Sync (customers, invoices, payments)",
    "version": "18.0.1.1.0",
    "summary": "Send customers, invoices, payments and invoice PDFs to Xero in bulk, "
    "and fetch Xero payments back, per dealer company, with no duplicates",
    "category": "Accounting/Accounting",
    "author": "account_xero_sync contributors",
    "maintainers": ["account-xero-sync"],
    "website": "https://github.com/account-xero-sync/account_xero_sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["account"],
    # PyPI names with version ranges, checked by Odoo at install (odoo/modules/module.py:
    # check_python_external_dependency); ranges match requirements.txt.
    "external_dependencies": {"python": ["xero-python>=15.2,<16", "phonenumbers>=8.13"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/server_actions.xml",
        "data/server_actions_payments.xml",
        "views/xero_connection_views.xml",
        "views/xero_webhook_views.xml",
        "views/xero_task_views.xml",
        "views/res_partner_views.xml",
        "views/account_payment_views.xml",
        "views/account_move_views.xml",
        "wizards/xero_bulk_task_wizard_views.xml",
        "views/xero_to_send_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": ["account_xero_sync/static/src/**/*"],
        "web.assets_tests": ["account_xero_sync/static/tests/tours/**/*"],
    },
    "installable": True,
    "application": True,
}
