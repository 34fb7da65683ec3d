/** @odoo-module */
/**
 * Lists that are never stale (issue #23, item 4), run by tests/test_tours.py: once the
 * customers are sent, the next opening of Invoices to Send no longer says a customer "will be
 * created in Xero first", without Check again.
 */
import { registry } from "@web/core/registry";

function openMenu(name) {
    return [
        {
            content: `open ${name} from the Xero app's menu`,
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

registry.category("web_tour.tours").add("xero_fresh_lists_tour", {
    steps: () => [
        ...openMenu("Invoices to Send"),
        {
            content: "the invoice waits for its customer, who will be created in Xero first",
            trigger:
                ".o_list_view .o_data_row:contains('INV/') td[name='reason']:contains('Customer Tour Alpha Ltd will be created in Xero first')",
        },
        ...openMenu("Customers to Send"),
        {
            content: "the customers to send",
            trigger: ".o_list_view .o_data_row:contains('Tour Alpha Ltd')",
        },
        {
            content: "queue Send New Customers from the list's header",
            trigger: ".o_control_panel button:contains('Queue task')",
            run: "click",
        },
        {
            content: "the task's form follows the runner to its end",
            trigger: ".o_form_view .o_field_xero_task_state .badge:contains('Done')",
            timeout: 30000,
        },
        ...openMenu("Invoices to Send"),
        {
            content: "the invoice is to be created",
            trigger: ".o_list_view .o_data_row:contains('INV/') td[name='action']:contains('Create in Xero')",
        },
        {
            content: "and no longer waits for its customer, already sent (no Check again)",
            trigger: ".o_list_view .o_data_row:contains('INV/') td[name='reason']",
            run() {
                const reasons = [...document.querySelectorAll(".o_list_view .o_data_row td[name='reason']")];
                const stale = reasons.filter((td) => td.textContent.includes("will be created in Xero first"));
                if (stale.length) {
                    throw new Error(`a stale list: ${stale.map((td) => td.textContent.trim()).join(" | ")}`);
                }
            },
        },
    ],
});
