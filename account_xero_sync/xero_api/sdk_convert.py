"""Conversions between plain Xero dicts (wire format, PascalCase) and xero-python SDK objects.

- Requests: :func:`to_sdk` turns a plain dict body into the SDK model the method declares,
  with the SDK's own deserializer (so its enum, length and type checks apply). Before that it
  checks every key against the model (an unknown key raises instead of being dropped silently,
  which is what the SDK would do), drops ``None`` values (the SDK would send ``"None"``), and
  writes dates as Xero's ``/Date(ms+0000)/`` (it accepts ``date``, ``datetime`` and ISO strings).
- Responses: :func:`to_plain` turns SDK models back into plain dicts keyed like Xero's JSON
  (``Decimal`` amounts, ``date``/``datetime`` dates, enum values as strings).
"""

import functools
import hashlib
import json
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum

from xero_python.api_client.deserializer import deserialize
from xero_python.models import BaseModel

_PARAM_RE = re.compile(r":param (\S+) (\w+):")
_RETURN_RE = re.compile(r":return: (\S+)")
_LIST_RE = re.compile(r"^list\[(.*)\]$")
_MS_DATE_RE = re.compile(r"^/Date\(-?\d+([+-]\d{2,4})?\)/$")
_PRIMITIVES = frozenset({"str", "int", "float", "bool", "object", "bytes", "file"})


class MethodSpec:
    """What a generated SDK method declares in its docstring: parameter types, return type,
    and whether it writes (every PUT/POST of the SDK takes an ``idempotency_key``)."""

    def __init__(self, params, returns, writes):
        self.params = params
        self.returns = returns
        self.writes = writes


@functools.cache
def method_spec(function):
    """:class:`MethodSpec` of an SDK api method (cached per function)."""
    doc = function.__doc__ or ""
    params = {name: type_name for type_name, name in _PARAM_RE.findall(doc)}
    returns = _RETURN_RE.search(doc)
    return MethodSpec(params, returns.group(1) if returns else None, "idempotency_key" in params)


def _ms_date(value, path):
    if isinstance(value, str):
        if _MS_DATE_RE.match(value):
            return value
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("%s: not a date: %r" % (path, value)) from None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), timezone.utc)
    else:
        raise ValueError("%s: not a date: %r" % (path, value))
    return "/Date(%d+0000)/" % round(moment.timestamp() * 1000)


def _prepare(type_name, value, finder, path):
    """Check and normalise ``value`` (a plain structure) for the SDK deserializer."""
    match = _LIST_RE.match(type_name)
    if match:
        if not isinstance(value, (list, tuple)):
            raise TypeError("%s: expected a list, got %r" % (path, type(value).__name__))
        item_type = match.group(1)
        return [_prepare(item_type, v, finder, "%s[%d]" % (path, i)) for i, v in enumerate(value)]
    if type_name in ("date[ms-format]", "datetime[ms-format]"):
        return _ms_date(value, path)
    if type_name in ("date", "datetime"):
        return value.isoformat() if isinstance(value, (date, datetime)) else value
    if type_name in _PRIMITIVES or type_name.startswith("dict("):
        return value
    try:
        model = finder.find_model(type_name)
    except AttributeError:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(model, type) and issubclass(model, Enum):
        return value
    if isinstance(value, BaseModel):
        value = to_plain(value)
    if not isinstance(value, dict):
        raise TypeError("%s: expected a %s object (dict), got %r" % (path, type_name, value))
    attributes = {key: attr for attr, key in model.attribute_map.items()}
    unknown = sorted(set(value) - set(attributes))
    if unknown:
        raise ValueError("%s: %s has no field %s" % (path, type_name, ", ".join(unknown)))
    return {
        key: _prepare(model.openapi_types[attributes[key]], v, finder, "%s.%s" % (path, key))
        for key, v in value.items()
        if v is not None
    }


def to_sdk(type_name, value, finder):
    """Return ``value`` ready for an SDK parameter of type ``type_name``.

    Dicts/lists for a model type become SDK model objects (see the module docstring); SDK
    objects, primitives (``str``, ``bool``, ``bytes`` bodies, ...) and ``None`` pass through.
    """
    if value is None or type_name is None or isinstance(value, (BaseModel, Enum)):
        return value
    if not isinstance(value, (dict, list, tuple)) or type_name in _PRIMITIVES:
        return value
    prepared = _prepare(type_name, value, finder, type_name)
    return deserialize(type_name, prepared, finder)


def to_plain(value):
    """Return SDK results as plain Python: models as dicts keyed like Xero's JSON (``None``
    fields left out), enums as their values, lists as lists; other values unchanged."""
    if isinstance(value, BaseModel):
        plain = {}
        for attr in value.openapi_types:
            item = getattr(value, attr, None)
            if item is not None:
                plain[value.attribute_map[attr]] = to_plain(item)
        return plain
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def strip_nulls(data):
    """Drop ``null`` members of JSON objects, recursively: the SDK's deserializer would turn a
    null string into ``"None"`` and a null boolean into ``False``."""
    if isinstance(data, dict):
        return {k: strip_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [strip_nulls(v) for v in data]
    return data


def _json_default(value):
    if isinstance(value, (BaseModel, Enum)):
        return to_plain(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    raise TypeError("cannot hash a %s for an idempotency key" % type(value).__name__)


def canonical_json(value):
    """Stable JSON text of ``value`` (sorted keys, no spaces; bytes by their sha256)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )
