"""The emulator's state: the clock, organisations (tenants) and their records.

Records are stored in Xero's own JSON shape (money as Decimal, dates as `/Date(ms+0000)/`).
A record dict is never changed in place once stored: writers store a new dict. That makes a
batch rollback a matter of restoring the top-level dicts (see `Organisation.snapshot`).
All access goes through `Store.lock`.
"""

import threading
import time
import uuid
from decimal import Decimal

from .wire import day_ms_date, ms_date

DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_CLIENT_ID = "emulator-client"
DEFAULT_CLIENT_SECRET = "emulator-secret"
# The OAuth 2.0 app (authorization code): it reaches the organisations its users grant, at most
# APP_MAX_ORGANISATIONS while uncertified (developer.xero.com: app limits).
DEFAULT_APP_CLIENT_ID = "emulator-app"
DEFAULT_APP_CLIENT_SECRET = "emulator-app-secret"
APP_MAX_ORGANISATIONS = 25
DEFAULT_ORG_NAME = "Demo Company"
DEFAULT_BASE_CURRENCY = "NZD"
DEFAULT_EXTRA_CURRENCIES = ("AUD", "USD")

CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "EUR": "Euro",
    "GBP": "British Pound",
    "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}
# base currency -> (Organisation.Version, CountryCode, Timezone)
REGION_BY_CURRENCY = {
    "NZD": ("NZ", "NZ", "NEWZEALANDSTANDARDTIME"),
    "AUD": ("AU", "AU", "AUSEASTERNSTANDARDTIME"),
    "GBP": ("UK", "GB", "GMTSTANDARDTIME"),
    "USD": ("US", "US", "EASTERNSTANDARDTIME"),
}
CLASS_BY_TYPE = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}
# (code, name, type, tax type, extra fields)
DEFAULT_ACCOUNTS = (
    ("090", "Business Bank Account", "BANK", "NONE", {"BankAccountNumber": "0102030405060708"}),
    ("091", "Business Savings Account", "BANK", "NONE", {"BankAccountNumber": "0102030405060709"}),
    ("200", "Sales", "REVENUE", "OUTPUT2", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", {}),
    ("400", "Rounding", "EXPENSE", "NONE", {}),
    # Not a bank account, but payments may be made to it (write-offs, fees, discounts).
    ("404", "Bank Fees", "EXPENSE", "NONE", {"EnablePaymentsToAccount": True}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"SystemAccount": "DEBTORS"}),
)
# (tax type, name, rate, report tax type, revenue?, expenses?)
DEFAULT_TAX_RATES = (
    ("OUTPUT2", "15% GST on Income", "15.00", "OUTPUT", True, False),
    ("INPUT2", "15% GST on Expenses", "15.00", "INPUT", False, True),
    ("EXEMPTOUTPUT", "Zero Rated Income", "0.00", "EXEMPTOUTPUT", True, False),
    ("NONE", "No GST", "0.00", "NONE", True, True),
)


