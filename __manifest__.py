{
    "name": "Xero Sync (customers, invoices, payments)",
    "version": "18.0.1.0.0",
    "summary": "Send customers, invoices, payments and invoice PDFs to Xero in bulk, "
    "and fetch Xero payments back, per dealer company, with no duplicates",
    "category": "Accounting/Accounting",
    "author": "account_xero_sync",
    "license": "LGPL-3",
    "depends": ["account", "phone_validation"],
    "external_dependencies": {"python": ["xero-python", "phonenumbers"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/server_actions.xml",
        "views/xero_connection_views.xml",
        "views/xero_task_views.xml",
        "views/res_partner_views.xml",
        "wizards/xero_bulk_task_wizard_views.xml",
        "views/menus.xml",
    ],
    "installable": True,
    "application": True,
}
