/** @odoo-module */
/**
 * Browser tours of the Xero screens, run by tests/test_tours.py in headless Chromium.
 * `fits` fails a step when a cell's text is cut ("Send New…", "INV/2026/…"): the check every
 * tour shares (xero_tour_checks.js), which test_screens_fit_* run on each screen at 1440 and
 * 390 px.
 */
import { registry } from "@web/core/registry";
import { assertFits } from "@account_xero_sync/../tests/tours/xero_tour_checks";

/** The shared check (xero_tour_checks.js), as a step's run. */
function fits(selector) {
    return () => assertFits(selector);
}

function assertNoHeader(label) {
    return function () {
        const headers = [...document.querySelectorAll(".o_list_table thead th")].map((th) =>
            th.textContent.trim()
        );
        if (headers.includes(label)) {
            throw new Error(`column "${label}" should not be in this list: ${headers.join(", ")}`);
        }
    };
}

function openMenu(name) {
    return [
        {
            content: "open the Xero app's menu",
            trigger: ".o_main_navbar",
            run() {
                const link = [...document.querySelectorAll(".o_menu_sections a, .o_menu_sections button")].find(
                    (el) => el.textContent.trim() === name
                );
                if (!link) {
                    throw new Error(`no menu ${name}`);
                }
                link.click();
            },
        },
        { content: `${name} is open`, trigger: `.o_breadcrumb:contains("${name}")` },
    ];
}

registry.category("web_tour.tours").add("xero_bulk_task_tour", {
    steps: () => [
        { content: "the Tasks list", trigger: ".o_list_view .o_data_row" },
        {
            content: "the Tasks list: no task, dealer, state or summary is cut",
            trigger: ".o_list_view .o_data_row td[name='summary_line']",
            run: fits(
                ".o_list_view .o_data_row td:is([name='task_type'],[name='company_id'],[name='state'],[name='summary_line'])"
            ),
        },
        {
            content: "the Tasks list: counts are optional columns, hidden",
            trigger: ".o_list_view thead",
            run: assertNoHeader("Blocked"),
        },
        {
            content: "the whole row is not coloured, only the state badge",
            trigger: ".o_list_view .o_data_row .o_field_badge .badge",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row[class*='text-']");
                if (rows.length) {
                    throw new Error("task rows are coloured");
                }
            },
        },
        {
            content: "no New button beside Add bulk task (a blank task could only be refused)",
            trigger: ".o_control_panel:not(:has(.o_list_button_add))",
        },
        {
            content: "Add bulk task",
            trigger: ".o_control_panel button:contains('Add bulk task')",
            run: "click",
        },
        { content: "the wizard opens in a large dialog", trigger: ".modal-dialog.modal-xl .o_form_view" },
        {
            content: "pick Send New Invoices",
            trigger: ".modal .o_field_widget[name='task_type'] select",
            run: "select \"send_new_invoices\"",
        },
        { content: "Preview", trigger: ".modal footer button:contains('Preview')", run: "click" },
        {
            content: "the invoice is previewed",
            trigger: ".modal .o_data_row td[name='name']:contains('INV/')",
        },
        {
            content: "What will happen and the reason are not cut",
            trigger: ".modal .o_data_row td[name='reason']",
            run: fits(".modal .o_data_row td:is([name='name'],[name='action'],[name='reason']), .modal thead th[data-name='action']"),
        },
        {
            content: "change the task to Send New Customers",
            trigger: ".modal .o_field_widget[name='task_type'] select",
            run: "select \"send_new_customers\"",
        },
        { content: "Preview again", trigger: ".modal footer button:contains('Preview')", run: "click" },
        {
            content: "the customers are previewed, the blocked one with its reason",
            trigger: ".modal .o_data_row:contains('Clash Ltd') td[name='reason']:contains('someone.else@clash.com')",
        },
        {
            content: "no Customer column in a preview of customers",
            trigger: ".modal .o_data_row:contains('Tour Alpha Ltd')",
            run: assertNoHeader("Customer"),
        },
        { content: "Queue", trigger: ".modal footer button:contains('Queue')", run: "click" },
        {
            content: "the task's form, queued",
            trigger: ".o_form_view .o_field_xero_task_state .badge:contains('Queued')",
        },
        {
            content: "the form follows the runner to the end, without a reload",
            trigger: ".o_form_view .o_field_xero_task_state .badge:contains('Done, some blocked')",
            timeout: 30000,
        },
        {
            content: "its log lists both customers, names in full",
            trigger: ".o_field_one2many[name='line_ids'] .o_data_row:contains('Tour Alpha Ltd')",
            run: fits(".o_field_one2many[name='line_ids'] .o_data_row td[name='res_name']"),
        },
        {
            content: "no Retry (only blocked lines) nor Cancel on the finished task",
            trigger: ".o_form_view .o_field_widget[name='state']",
            run() {
                const offered = [...document.querySelectorAll(".o_form_statusbar button")]
                    .filter((b) => b.offsetParent !== null)
                    .map((b) => b.textContent.trim())
                    .filter((label) => ["Cancel", "Retry failed records"].includes(label));
                if (offered.length) {
                    throw new Error(`offered on a task done with blocked lines: ${offered}`);
                }
            },
        },
        {
            content: "the task with a blocked record offers to send the blocked ones again",
            trigger: ".o_form_statusbar button:contains('Send the blocked ones again')",
        },
        {
            content: "the blocked line offers its next step: link the Xero contact the send found",
            trigger: ".o_field_one2many[name='line_ids'] .o_data_row:contains('Clash Ltd') button:contains('Link to the Xero contact')",
        },
        {
            content: "a click on the blocked line",
            trigger: ".o_field_one2many[name='line_ids'] .o_data_row:contains('Clash Ltd') td[name='res_name']",
            run: "click",
        },
        {
            content: "opens the customer's own form",
            trigger: ".o_form_view .o_field_widget[name='name'] input:value('Clash Ltd'), .o_form_view .o_field_widget[name='name']:contains('Clash Ltd')",
        },
        { content: "not a dialog of the log line", trigger: "body:not(:has(.modal))" },
    ],
});

