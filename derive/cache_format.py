"""A derivation as plain JSON data for the on-disk cache, and back: no pickle, no code.

The encoding is generic over the objects' fields, so a changed Derivation class needs no
change here: JSON values stay as they are; lists are JSON arrays; tuples, dicts, SymPy
expressions (`srepr`, read back by derive.srepr_reader) and derive's own objects (their
public attributes; `_`-prefixed ones are caches recomputed on use) are one-key objects.
Reading builds only classes defined in derive's own modules, without calling their
`__init__`; anything else in the data is an error, and the entry is ignored.
"""

from __future__ import annotations

import importlib
import re
from enum import Enum

import numpy as np
import sympy as sp

from derive.srepr_reader import read_srepr, write_srepr

MODULE = re.compile(r"derive(\.[a-z][a-z0-9_]*)*\Z")
QUALNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


class Unencodable(TypeError):
    """A value the cache format cannot hold: the derivation is simply not cached."""


def encode(value):
    """`value` as JSON-ready data."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, Enum):
        return value if type(value) in (int, float) else _number(value)
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict) and type(value) is dict:
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, sp.Basic):
        return {"sympy": write_srepr(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"ndarray": [value.dtype.str, encode(value.tolist())]}
    cls = type(value)
    if MODULE.match(cls.__module__ or "") and "<locals>" not in cls.__qualname__:
        where = f"{cls.__module__}:{cls.__qualname__}"
        if isinstance(value, Enum):
            return {"enum": [where, value.name]}
        if hasattr(value, "__dict__") and not hasattr(cls, "__slots__"):
            state = {k: encode(v) for k, v in vars(value).items() if not k.startswith("_")}
            return {"object": [where, state]}
    raise Unencodable(f"{cls.__module__}.{cls.__qualname__} cannot be cached")


def _number(value):
    return int(value) if isinstance(value, int) else float(value)


def decode(data):
    """The value `encode` gave `data` for; ValueError/TypeError for anything unexpected."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("unexpected cache data")
    (tag, body), = data.items()
    if tag == "tuple" and isinstance(body, list):
        return tuple(decode(v) for v in body)
    if tag == "dict" and isinstance(body, list):
        return {_hashable(decode(k)): decode(v) for k, v in _pairs(body)}
    if tag == "sympy" and isinstance(body, str):
        return read_srepr(body)
    if tag == "ndarray" and _pair_of(body, str, list):
        dtype = np.dtype(body[0])
        if dtype.kind not in "biuf":
            raise ValueError("unexpected array type")
        return np.array(decode(body[1]), dtype=dtype)
    if tag == "enum" and _pair_of(body, str, str):
        return _derive_class(body[0], Enum)[body[1]]
    if tag == "object" and _pair_of(body, str, dict):
        cls = _derive_class(body[0], object)
        obj = cls.__new__(cls)
        obj.__dict__.update({_attribute(k): decode(v) for k, v in body[1].items()})
        return obj
    raise ValueError(f"unexpected cache data tag {tag!r}")


def _pairs(body):
    for item in body:
        if not isinstance(item, list) or len(item) != 2:
            raise ValueError("unexpected dict entry")
        yield item


def _pair_of(body, first, second) -> bool:
    return (isinstance(body, list) and len(body) == 2 and isinstance(body[0], first)
            and isinstance(body[1], second))


def _hashable(key):
    if isinstance(key, list):
        raise TypeError("a list cannot be a dict key")
    return key


def _attribute(name: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"unexpected attribute {name!r}")
    return name


def _derive_class(where: str, kind: type) -> type:
    """The class `module:Qualname` of one of derive's own modules (never `__main__`)."""
    module_name, _, qualname = where.partition(":")
    if not MODULE.match(module_name) or not QUALNAME.match(qualname):
        raise ValueError(f"unexpected class {where!r}")
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if (not isinstance(obj, type) or obj.__module__ != module_name or not issubclass(obj, kind)
            or issubclass(obj, (sp.Basic, BaseException))):
        raise ValueError(f"unexpected class {where!r}")
    return obj
