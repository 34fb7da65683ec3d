"""Xero's `where` filter and `order` parameter, for list endpoints.

Grammar (the subset Xero documents and clients use):
    expr    := term (("OR" | "||") term)*
    term    := factor (("AND" | "&&") factor)*
    factor  := ("NOT" | "!") factor | compare
    compare := operand (("==" | "=" | "!=" | ">" | ">=" | "<" | "<=") operand)?
    operand := primary ("." Method "(" args ")")*
    primary := "string" | number | true | false | null | DateTime(y, m, d[, h, mi, s])
             | Guid("...") | Field(.Field)* | "(" expr ")"
Methods: Contains, StartsWith, EndsWith (case-insensitive), ToLower, ToUpper.
At most MAX_OR_TERMS (10) terms joined by OR, counted at every depth (more: WhereTooLong).
String comparisons (``==``, ``<``...) are case-sensitive, as Xero's are (XERO_NOTES.md, "Where
Xero is stricter"; pyxero#71, xero-php#416): ``Name.ToLower()=="acme ltd"`` is how a client
finds "ACME Ltd" and "Acme Ltd". A ``Guid("...")`` compares without case.
"""

import re
from datetime import datetime, timezone
from decimal import Decimal

from .wire import ms_of, parse_datetime, to_decimal

TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|>=|<=|&&|\|\||[=<>!().,])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
COMPARATORS = {"==", "=", "!=", ">", ">=", "<", "<="}


#: Most `OR` terms in one `where` (XERO_NOTES.md: long chains are refused; the list
#: parameters IDs, ContactIDs, InvoiceNumbers are the way to ask for many records).
MAX_OR_TERMS = 10
MSG_TOO_MANY_ORS = (
    "The where filter has %d OR terms: at most %d are allowed. Use the IDs, ContactIDs or "
    "InvoiceNumbers parameters to ask for many records."
)


class QueryError(ValueError):
    """A `where` or `order` the emulator cannot parse (Xero answers QueryParseException)."""


class WhereTooLong(QueryError):
    """A `where` with more than MAX_OR_TERMS terms joined by OR (a ValidationException)."""


def _tokens(text):
    pos, tokens = 0, []
    text = text.strip()
    while pos < len(text):
        match = TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(
                "Unexpected character at position %d in where clause: %r" % (pos, text)
            )
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def _lookup(record, path):
    value = record
    for part in path:
        if not isinstance(value, dict):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(key) if key else None
    return value


def _coerce_pair(left, right):
    """Bring two values to comparable types (dates, numbers, case-folded strings)."""
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _as_datetime(left), _as_datetime(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left, right
    numeric = (int, float, Decimal)
    if isinstance(left, numeric) or isinstance(right, numeric):
        try:
            return to_decimal(left), to_decimal(right)
        except ValueError:
            return str(left), str(right)
    if isinstance(left, _Guid) or isinstance(right, _Guid):
        return str(left).casefold(), str(right).casefold()
    return left, right


class _Guid(str):
    """The value of ``Guid("...")``: compared with an id field without regard to case."""


def _as_datetime(value):
    return parse_datetime(value) if not isinstance(value, datetime) else value


def _compare(op, left, right):
    if left is None or right is None:
        if op in ("==", "="):
            return left is None and right is None
        if op == "!=":
            return not (left is None and right is None)
        return False
    left, right = _coerce_pair(left, right)
    if left is None or right is None:
        return False
    try:
        return {
            "==": left == right,
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]
    except TypeError:
        return False


def _method(name, value, args):
    lowered = name.lower()
    if lowered == "tolower":
        return value.lower() if isinstance(value, str) else value
    if lowered == "toupper":
        return value.upper() if isinstance(value, str) else value
    if lowered in ("contains", "startswith", "endswith"):
        if not isinstance(value, str) or len(args) != 1 or not isinstance(args[0], str):
            return False
        haystack, needle = value.casefold(), args[0].casefold()
        if lowered == "contains":
            return needle in haystack
        return haystack.startswith(needle) if lowered == "startswith" else haystack.endswith(needle)
    raise QueryError("Unknown method %s in where clause" % name)


class _Parser:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.pos = 0
        self.ors = 0  # OR operators, at any depth

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if token[0] is None or (value is not None and token[1] != value):
            raise QueryError("Expected %r in where clause" % (value or "more input"))
        self.pos += 1
        return token

    def keyword(self, *words):
        kind, value = self.peek()
        if value is not None and (value in words or (kind == "name" and value.upper() in words)):
            self.pos += 1
            return True
        return False

    def parse(self):
        node = self.expr()
        if self.pos != len(self.tokens):
            raise QueryError("Unexpected %r in where clause" % (self.peek()[1],))
        if self.ors + 1 > MAX_OR_TERMS:
            raise WhereTooLong(MSG_TOO_MANY_ORS % (self.ors + 1, MAX_OR_TERMS))
        return node

    def expr(self):
        node = self.term()
        while self.keyword("OR", "||"):
            self.ors += 1
            left, right = node, self.term()
            node = lambda r, a=left, b=right: a(r) or b(r)  # noqa: E731
        return node

    def term(self):
        node = self.factor()
        while self.keyword("AND", "&&"):
            left, right = node, self.factor()
            node = lambda r, a=left, b=right: a(r) and b(r)  # noqa: E731
        return node

    def factor(self):
        if self.keyword("NOT", "!"):
            inner = self.factor()
            return lambda r: not inner(r)
        left = self.operand()
        kind, value = self.peek()
        if kind == "op" and value in COMPARATORS:
            self.pos += 1
            right = self.operand()
            return lambda r: _compare(value, left(r), right(r))
        return lambda r: bool(left(r))

    def operand(self):
        node = self.primary()
        while self.peek() == ("op", ".") and self.peek(2) == ("op", "("):
            self.take(".")
            name = self.take()[1]
            args = self.arguments()
            node = lambda r, n=node, m=name, a=args: _method(m, n(r), [x(r) for x in a])  # noqa: E731
        return node

    def arguments(self):
        self.take("(")
        args = []
        if self.peek() != ("op", ")"):
            args.append(self.operand())
            while self.peek() == ("op", ","):
                self.take(",")
                args.append(self.operand())
        self.take(")")
        return args

    def primary(self):
        kind, value = self.take()
        if kind == "string":
            return lambda r: value
        if kind == "number":
            number = Decimal(value)
            return lambda r: number
        if kind == "op" and value == "(":
            node = self.expr()
            self.take(")")
            return node
        if kind != "name":
            raise QueryError("Unexpected %r in where clause" % value)
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return lambda r: upper == "TRUE"
        if upper == "NULL":
            return lambda r: None
        if upper in ("DATETIME", "GUID") and self.peek() == ("op", "("):
            args = [arg(None) for arg in self.arguments()]
            return self._function(upper, args)
        path = [value]
        while self.peek() == ("op", ".") and self.peek(2) != ("op", "("):
            self.take(".")
            path.append(self.take()[1])
        return lambda r: _lookup(r, path)

    @staticmethod
    def _function(name, args):
        if name == "GUID":
            if len(args) != 1:
                raise QueryError("Guid() takes one argument")
            text = _Guid(str(args[0]).lower())
            return lambda r: text
        try:
            parts = [int(a) for a in args]
            moment = datetime(*parts, tzinfo=timezone.utc)
        except (TypeError, ValueError) as exc:
            raise QueryError("Invalid DateTime(%s)" % ", ".join(map(str, args))) from exc
        return lambda r: moment


def compile_where(text):
    """A predicate `record -> bool` for a `where` clause (QueryError when unparsable)."""
    return _Parser(text).parse()


def sort_key_for(field):
    """A sort key for one `order` field: dates by time, numbers numerically, text folded."""
    path = field.split(".")

    def key(record):
        value = _lookup(record, path)
        if value is None:
            return (0, 0)
        if isinstance(value, bool):
            return (1, int(value))
        if isinstance(value, (int, float, Decimal)):
            return (1, Decimal(str(value)))
        if isinstance(value, str) and value.startswith("/Date("):
            return (1, ms_of(value))
        return (2, str(value).casefold())

    return key


def apply_order(records, order):
    """Sort `records` by an `order` parameter such as `Name ASC, UpdatedDateUTC DESC`."""
    clauses = [part.strip() for part in order.split(",") if part.strip()]
    for clause in reversed(clauses):
        words = clause.split()
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError("Invalid order clause %r" % clause)
        descending = len(words) == 2 and words[1].upper() == "DESC"
        records = sorted(records, key=sort_key_for(words[0]), reverse=descending)
    return records
