/** @odoo-module */
/**
 * Every screen the Xero tours visit, checked at 1440x900 and at 390x844 (tests/test_tours.py,
 * test_screens_fit_*): nothing cut, off screen, wrapped or drawn over (xero_tour_checks.js).
 * The tours themselves run the same check at 1440 px on the way.
 */
import { registry } from "@web/core/registry";
import { screenFits } from "@account_xero_sync/../tests/tours/xero_tour_checks";

const tours = registry.category("web_tour.tours");

/** The screen the test opened: a list, a form, the dashboard. */
tours.add("xero_fits_tour", {
    steps: () => [
        { content: "the screen is loaded", trigger: ".o_action_manager .o_view_controller .o_content > *" },
        screenFits("the screen"),
    ],
});

/** A form of another app (an invoice, a credit note, a customer): its Xero tab. */
tours.add("xero_fits_xero_tab_tour", {
    steps: () => [
        { content: "the Xero tab", trigger: ".o_notebook .nav-link:contains('Xero')", run: "click" },
        { content: "the Xero tab is shown", trigger: ".o_notebook .nav-link.active:contains('Xero')" },
        screenFits("the Xero tab", { scope: ".o_form_view .o_notebook .tab-pane.active" }),
        screenFits("the form's header", { scope: ".o_form_view .o_form_statusbar" }),
    ],
});

/** The connection's form, on its Mappings tab. */
tours.add("xero_fits_mappings_tab_tour", {
    steps: () => [
        screenFits("the connection"),
        { content: "the Mappings tab", trigger: ".o_notebook .nav-link:contains('Mappings')", run: "click" },
        {
            content: "the mappings are shown",
            trigger: ".o_notebook .tab-pane.active .o_field_widget[name='mapping_ids']:contains('Xero')",
        },
        screenFits("the connection's mappings"),
    ],
});

/** Tasks > Add bulk task, with the preview of the invoices to send. */
tours.add("xero_fits_wizard_tour", {
    steps: () => [
        {
            content: "Add bulk task (on a phone, in the control panel's drop-down)",
            trigger: ".o_control_panel .o_control_panel_main_buttons",
            run() {
                const toggle = document.querySelector(
                    ".o_control_panel button.dropdown-toggle.o_control_panel_collapsed_create"
                );
                if (toggle && toggle.offsetParent) {
                    toggle.click();
                }
            },
        },
        {
            content: "Add bulk task",
            trigger: ".o_control_panel button:contains('Add bulk task'):visible",
            run: "click",
        },
        {
            content: "pick Send New Invoices",
            trigger: ".modal .o_field_widget[name='task_type'] select",
            run: 'select "send_new_invoices"',
        },
        screenFits("the wizard", { trigger: ".modal .o_form_view" }),
        { content: "Preview", trigger: ".modal footer button:contains('Preview')", run: "click" },
        screenFits("the wizard's preview", {
            trigger: ".modal .o_field_widget[name='line_ids']:contains('INV/')",
            timeout: 30000, // the preview reads Xero
        }),
    ],
});