def account_id_for(tenant_id, code):
    """The fixed AccountID of a default account: stable per tenant and code."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), "account:" + code))


DEFAULT_BANK_ACCOUNT_ID = account_id_for(DEFAULT_TENANT_ID, "090")


class Clock:
    """Real time plus an offset, or (virtual) a time that moves only when told to."""

    def __init__(self, virtual=False, start=None):
        self.virtual = virtual
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen = time.time() if start is None else float(start)
        if start is not None and not virtual:
            self._offset = float(start) - time.time()

    def now(self):
        """Epoch seconds by this clock."""
        with self._lock:
            return self._frozen if self.virtual else time.time() + self._offset

    def advance(self, seconds):
        """Move the clock forward (or back) by `seconds`; returns the new time."""
        with self._lock:
            if self.virtual:
                self._frozen += float(seconds)
            else:
                self._offset += float(seconds)
        return self.now()

    def set(self, epoch):
        """Put the clock at `epoch` seconds; returns the new time."""
        with self._lock:
            if self.virtual:
                self._frozen = float(epoch)
            else:
                self._offset = float(epoch) - time.time()
        return self.now()

    def state(self):
        """What a state file keeps (see persist.py): the offset, or the virtual time."""
        with self._lock:
            return {"virtual": self.virtual, "offset": self._offset, "frozen": self._frozen}

    def restore(self, kept):
        """Back to a kept `state()`: a virtual clock at its kept time, a real one at its kept
        offset (a clock of the other kind keeps its own time)."""
        with self._lock:
            if bool(kept.get("virtual")) != self.virtual:
                return
            if self.virtual:
                self._frozen = float(kept.get("frozen", self._frozen))
            else:
                self._offset = float(kept.get("offset", 0.0))


def normalise_account(tenant_id, raw, now):
    """An Account record in Xero's shape from a seed dict (defaults filled in)."""
    record = dict(raw)
    code = str(record.get("Code") or "")
    record.setdefault("AccountID", account_id_for(tenant_id, code) if code else str(uuid.uuid4()))
    record.setdefault("Status", "ACTIVE")
    record.setdefault("Type", "REVENUE")
    record.setdefault("Class", CLASS_BY_TYPE.get(record["Type"], "REVENUE"))
    record.setdefault("TaxType", "NONE")
    record.setdefault("EnablePaymentsToAccount", False)
    record.setdefault("ShowInExpenseClaims", False)
    record.setdefault("HasAttachments", False)
    record.setdefault("AddToWatchlist", False)
    record.setdefault("UpdatedDateUTC", ms_date(now))
    if record["Type"] == "BANK":
        record.setdefault("BankAccountType", "BANK")
    return record


def normalise_tax_rate(raw):
    """A TaxRate record in Xero's shape from a seed dict (`Rate` or `EffectiveRate`)."""
    record = dict(raw)
    rate = Decimal(str(record.pop("Rate", record.get("EffectiveRate", "0"))))
    record.setdefault("Name", record.get("TaxType", "Tax"))
    record.setdefault("Status", "ACTIVE")
    record.setdefault("ReportTaxType", "OUTPUT" if rate else "NONE")
    record.setdefault(
        "TaxComponents",
        [{"Name": "GST", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}],
    )
    for flag in ("Assets", "Equity", "Expenses", "Liabilities", "Revenue"):
        record.setdefault("CanApplyTo" + flag, True)
    record["DisplayTaxRate"] = rate
    record["EffectiveRate"] = rate
    return record


