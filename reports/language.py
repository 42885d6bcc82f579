"""The languages of the documents: English (default) and Chinese (--lang zh).

The prose lives in reports/templates/text/<lang>.toml (LaTeX text, read by the templates as
`t.KEY`); a Chinese document is compiled with xelatex and ctex, an English one with pdflatex.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh")
TEXTS = Path(__file__).parent / "templates" / "text"


@cache
def text(lang: str) -> dict:
    """The prose of language `lang` (a key missing there falls back to English)."""
    english = tomllib.loads((TEXTS / "en.toml").read_text(encoding="utf-8"))
    english.setdefault("rule_names", {})  # English shows the engine's own names
    english.setdefault("chain_notes", {})
    english.setdefault("gettext", {})
    if lang == "en":
        return english
    own = tomllib.loads((TEXTS / f"{lang}.toml").read_text(encoding="utf-8"))
    merged = {**english, **own}
    for table in ("rules", "intuition_text", "tutorial", "rule_names", "chain_notes", "gettext",
                  "index_report"):
        merged[table] = {**english.get(table, {}), **own.get(table, {})}
    return merged


def translate(message: str, lang: str, known: dict | None = None) -> str:
    """`message` (the engine's or the verifier's English) in `lang`: from `known` (English ->
    translated: a catalog entry's own texts), the language's [gettext] table, or the first
    [messages] pattern it matches (its {parts} translated in turn); else unchanged."""
    if lang == "en" or not message:
        return message
    known = {**text(lang)["gettext"], **(known or {})}
    if message in known:
        return known[message]
    for pattern, replacement in _patterns(lang):
        match = pattern.fullmatch(message)
        if match:
            return replacement.format(**{k: translate(v, lang, known)
                                         for k, v in match.groupdict().items()})
    return message


@cache
def _patterns(lang: str) -> tuple:
    """The [messages] table of `lang` as (regular expression, replacement) pairs."""
    pairs = []
    for english, own in text(lang).get("messages", {}).items():
        parts = re.split(r"\{(\w+)\}", english)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        pairs.append((re.compile(regex, re.DOTALL), own))
    return tuple(pairs)


def tex_engine(lang: str, source: str = "") -> str:
    """latexmk's engine option for a document in `lang` (xelatex also for any LaTeX source
    beyond ASCII, which the templates then set up for Unicode)."""
    return "-xelatex" if lang == "zh" or not source.isascii() else "-pdf"