function checkAgain(title) {
    return [
        {
            content: "mark the list shown now, to know when the next one is there",
            trigger: ".o_action_manager .o_list_view",
            run() {
                document.querySelector(".o_action_manager .o_list_view").dataset.xeroBefore = "1";
            },
        },
        {
            content: "Check again",
            trigger: ".o_control_panel button:contains('Check again')",
            run: "click",
        },
        {
            content: "the list checked again replaces the one shown: no breadcrumb back to it",
            trigger: `.o_action_manager .o_list_view:not([data-xero-before]) .o_data_row`,
            run() {
                const items = document.querySelectorAll(".o_control_panel .o_breadcrumb .breadcrumb-item");
                const last = document.querySelector(".o_control_panel .o_breadcrumb .o_last_breadcrumb_item");
                if (items.length || !last || !last.textContent.includes(title)) {
                    throw new Error(
                        `breadcrumbs after Check again: ${[...items].map((i) => i.textContent.trim()).join(" > ")} > ${last && last.textContent.trim()}`
                    );
                }
            },
        },
    ];
}

registry.category("web_tour.tours").add("xero_to_send_tour", {
    steps: () => [
        ...openMenu("Customers to Send"),
        {
            content: "the customers to send",
            trigger: ".o_list_view .o_data_row:contains('Tour Alpha Ltd')",
        },
        {
            content: "no Invoice, Total or Allocated column for customers",
            trigger: ".o_list_view thead",
            run() {
                for (const label of ["Invoice", "Invoice / credit note", "Total", "Allocated"]) {
                    assertNoHeader(label)();
                }
            },
        },
        {
            content: "the reason of the blocked customer is not cut",
            trigger: ".o_list_view .o_data_row:contains('Clash Ltd') td[name='reason']",
            run: fits(".o_list_view .o_data_row td:is([name='name'],[name='action'],[name='reason'])"),
        },
        {
            content: "a click on a customer",
            trigger: ".o_list_view .o_data_row:contains('Clash Ltd') td[name='name']",
            run: "click",
        },
        {
            content: "opens the customer's form",
            trigger: ".o_form_view .o_field_widget[name='name'] input:value('Clash Ltd')",
        },
        ...openMenu("Invoices to Send"),
        {
            content: "the invoices to send, with their customer and total",
            trigger: ".o_list_view .o_data_row:contains('INV/') td[name='amount_total']",
        },
        {
            content: "no Allocated column for invoices",
            trigger: ".o_list_view thead",
            run: assertNoHeader("Allocated"),
        },
        ...checkAgain("Invoices to Send"),
        ...checkAgain("Invoices to Send"),
        ...openMenu("Credit Notes to Send"),
        {
            content: "the credit notes to send",
            trigger: ".o_list_view thead th[data-name='amount_total']",
            run: assertNoHeader("Allocated"),
        },
        ...openMenu("Payments to Send"),
        {
            content: "the payments to send: total and allocated",
            trigger: ".o_list_view thead th[data-name='amount_allocated']",
        },
        ...openMenu("Invoices to Send"),
        {
            content: "queue the list's task from its header",
            trigger: ".o_control_panel button:contains('Queue task')",
            run: "click",
        },
        {
            content: "the queued task opens",
            trigger: ".o_form_view h1:contains('Send New Invoices')",
        },
    ],
});