class Organisation:
    """One Xero organisation (tenant) and everything in it."""

    def __init__(self, tenant_id, name, base_currency, currencies, created):
        self.tenant_id = tenant_id
        self.name = name
        self.base_currency = base_currency
        self.currencies = [base_currency] + [c for c in currencies if c != base_currency]
        self.created = created
        self.accounts = {}
        self.tax_rates = {}
        self.contacts = {}
        self.invoices = {}
        self.payments = {}
        self.credit_notes = {}
        self.allocations = {}
        self.attachments = {}
        self.invoice_seq = 0
        # (client id, secret) of the organisation's custom connection when a seed gives one
        # (see Identity.custom_clients for the others).
        self.custom_client = None
        self.lock_date = None  # a `date`: nothing dated on or before it may change

    def locked(self, day):
        """True when a document dated `day` (a `date`) is in the locked period."""
        return bool(self.lock_date and day and day <= self.lock_date)

    @classmethod
    def with_defaults(cls, tenant_id, name, base_currency, now, currencies=None):
        """An organisation with the default chart of accounts, tax rates and currencies."""
        extra = DEFAULT_EXTRA_CURRENCIES if currencies is None else currencies
        org = cls(tenant_id, name, base_currency, list(extra), now)
        for code, acc_name, acc_type, tax_type, extra_fields in DEFAULT_ACCOUNTS:
            raw = dict(extra_fields, Code=code, Name=acc_name, Type=acc_type, TaxType=tax_type)
            if acc_type == "BANK":
                raw["CurrencyCode"] = base_currency
            org.add_account(raw, now)
        for tax_type, tax_name, rate, report, revenue, expenses in DEFAULT_TAX_RATES:
            org.add_tax_rate(
                {
                    "TaxType": tax_type,
                    "Name": tax_name,
                    "Rate": rate,
                    "ReportTaxType": report,
                    "CanApplyToRevenue": revenue,
                    "CanApplyToExpenses": expenses,
                }
            )
        return org

    def add_account(self, raw, now):
        """Add or replace an account (matched by AccountID or Code)."""
        existing = self.find_account(raw)
        record = normalise_account(self.tenant_id, raw, now)
        if existing:
            record["AccountID"] = existing["AccountID"]
        self.accounts[record["AccountID"]] = record
        return record

    def add_tax_rate(self, raw):
        """Add or replace a tax rate (matched by TaxType)."""
        record = normalise_tax_rate(raw)
        self.tax_rates[record["TaxType"].upper()] = record
        return record

    def find_account(self, ref):
        """The account a reference `{AccountID}` or `{Code}` names, or None."""
        if not isinstance(ref, dict):
            return None
        account_id = str(ref.get("AccountID") or "").lower()
        if account_id:
            return next(
                (a for a in self.accounts.values() if a["AccountID"].lower() == account_id), None
            )
        code = str(ref.get("Code") or "").strip().upper()
        if code:
            return next(
                (a for a in self.accounts.values() if str(a.get("Code", "")).upper() == code), None
            )
        return None

    def tax_rate(self, tax_type):
        """The tax rate record for `tax_type` (any case), or None."""
        return self.tax_rates.get(str(tax_type or "").upper())

    def next_number(self, prefix="INV-"):
        """Xero's automatic sales number: INV-0001, CN-0002, INV-0003, ...

        Invoices and credit notes share one sequence; only the prefix differs.
        """
        taken = {str(i.get("InvoiceNumber", "")).upper() for i in self.invoices.values()}
        taken.update(str(c.get("CreditNoteNumber", "")).upper() for c in self.credit_notes.values())
        while True:
            self.invoice_seq += 1
            number = "%s%04d" % (prefix, self.invoice_seq)
            if number not in taken:
                return number

    def snapshot(self):
        """What a failed batch must restore (records are replaced, never edited in place)."""
        return (
            dict(self.contacts),
            dict(self.invoices),
            dict(self.payments),
            dict(self.credit_notes),
            dict(self.allocations),
            self.invoice_seq,
        )

    def restore(self, snap):
        """Undo every write since `snapshot()`."""
        (
            self.contacts,
            self.invoices,
            self.payments,
            self.credit_notes,
            self.allocations,
            self.invoice_seq,
        ) = snap

    def organisation_record(self):
        """The `Organisation` object as `GET /Organisation` returns it."""
        version, country, zone = REGION_BY_CURRENCY.get(self.base_currency, ("GLOBAL", None, None))
        record = {
            "OrganisationID": self.tenant_id,
            "APIKey": "",
            "Name": self.name,
            "LegalName": self.name,
            "PaysTax": True,
            "Version": version,
            "OrganisationType": "COMPANY",
            "BaseCurrency": self.base_currency,
            "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31,
            "FinancialYearEndMonth": 3,
            "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": ms_date(self.created),
            "OrganisationEntityType": "COMPANY",
            "ShortCode": "!" + self.tenant_id.replace("-", "")[-5:],
            "Edition": "BUSINESS",
            "Addresses": [],
            "Phones": [],
            "ExternalLinks": [],
            "PaymentTerms": {},
        }
        if self.lock_date:
            record["PeriodLockDate"] = day_ms_date(self.lock_date)
        if country:
            record["CountryCode"] = country
            record["Timezone"] = zone
        return record

    def currency_records(self):
        """`GET /Currencies`: the base currency and every enabled one."""
        return [
            {"Code": code, "Description": CURRENCY_NAMES.get(code, code)}
            for code in self.currencies
        ]


class Store:
    """Every organisation, behind one re-entrant lock."""

    def __init__(self, clock):
        self.lock = threading.RLock()
        self.clock = clock
        self.orgs = {}

    def org(self, tenant_id):
        """The organisation with this tenant id (any letter case), or None."""
        if not tenant_id:
            return None
        return self.orgs.get(str(tenant_id).strip().lower())

    def add_org(self, org):
        """Register an organisation (replacing one with the same tenant id)."""
        self.orgs[org.tenant_id.lower()] = org
        return org

    def tenant_ids(self):
        """Tenant ids in creation order."""
        return [org.tenant_id for org in self.orgs.values()]
