"""Declared shapes as typed on the command line: NAME=D1,D2 (numbers or dimension names)."""

from __future__ import annotations

import re

from derive.errors import DeriveError

DIM = re.compile(r"[1-9][0-9]{0,3}\Z|[A-Za-z][A-Za-z0-9_]{0,15}\Z")


def parse_shapes(items: list[str]) -> dict:
    """--shape NAME=D1,D2 options as {name: (d1, d2)} with int or str dimensions."""
    shapes = {}
    for item in items:
        name, sep, dims = item.partition("=")
        parts = [p.strip() for p in dims.split(",")] if sep else []
        if not sep or not name.strip() or not 1 <= len(parts) <= 2 or not all(
                DIM.match(p) for p in parts):
            raise DeriveError(f"--shape {item}: expected NAME=D1,D2 with dimensions that are "
                              "positive numbers or names, such as W=n,m or x=3,1")
        if name.strip() in shapes:
            raise DeriveError(f"--shape {item}: '{name.strip()}' already has a shape; declare "
                              "each name once")
        shapes[name.strip()] = tuple(int(p) if p.isdigit() else p for p in parts)
    return shapes