function assertNoText(selector, text) {
    return function () {
        const found = [...document.querySelectorAll(selector)].filter((el) =>
            el.textContent.includes(text)
        );
        if (found.length) {
            throw new Error(`"${text}" should not be in ${selector}`);
        }
    };
}

registry.category("web_tour.tours").add("xero_settings_tour", {
    steps: () => [
        { content: "the connection form", trigger: ".o_form_view .o_field_widget[name='tenant_name']" },
        {
            content: "its state is a badge, not status-bar steps",
            trigger: ".o_form_statusbar .o_field_badge .badge",
            run() {
                if (document.querySelector(".o_form_statusbar .o_statusbar_status")) {
                    throw new Error("the connection state is drawn as status-bar steps");
                }
            },
        },
        {
            content: "the calls left are a snapshot with its time",
            trigger: ".o_form_view label:contains('Calls left at the last test')",
        },
        { content: "the Mappings tab", trigger: ".o_notebook a:contains('Mappings')", run: "click" },
        {
            content: "the unmapped tax is listed in a warning",
            trigger: ".alert-warning .o_field_widget[name='unmapped_warning']:contains('Sales taxes'):contains('(copy)')",
        },
        {
            content: "the default row says it is the default",
            trigger: ".o_field_widget[name='mapping_ids'] .o_data_row td[name='odoo_label']:contains('Default: every payment journal')",
        },
        {
            content: "every row has its Xero name",
            trigger: ".o_field_widget[name='mapping_ids'] .o_data_row td[name='xero_label']",
            run() {
                const cells = [
                    ...document.querySelectorAll(
                        ".o_field_widget[name='mapping_ids'] .o_data_row td[name='xero_label']"
                    ),
                ];
                const empty = cells.filter((td) => !td.textContent.trim());
                if (empty.length) {
                    throw new Error(`${empty.length} mapping rows without a Xero name`);
                }
            },
        },
        {
            content: "Configuration > Mappings",
            trigger: ".o_main_navbar button:contains('Configuration')",
            run: "click",
        },
        { content: "the Mappings menu", trigger: ".dropdown-item:contains('Mappings')", run: "click" },
        { content: "the Mappings list", trigger: ".o_breadcrumb:contains('Mappings')" },
        { content: "grouped by connection", trigger: ".o_list_view .o_group_header" },
    ],
});

