"""Make an echoed (refused) item safe for xero-python's deserialiser.

With `summarizeErrors=false` Xero answers 200 and echoes refused items; xero-python then
deserialises them, and raises ValueError on an invalid enum, a non-boolean flag or a date not in
`/Date(...)/` form. What the caller sent may be any of those, so the echo drops such values.
"""

from decimal import Decimal

from .wire import MS_DATE_RE, parse_datetime

ENUMS = {
    "Type": {"ACCPAY", "ACCPAYCREDIT", "APOVERPAYMENT", "APPREPAYMENT", "ACCREC", "ACCRECCREDIT",
             "AROVERPAYMENT", "ARPREPAYMENT"},
    "Status": {"DRAFT", "SUBMITTED", "DELETED", "AUTHORISED", "PAID", "VOIDED"},
    "ContactStatus": {"ACTIVE", "ARCHIVED", "GDPRREQUEST"},
    "LineAmountTypes": {"Exclusive", "Inclusive", "NoTax"},
    "PaymentType": {"ACCRECPAYMENT", "ACCPAYPAYMENT", "ARCREDITPAYMENT", "APCREDITPAYMENT",
                    "AROVERPAYMENTPAYMENT", "ARPREPAYMENTPAYMENT", "APPREPAYMENTPAYMENT",
                    "APOVERPAYMENTPAYMENT"},
    "TaxNumberType": {"SSN", "EIN", "ITIN", "ATIN"},
    "SalesDefaultLineAmountType": {"INCLUSIVE", "EXCLUSIVE", "NONE"},
    "PurchasesDefaultLineAmountType": {"INCLUSIVE", "EXCLUSIVE", "NONE"},
    "Taxability": {"TAXABLE", "NON_TAXABLE", "EXEMPT", "PART_TAXABLE", "NOT_APPLICABLE"},
}  # fmt: skip
CURRENCY_KEYS = {"CurrencyCode", "DefaultCurrency"}
DATE_KEYS = {"Date", "DueDate", "UpdatedDateUTC", "FullyPaidOnDate", "ExpectedPaymentDate",
             "PlannedPaymentDate"}  # fmt: skip
BOOL_KEYS = {"IsCustomer", "IsSupplier", "SentToContact", "IsReconciled", "HasAttachments",
             "IncludeInEmails", "HasValidationErrors", "HasErrors", "IsDiscounted", "HasAccount",
             "IncludeOnline", "IsDeleted"}  # fmt: skip
NUMBER_KEYS = {"Quantity", "UnitAmount", "LineAmount", "TaxAmount", "DiscountRate",
               "DiscountAmount", "Amount", "BankAmount", "CurrencyRate", "SubTotal", "TotalTax",
               "Total", "AmountDue", "AmountPaid", "AmountCredited", "TotalDiscount",
               "Discount", "RemainingCredit", "AppliedAmount"}  # fmt: skip
LIST_KEYS = {"LineItems", "Phones", "Addresses", "ContactPersons", "ContactGroups", "Tracking",
             "Payments", "Prepayments", "Overpayments", "CreditNotes", "Attachments", "Allocations",
             "ValidationErrors", "Warnings", "SalesTrackingCategories",
             "PurchasesTrackingCategories"}  # fmt: skip
MODEL_KEYS = {"Contact", "Invoice", "Account", "PaymentTerms", "BrandingTheme", "Balances",
              "BatchPayments", "Item", "CreditNote", "Prepayment", "Overpayment"}  # fmt: skip


def _valid(key, value, currencies):
    if key in ENUMS:
        return value in ENUMS[key]
    if key in CURRENCY_KEYS:
        return value in currencies
    if key in DATE_KEYS:
        return isinstance(value, str) and bool(MS_DATE_RE.match(value))
    if key in BOOL_KEYS:
        return isinstance(value, bool)
    if key in NUMBER_KEYS:
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if key in LIST_KEYS:
        return isinstance(value, list)
    if key in MODEL_KEYS:
        return isinstance(value, dict)
    return True


def sanitize_echo(obj, currencies):
    """A copy of `obj` without values xero-python could not deserialise."""
    clean = {}
    for key, value in (obj or {}).items():
        if value is None or not _valid(key, value, currencies):
            continue
        if isinstance(value, dict):
            value = sanitize_echo(value, currencies)
        elif isinstance(value, list):
            value = [sanitize_echo(v, currencies) for v in value if isinstance(v, dict)]
        clean[key] = value
    return clean


def input_errors(obj, path=""):
    """Messages for sent values that would be stored as they are and break a later answer.

    Type, Status and LineAmountTypes are left to the rules (which give Xero's messages), and so
    are currencies; dates may come in any accepted form.
    """
    errors = []
    for key, value in (obj or {}).items() if isinstance(obj, dict) else ():
        where = path + key
        if value is None:
            continue
        if key in DATE_KEYS:
            valid = parse_datetime(value) is not None
        elif key in ("Type", "Status", "LineAmountTypes") or key in CURRENCY_KEYS:
            valid = True
        else:
            valid = _valid(key, value, ())
        if not valid:
            errors.append("%r is not a valid value for %s." % (value, where))
        elif isinstance(value, dict):
            errors.extend(input_errors(value, where + "."))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                errors.extend(input_errors(item, "%s[%d]." % (where, index)))
    return errors
