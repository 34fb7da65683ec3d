/** @odoo-module */
/**
 * The one check every Xero tour runs on the screens it visits (tests/test_tours.py runs them
 * at 1440x900 and at 390x844): nothing on screen is cut ("Send New…", "INV/2026/…"), off the
 * screen's edge (a table wider than a phone), wrapped where it should read on one line (a
 * button's label), or drawn over another field ("Calls left" over its figures).
 *
 * `screenFits(content)` is the step; `assertFits` and `assertInView` the checks it is made of,
 * for a tour that checks one part of a screen only.
 */

/** Where a screen's own content is: the view shown, a dialog over it, and the title a phone
 * shows in the navigation bar. */
const SCREEN = ".o_action_manager > .o_action, .o_dialog .modal-content, .o_navbar_breadcrumbs";

/** What reads as text on a screen; each must show in full. */
const TEXT = [
    "td.o_data_cell",
    "thead th",
    "thead th span",
    ".text-truncate",
    ".o_group_name",
    ".o_breadcrumb .breadcrumb-item",
    ".o_breadcrumb .o_last_breadcrumb_item",
    ".o_form_label",
    ".o_field_widget:not(.o_field_x2many)",
    ".o_field_widget input",
    ".o_notebook_headers .nav-link",
    ".badge",
    ".btn",
    ".o_kanban_record",
    ".o_searchview_facet",
    ".alert",
    ".modal-title",
].join(", ");

/** Strips of Odoo's that scroll sideways by design: what is in them may be off screen. */
const SCROLLS_BY_DESIGN =
    ".o_notebook_headers, .o_searchview, .o_cp_switch_buttons, .o-mail-Chatter-topbar";

function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
}

function elements(selector) {
    const found = new Set();
    for (const screen of document.querySelectorAll(SCREEN)) {
        for (const el of screen.querySelectorAll(selector)) {
            if (visible(el)) {
                found.add(el);
            }
        }
    }
    return [...found];
}

function label(el) {
    const text = (el.textContent || el.value || "").trim().replace(/\s+/g, " ");
    const name = el.getAttribute("name") || el.dataset.name || "";
    return `${el.tagName.toLowerCase()}${name ? `[${name}]` : ""} "${text.slice(0, 80)}"`;
}

/** An input's value wider than the input (a one-line field cut, "accounting.i"). */
function inputCut(input) {
    const style = getComputedStyle(input);
    const context = document.createElement("canvas").getContext("2d");
    context.font = style.font;
    const room =
        input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return context.measureText(input.value).width > room + 1;
}

/**
 * Its text does not fit its box. `strict`: wider than its box at all (what a tour checks on
 * the cells it names); else only where the box hides the rest (an ellipsis, a clip), for the
 * check of a whole screen.
 */
export function isCut(el, strict = false) {
    if (el.matches("input:not([type=checkbox]):not([type=radio])")) {
        return inputCut(el);
    }
    const wider = el.scrollWidth > el.clientWidth + 1;
    if (strict) {
        return wider;
    }
    if (!wider && el.scrollHeight <= el.clientHeight + 1) {
        return false;
    }
    const style = getComputedStyle(el);
    const clipsX = style.overflowX !== "visible" && wider;
    const clipsY =
        ["hidden", "clip"].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
    return clipsX || clipsY;
}

/** A label on two lines or more where it reads as one: a button's, a tab's. */
function isWrapped(el) {
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim() || node.parentElement.closest(".visually-hidden")) {
            continue; // a screen reader's label ("Toggle Dropdown") is not on screen
        }
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) {
            if (rect.width) {
                tops.add(Math.round(rect.top));
            }
        }
    }
    return tops.size > 1;
}

/** A word (up to 24 letters) broken across two lines: "Blocke / d", "Diffe / r". */
function brokenWords(el) {
    const broken = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.textContent.matchAll(/\S{2,24}/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set(
                [...range.getClientRects()].filter((r) => r.width).map((r) => Math.round(r.top))
            );
            if (tops.size > 1) {
                broken.push(match[0]);
            }
        }
    }
    return broken;
}

function assertWordsWhole(selector) {
    const bad = elements(selector)
        .map((el) => [el, brokenWords(el)])
        .filter(([, words]) => words.length)
        .map(([el, words]) => `${label(el)}: ${words.join(", ")}`);
    if (bad.length) {
        throw new Error(`words broken across lines at ${window.innerWidth} px: ${bad.join(" | ")}`);
    }
}

export function assertFits(selector, { strict = true } = {}) {
    const cells = elements(selector);
    if (strict && !cells.length) {
        throw new Error(`nothing matches ${selector}`);
    }
    const bad = cells.filter((el) => isCut(el, strict)).map(label);
    if (bad.length) {
        throw new Error(`text cut at ${window.innerWidth} px: ${bad.join(" | ")}`);
    }
}

export function assertInView(selector) {
    const width = document.documentElement.clientWidth;
    const bad = elements(selector)
        .filter((el) => !el.closest(SCROLLS_BY_DESIGN))
        .filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width && (box.right > width + 1 || box.left < -1);
        })
        .map((el) => {
            const box = el.getBoundingClientRect();
            return `${label(el)} at ${Math.round(box.left)}-${Math.round(box.right)}`;
        });
    if (bad.length) {
        throw new Error(`off screen at ${width} px: ${bad.join(" | ")}`);
    }
}

function assertNotWrapped(selector) {
    const bad = elements(selector).filter(isWrapped).map(label);
    if (bad.length) {
        throw new Error(`wrapped onto two lines at ${window.innerWidth} px: ${bad.join(" | ")}`);
    }
}

/** A form's labels and fields drawn over one another. */
function assertNoOverlap(selector) {
    const boxes = elements(selector).map((el) => [el, el.getBoundingClientRect()]);
    const bad = [];
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i];
            const [b, rb] = boxes[j];
            if (a.contains(b) || b.contains(a)) {
                continue;
            }
            const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (x > 2 && y > 2) {
                bad.push(`${label(a)} over ${label(b)}`);
            }
        }
    }
    if (bad.length) {
        throw new Error(`drawn over one another at ${window.innerWidth} px: ${bad.join(" | ")}`);
    }
}

/** Every check, on the screen shown (and the dialog over it). */
export function assertScreenFits(scope = "") {
    const within = (selector) =>
        scope ? selector.split(", ").map((s) => `${scope} ${s}`).join(", ") : selector;
    assertFits(within(TEXT), { strict: false });
    assertInView(within(TEXT));
    assertWordsWhole(within("thead th, .badge, .btn, .o_form_label, .o_kanban_record th"));
    assertNotWrapped(
        within(
            ".o_control_panel .btn, .o_form_statusbar .btn, .modal-footer .btn, .o_notebook_headers .nav-link, .badge, .breadcrumb-item"
        )
    );
    assertNoOverlap(within(".o_inner_group .o_form_label, .o_inner_group .o_field_widget"));
}

/**
 * The step: once `trigger` (default: a loaded view) is on screen, nothing on it (or in `scope`
 * only, a selector within the screen: an addon's own tab on another app's form) is cut, off
 * screen, wrapped or drawn over.
 */
export function screenFits(content, { trigger, scope, timeout } = {}) {
    return {
        content: `${content}: nothing cut, off screen, wrapped or drawn over`,
        trigger: trigger || ".o_action_manager .o_view_controller",
        timeout: timeout || 10000,
        run() {
            assertScreenFits(scope);
        },
    };
}