registry.category("web_tour.tours").add("xero_invoice_tab_tour", {
    steps: () => [
        { content: "the invoice's Xero tab", trigger: ".o_notebook a:contains('Xero')", run: "click" },
        {
            content: "its link reads Xero invoice: Open in Xero",
            trigger: ".o_form_view .o_field_widget[name='xero_url'] a:contains('Open in Xero')",
            run() {
                const label = document.querySelector(".o_form_view label[for^='xero_url']");
                if (!label || label.textContent.includes("Open in Xero")) {
                    throw new Error(`the label reads "${label && label.textContent}"`);
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("xero_invoice_error_tour", {
    steps: () => [
        { content: "the invoice's Xero tab", trigger: ".o_notebook a:contains('Xero')", run: "click" },
        {
            content: "its status says Xero no longer has it, never In Xero",
            trigger: ".o_form_view .o_field_widget[name='xero_sync_state']:contains('Not found in Xero')",
            run() {
                const status = document.querySelector(".o_form_view .o_field_widget[name='xero_sync_state']");
                if (/^\s*(In Xero|Approved in Xero)\s*$/.test(status.textContent)) {
                    throw new Error(`the status reads "${status.textContent}" beside an error`);
                }
            },
        },
        {
            content: "the last error is beside it",
            trigger: ".o_form_view .o_field_widget[name='xero_last_error']:contains('Xero has no invoice')",
        },
    ],
});

registry.category("web_tour.tours").add("xero_partner_tab_tour", {
    steps: () => [
        { content: "the customer's Xero tab", trigger: ".o_form_view .o_notebook a:contains('Xero')", run: "click" },
        {
            content: "the customer's Xero tab has a Xero link",
            trigger: ".o_form_view .o_field_widget[name='xero_url'] a[href*='go.xero.com/Contacts/View/']",
        },
    ],
});

registry.category("web_tour.tours").add("xero_broken_connection_tour", {
    steps: () => [
        ...openMenu("Customers to Send"),
        {
            content: "Customers to Send opens, with a banner saying what is wrong",
            trigger: ".o_xero_connection_banner:contains('client id or secret')",
        },
        {
            content: "the banner links to the dealer's connection",
            trigger: ".o_xero_connection_banner a[href*='action_xero_connection']",
        },
        ...openMenu("Invoices to Send"),
        {
            content: "Invoices to Send opens too, with the same banner",
            trigger: ".o_xero_connection_banner:contains('client id or secret')",
        },
        ...openMenu("Tasks"),
        {
            content: "Add bulk task",
            trigger: ".o_control_panel button:contains('Add bulk task')",
            run: "click",
        },
        { content: "Preview", trigger: ".modal footer button:contains('Preview')", run: "click" },
        {
            content: "the wizard shows the banner and the way to the connection",
            trigger: ".modal [name='xero_connection_banner']:contains('client id or secret')",
        },
    ],
});

function assertDealerChoices(expected) {
    return function () {
        const items = [...document.querySelectorAll(".o-autocomplete--dropdown-menu .dropdown-item")]
            .map((el) => el.textContent.trim())
            .filter((text) => !text.startsWith("Search More"));
        if (JSON.stringify(items) !== JSON.stringify(expected)) {
            throw new Error(`dealers offered: ${items.join(", ")}; expected ${expected.join(", ")}`);
        }
    };
}

// Two companies active: Add bulk task offers both dealers, and runs for the one picked.
registry.category("web_tour.tours").add("xero_dealer_picker_tour", {
    steps: () => [
        { content: "the Tasks list", trigger: ".o_list_view" },
        { content: "Add bulk task", trigger: ".o_control_panel button:contains('Add bulk task')", run: "click" },
        {
            content: "the current company is preselected",
            trigger: ".modal .o_field_widget[name='company_id'] input:value('Tour Dealer A')",
        },
        { content: "open the dealer picker", trigger: ".modal .o_field_widget[name='company_id'] input", run: "edit Tour" },
        {
            content: "both active dealers are offered",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Tour Dealer B')",
            run: assertDealerChoices(["Tour Dealer A", "Tour Dealer B"]),
        },
        { content: "pick dealer B", trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Tour Dealer B')", run: "click" },
        { content: "Preview", trigger: ".modal footer button:contains('Preview')", run: "click" },
        {
            content: "dealer B's customer is previewed",
            trigger: ".modal .o_data_row td[name='name']:contains('Dealer B Customer')",
        },
        { content: "Queue", trigger: ".modal footer button:contains('Queue')", run: "click" },
        {
            content: "the task is dealer B's",
            trigger: ".o_form_view .o_field_widget[name='company_id']:contains('Tour Dealer B')",
        },
    ],
});

// A new connection, by a Xero Manager: only Save until saved, then Connect to Xero, Xero's
// consent (the emulator's), back in Odoo, the organisation chosen, Test connection.
registry.category("web_tour.tours").add("xero_oauth_journey_tour", {
    steps: () => [
        { content: "the Connections list", trigger: ".o_list_view" },
        { content: "New", trigger: ".o_control_panel .o_list_button_add", run: "click" },
        {
            content: "a new connection's form, for the active company without a connection",
            trigger: ".o_form_view .o_field_widget[name='company_id'] input:value('Journey Tour Dealer')",
        },
        {
            content: "nothing to click but Save before it is saved",
            trigger: ".o_form_view .o_form_sheet",
            run() {
                const buttons = [...document.querySelectorAll(".o_form_view .o_form_statusbar button, .o_form_view .o_notebook button")]
                    .map((el) => el.textContent.trim());
                if (buttons.length) {
                    throw new Error(`buttons before the connection is saved: ${buttons.join(", ")}`);
                }
            },
        },
        {
            content: "the Manager does not see where secrets are sent: no Servers tab",
            trigger: ".o_form_view .o_notebook:not(:has(a:contains('Servers')))",
        },
        { content: "client id", trigger: ".o_field_widget[name='client_id'] input", run: "edit emulator-app" },
        { content: "client secret", trigger: ".o_field_widget[name='client_secret'] input", run: "edit emulator-app-secret" },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        { content: "Connect to Xero", trigger: ".o_form_statusbar button[name='action_connect']", run: "click" },
        {
            content: "back from Xero's consent: choose the dealer's organisation",
            trigger: ".o_field_widget[name='tenant_choice_ids'] .o_data_row:contains('Journey Tour Org') button[name='action_choose']",
            run: "click",
        },
        {
            content: "the organisation is the connection's",
            trigger: ".o_field_widget[name='tenant_name'] input:value('Journey Tour Org')",
        },
        { content: "Test connection", trigger: ".o_form_statusbar button[name='action_test_connection']", run: "click" },
        {
            content: "the organisation, its base currency and the calls left",
            trigger: ".o_notification:contains('Connected to Xero'):contains('Journey Tour Org (USD)'):contains('calls left this minute')",
        },
        {
            content: "the state says Connected",
            trigger: ".o_form_statusbar .o_field_widget[name='state']:contains('Connected')",
        },
    ],
});
