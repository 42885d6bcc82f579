"""Command-line options for index formulas: --shape NAME=D1,...,Dk and --const NAME[=VALUE].

A dimension is a number, a name, or a product (`4*H`, `G*K`: G groups of K channels)."""

from __future__ import annotations

import re

from derive.errors import DeriveError
from derive.index.expressions import MAX_RANK

_NAME = r"[A-Za-z][A-Za-z0-9_]{0,15}"
DIM = re.compile(rf"[1-9][0-9]{{0,3}}\Z|{_NAME}\Z|(?:[1-9][0-9]?|{_NAME})\*{_NAME}\Z|"
                 rf"{_NAME}\*[1-9][0-9]?\Z")
CONSTANT = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,31})(?:=(-?[0-9]{1,4}))?\Z")


def index_shapes(items) -> dict:
    """--shape options as {name: (dims...)}, numbers as int, any rank up to MAX_RANK."""
    shapes = {}
    for item in items:
        name, sep, dims = str(item).partition("=")
        parts = [p.strip() for p in dims.split(",")] if sep else []
        if not sep or not name.strip() or not 1 <= len(parts) <= MAX_RANK or not all(
                DIM.match(p) for p in parts):
            raise DeriveError(f"--shape {item}: expected NAME=D1,D2,... (up to {MAX_RANK} "
                              "dimensions, positive numbers or names, or a product such as G*K "
                              "for G groups of K), such as x=N,C,H,W")
        if name.strip() in shapes:
            raise DeriveError(f"--shape {item}: '{name.strip()}' already has a shape")
        shapes[name.strip()] = tuple(int(p) if p.isdigit() else p for p in parts)
    return shapes


def index_constants(items) -> dict:
    """--const options as {name: integer value or None (given at run time)}."""
    constants = {}
    for item in items:
        match = CONSTANT.match(str(item).strip())
        if not match:
            raise DeriveError(f"--const {item}: expected NAME or NAME=INTEGER, such as "
                              "--const stride=2 or --const mask")
        name, value = match.group(1), match.group(2)
        if name in constants and constants[name] != (None if value is None else int(value)):
            raise DeriveError(f"--const {item}: '{name}' is given twice with different values")
        constants[name] = None if value is None else int(value)
    return constants
