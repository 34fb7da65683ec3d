"""Check request bodies against the component schemas of Xero's official OpenAPI file.

`validate("Contacts", body)` returns a list of messages, each naming the field
(`Contacts[0].Phones[1].PhoneType: 'HOME' is not one of DEFAULT, DDI, MOBILE, FAX, OFFICE`);
an empty list means the body conforms. It checks what catches payload bugs: types, enums,
`maxLength`, `required`, uuid formats and date strings, following `$ref`. Unknown properties
are allowed (Xero ignores them), and so are nulls.

The file is `../shared/xero-openapi/xero_accounting.yaml` from the repository root, or the path
in the environment variable `XERO_OPENAPI_PATH`. It is parsed once per process. When the file
(or PyYAML) is missing, validation is skipped: `validate` returns [] and one warning is logged.
"""

import logging
import os
import re
import threading
from decimal import Decimal
from pathlib import Path

_logger = logging.getLogger(__name__)

ENV_VAR = "XERO_OPENAPI_PATH"
DEFAULT_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "xero-openapi" / "xero_accounting.yaml"
)
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DATE_RE = re.compile(
    r"^(/Date\(-?\d+([+-]\d{4})?\)/"
    r"|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)$"
)

_lock = threading.Lock()
_cache = {}


def spec_path(path=None):
    """The OpenAPI file to use: `path`, else $XERO_OPENAPI_PATH, else the shared copy."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)


def load_schemas(path=None):
    """`components.schemas` of the spec (parsed once per path), or None when unavailable."""
    target = spec_path(path)
    key = str(target)
    with _lock:
        if key in _cache:
            return _cache[key]
        schemas = None
        if not target.is_file():
            _logger.warning(
                "Xero OpenAPI file not found at %s (set %s): request bodies are not "
                "checked against the schema",
                target,
                ENV_VAR,
            )
        else:
            try:
                import yaml
            except ImportError:
                _logger.warning(
                    "PyYAML is not installed: request bodies are not checked against %s", target
                )
            else:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                with open(target, encoding="utf-8") as handle:
                    spec = yaml.load(handle, Loader=loader)
                schemas = spec.get("components", {}).get("schemas", {})
        _cache[key] = schemas
        return schemas


def available(path=None):
    """True when bodies can be checked (the file is there and PyYAML is installed)."""
    return load_schemas(path) is not None


def status(path=None):
    """One line saying whether and against what bodies are checked (for start-up logs)."""
    if available(path):
        return "request bodies are checked against %s" % spec_path(path)
    return "request bodies are NOT checked: no OpenAPI file at %s (or no PyYAML)" % spec_path(path)


def validate(schema_name, body, path=None, max_length=True):
    """Messages for every way `body` breaks `components/schemas/<schema_name>`; [] if none.

    `max_length=False` leaves length checks to the caller (the emulator reports them per item
    with Xero's wording). Returns [] when the spec is unavailable.
    """
    schemas = load_schemas(path)
    if schemas is None:
        return []
    if schema_name not in schemas:
        raise KeyError("no schema %r in %s" % (schema_name, spec_path(path)))
    errors = []
    _Checker(schemas, errors, max_length, schema_name).check(schemas[schema_name], body, "")
    return errors


def _join(where, name):
    return "%s.%s" % (where, name) if where else name


def _kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), type(value).__name__)


class _Checker:
    def __init__(self, schemas, errors, max_length, root):
        self.root = root
        self.schemas = schemas
        self.errors = errors
        self.max_length = max_length

    def resolve(self, schema):
        """Follow `$ref` (siblings of a `$ref` are merged over the target)."""
        seen = 0
        while "$ref" in schema and seen < 20:
            target = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            schema = dict(target, **{k: v for k, v in schema.items() if k != "$ref"})
            seen += 1
        return schema

    def fail(self, where, message):
        self.errors.append("%s: %s" % (where or self.root, message))

    def check(self, schema, value, where):
        if value is None:
            return
        schema = self.resolve(schema)
        for part in schema.get("allOf", ()):
            self.check(part, value, where)
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        checker = {
            "object": self.check_object,
            "array": self.check_array,
            "string": self.check_string,
            "number": self.check_number,
            "integer": self.check_integer,
            "boolean": self.check_boolean,
        }.get(kind)
        if checker:
            checker(schema, value, where)

    def check_object(self, schema, value, where):
        if not isinstance(value, dict):
            self.fail(where, "expected an object, got %s" % _kind(value))
            return
        for name in schema.get("required", ()):
            if value.get(name) is None:
                self.fail(_join(where, name), "is required")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                self.check(properties[name], item, _join(where, name))

    def check_array(self, schema, value, where):
        if not isinstance(value, list):
            self.fail(where, "expected an array, got %s" % _kind(value))
            return
        for index, item in enumerate(value):
            self.check(schema.get("items", {}), item, "%s[%d]" % (where, index))

    def check_string(self, schema, value, where):
        if not isinstance(value, str):
            self.fail(where, "expected a string, got %s %r" % (_kind(value), value))
            return
        enum = schema.get("enum")
        if enum and value not in enum:
            shown = ", ".join(str(e) for e in enum[:12]) + (", ..." if len(enum) > 12 else "")
            self.fail(where, "%r is not one of %s" % (value, shown))
        limit = schema.get("maxLength")
        if self.max_length and limit is not None and len(value) > limit:
            self.fail(where, "is %d characters long, more than maxLength %d" % (len(value), limit))
        if schema.get("format") == "uuid" and value and not UUID_RE.match(value):
            self.fail(where, "%r is not a uuid" % value)
        is_date = schema.get("x-is-msdate") or schema.get("x-is-msdate-time")
        if is_date and value and not DATE_RE.match(value) and not schema.get("readOnly"):
            self.fail(where, "%r is not a date (/Date(ms+0000)/ or YYYY-MM-DD)" % value)

    def check_number(self, schema, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            self.fail(where, "expected a number, got %s %r" % (_kind(value), value))

    def check_integer(self, schema, value, where):
        integral = isinstance(value, int) or (
            isinstance(value, Decimal) and value == value.to_integral()
        )
        if isinstance(value, bool) or not integral:
            self.fail(where, "expected an integer, got %s %r" % (_kind(value), value))

    def check_boolean(self, schema, value, where):
        if not isinstance(value, bool):
            self.fail(where, "expected a boolean (true/false), got %s %r" % (_kind(value), value))
