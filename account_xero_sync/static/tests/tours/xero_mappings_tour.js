/** @odoo-module */
/**
 * Mappings that guide (issue #23, item 3), run by tests/test_tours.py: on Configuration >
 * Mappings a Xero Manager adds the rows still to map, finds the Xero tax type by its code among
 * the sales rates only, and sees a rate that is not the Odoo tax's flagged on the row.
 */
import { registry } from "@web/core/registry";

function dropdownItems() {
    return [...document.querySelectorAll(".o-autocomplete--dropdown-menu .dropdown-item")]
        .map((el) => el.textContent.trim())
        .filter((text) => !text.startsWith("Search More"));
}

registry.category("web_tour.tours").add("xero_mappings_tour", {
    steps: () => [
        { content: "the Mappings list", trigger: ".o_breadcrumb:contains('Mappings')" },
        {
            content: "Add the missing rows",
            trigger: "button:contains('Add the missing rows')",
            run: "click",
        },
        { content: "the rows still to map", trigger: ".o_searchview_facet:contains('Unmapped')" },
        {
            content: "the connection's rows, unfolded",
            trigger: ".o_list_view .o_group_header",
            run() {
                if (!document.querySelector(".o_list_view .o_data_row")) {
                    document.querySelector(".o_list_view .o_group_header").click();
                }
            },
        },
        {
            content: "the sales tax's row is to map",
            trigger: ".o_data_row:contains('Tax') td[name='xero_code_id']",
            run: "click",
        },
        {
            content: "search the Xero tax types by code",
            trigger: ".o_data_row .o_field_widget[name='xero_code_id'] input",
            run: "edit 2",
        },
        {
            content: "a sales rate is offered by its code, never a purchases rate",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('OUTPUT2')",
            run() {
                const items = dropdownItems();
                if (items.some((text) => text.includes("INPUT2"))) {
                    throw new Error(`a sales tax is offered ${items.join(", ")}`);
                }
            },
        },
        {
            content: "search OUTPUT3",
            trigger: ".o_data_row .o_field_widget[name='xero_code_id'] input",
            run: "edit OUTPUT3",
        },
        {
            content: "pick OUTPUT3",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('OUTPUT3')",
            run: "click",
        },
        { content: "save", trigger: ".o_list_button_save", run: "click" },
        {
            content: "the row says the rates differ",
            trigger: ".o_data_row td[name='rate_mismatch_message']:contains('is mapped to Xero OUTPUT3 at 5%')",
        },
    ],
});
