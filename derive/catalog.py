"""The operator catalog: `catalog.toml` read into plain entries, with the user's catalogs.

Each operator is one entry declared by its formula; rules, code, reports and tests are
generated from it. Nothing else in derive refers to an operator by name. A user's catalog
(`--catalog FILE`, or `[tool.derive] catalog` in a pyproject.toml) has the same format; its
entries are checked (derive.usercatalog) and seen by every command beside the built-ins.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from derive.errors import DeriveError

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
DEFAULT_DOMAIN = (-3.0, 3.0)


@dataclass(frozen=True)
class Entry:
    """One catalog operator."""

    name: str
    formula: str
    inputs: tuple[str, ...]
    constants: tuple[str, ...] = ()
    shapes: dict = field(default_factory=dict)
    domain: dict = field(default_factory=dict)
    conventions: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    layer: str | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()   # other names layers commonly have (Linear, Dense)
    related: tuple[str, ...] = ()   # the same operator in another layout or reduction
    identities: tuple[str, ...] = ()  # equations it assumes: 'sum(t, axis=0) = 1'
    outputs: tuple[str, ...] = ()   # several outputs, in the order forward returns them
    # how hand-written layers of it are called and what they keep (derive.verify.modes):
    # config dict values, constants the layer draws or hard-codes, running statistics
    protocol: dict = field(default_factory=dict, hash=False)
    slips: tuple = ()  # usual mistakes as formulas: ({"says": ..., "formula": ...}, ...)
    # the texts in Chinese (--lang zh): description, conventions, assumptions (the same order)
    chinese: dict = field(default_factory=dict, hash=False)

    def translations(self, lang: str) -> dict[str, str]:
        """English text of this entry -> its text in `lang` (empty for English)."""
        if lang != "zh":
            return {}
        pairs = [(self.description, self.chinese.get("description", ""))]
        for key in ("conventions", "assumptions"):
            pairs += zip(getattr(self, key), self.chinese.get(key, ()))
        return {english: own for english, own in pairs if english and own}

    def domain_of(self, name: str) -> tuple[float, float]:
        low, high = self.domain.get(name, DEFAULT_DOMAIN)
        return float(low), float(high)


USER_ENTRIES: dict = {}  # the user's catalogs' checked entries (derive.usercatalog.use)


@lru_cache(maxsize=1)
def builtin() -> dict[str, Entry]:
    """Every built-in entry by name, in catalog.toml's order."""
    with CATALOG_PATH.open("rb") as handle:
        return entries_of(tomllib.load(handle))


@lru_cache(maxsize=1)
def load() -> dict[str, Entry]:
    """Every catalog entry by name: the built-ins, then the user's catalogs' entries."""
    return {**builtin(), **USER_ENTRIES}


def entries_of(raw: dict) -> dict[str, Entry]:
    """Entries from a parsed catalog file (name -> table)."""
    entries = {}
    for name, item in raw.items():
        entries[name] = Entry(
            name=name,
            formula=item["formula"],
            inputs=tuple(item["inputs"]),
            constants=tuple(item.get("constants", ())),
            shapes={k: tuple(v) for k, v in item.get("shapes", {}).items()},
            domain={k: tuple(v) for k, v in item.get("domain", {}).items()},
            conventions=tuple(item.get("conventions", ())),
            assumptions=tuple(item.get("assumptions", ())),
            layer=item.get("layer"),
            description=item.get("description", ""),
            aliases=tuple(item.get("aliases", ())),
            related=tuple(item.get("related", ())),
            identities=tuple(item.get("identities", ())),
            outputs=tuple(item.get("outputs", ())),
            protocol=dict(item.get("protocol", {})),
            slips=tuple(dict(s) for s in item.get("slips", ())),
            chinese={key: item[f"{key}_zh"] for key in ("description", "conventions",
                                                         "assumptions") if f"{key}_zh" in item},
        )
    return entries


def get(name: str) -> Entry:
    """The entry called `name`; DeriveError naming the known operators otherwise."""
    entries = load()
    if name not in entries:
        raise DeriveError(f"unknown operator '{name}' (known: {', '.join(entries)})")
    return entries[name]
