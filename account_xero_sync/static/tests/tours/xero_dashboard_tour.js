/** @odoo-module */
/**
 * The dealer dashboard (tests/test_tours.py, test_dashboard_*): the cards read without cut
 * text or sideways scrolling at the width the test sets (1440 or 390 px), and a count opens its
 * list (a table on a desktop, cards on a phone).
 */
import { registry } from "@web/core/registry";
import { assertFits, assertInView } from "@account_xero_sync/../tests/tours/xero_tour_checks";

function dashboardSteps(listTrigger) {
    return [
        {
            content: "the dealer's card: organisation, state and counts",
            trigger: ".o_xero_dashboard .o_kanban_record:contains('Demo Company') .o_xero_dash_counts",
        },
        {
            content: "nothing on the card is cut or off screen",
            trigger: ".o_xero_dashboard .o_xero_dash_facts",
            run() {
                assertFits(
                    [
                        ".o_xero_dashboard .o_kanban_record",
                        ".o_xero_dash_counts th",
                        ".o_xero_dash_counts td",
                        ".o_xero_dash_facts > span",
                        ".o_xero_dash_org",
                        ".o_xero_dash_dealer",
                    ].join(", ")
                );
                assertInView(".o_xero_dashboard .o_kanban_record, .o_xero_dash_counts td");
                const facts = document.querySelector(".o_xero_dash_facts").textContent;
                for (const word of ["Last fetch", "Next fetch", "Calls left today"]) {
                    if (!facts.includes(word)) {
                        throw new Error(`"${word}" not on the card: ${facts}`);
                    }
                }
            },
        },
        {
            content: "one invoice to send: open it",
            trigger: ".o_xero_dashboard .o_xero_dash_invoices_to_send:contains('1')",
            run: "click",
        },
        {
            content: "the list of the invoice to send",
            trigger: listTrigger,
        },
    ];
}

registry.category("web_tour.tours").add("xero_dashboard_desktop_tour", {
    steps: () => [
        ...dashboardSteps(".o_list_view .o_data_row:contains('Tour Alpha Ltd')"),
        {
            content: "the invoice's row is not cut",
            trigger: ".o_list_view .o_data_row:contains('Tour Alpha Ltd')",
            run() {
                assertFits(".o_list_view .o_data_row td[name='name'], .o_list_view .o_data_row td[name='partner_id']");
            },
        },
    ],
});

registry.category("web_tour.tours").add("xero_dashboard_phone_tour", {
    steps: () => [
        ...dashboardSteps(".o_kanban_view .o_kanban_record:contains('Tour Alpha Ltd')"),
        {
            content: "on a phone the list is cards: what will happen and why, on screen",
            trigger: ".o_kanban_view .o_kanban_record:contains('Tour Alpha Ltd')",
            run() {
                assertFits(".o_kanban_view .o_kanban_record:not(.o_kanban_ghost) .o_field_widget");
                assertInView(".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)");
            },
        },
    ],
});
