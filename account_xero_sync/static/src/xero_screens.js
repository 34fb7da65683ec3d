/** @odoo-module */
/**
 * The Xero screens' two client-side pieces:
 * - the task state as a badge that, while the task is queued or running, reloads the task form
 *   every 2 seconds (progress, counts and log lines follow the runner; it stops once the task
 *   has finished, and never reloads a form with unsaved changes);
 * - a one2many list with `action="..." type="object"` on its root runs that button on a row
 *   click, as Odoo's main lists do (a log line opens its customer, invoice or payment, not a
 *   dialog of the line itself).
 */
import { useEffect } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import { BadgeField, badgeField } from "@web/views/fields/badge/badge_field";
import { X2ManyField } from "@web/views/fields/x2many/x2many_field";

export const XERO_TASK_REFRESH_MS = 2000;

export class XeroTaskStateField extends BadgeField {
    setup() {
        super.setup();
        useEffect(
            (state, resId) => {
                if (!resId || !["queued", "running"].includes(state)) {
                    return;
                }
                const record = this.props.record;
                const timer = browser.setInterval(() => {
                    if (!record.dirty) {
                        record.load();
                    }
                }, XERO_TASK_REFRESH_MS);
                return () => browser.clearInterval(timer);
            },
            () => [this.props.record.data[this.props.name], this.props.record.resId]
        );
    }
}

registry.category("fields").add("xero_task_state", {
    ...badgeField,
    component: XeroTaskStateField,
});

patch(X2ManyField.prototype, {
    async openRecord(record) {
        const openAction = this.archInfo.openAction;
        if (openAction && record.resId && this.props.viewMode === "list") {
            return this.env.services.action.doActionButton({
                name: openAction.action,
                type: openAction.type,
                resModel: record.resModel,
                resId: record.resId,
                resIds: [record.resId],
                context: record.context,
            });
        }
        return super.openRecord(...arguments);
    },
});
