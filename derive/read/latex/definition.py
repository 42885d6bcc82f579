"""The left side of a definition (`y = ...`, `\\sigma(x) = ...`, `L(y, t) = ...`).

It only names what is defined: a name, optionally with a list of argument names in
parentheses. The arguments must be variables of the right side (checked by parse_latex).
"""

from __future__ import annotations

from derive.read.latex import vocabulary as V
from derive.read.latex.normalize import NameSlot, Normalizer
from derive.read.latex.tokens import Token, fail, matching

_HEAD_SYMBOLS = ("_", "{", "}")
_ALLOWED_COMMANDS = (V.STYLE_COMMANDS | V.WORD_WRAPPERS | set(V.ACCENT_SUFFIXES)
                     | V.IGNORED_COMMANDS)


def defined_arguments(tokens: list[Token]) -> list[str]:
    """The argument names of the defined function (none for `y = ...`)."""
    shown = "".join(t.text for t in tokens).strip()
    hint = ("the left side of '=' must name what is defined, such as y, L or \\sigma(x) "
            f"(got '{shown}')")
    if not tokens:
        fail(hint)
    head, arguments = tokens, []
    if tokens[-1].text == ")":
        start = next((i for i, t in enumerate(tokens) if t.text == "("), None)
        if start is None or matching(tokens, start) != len(tokens) - 1:
            fail(hint)
        head, arguments = tokens[:start], _split(tokens[start + 1:-1], hint)
    if not head:
        fail(hint)
    for t in tokens:
        if t.text in V.REFUSED_CHARACTERS:
            fail(f"'{t.text}' on the left of '=': {V.REFUSED_CHARACTERS[t.text]}")
    for t in head:
        if t.text.startswith("\\"):
            if t.text[1:] not in V.GREEK_LETTERS and t.text not in _ALLOWED_COMMANDS:
                if t.text in V.REFUSED_COMMANDS:
                    fail(f"'{t.text}' on the left of '=': {V.REFUSED_COMMANDS[t.text]}")
                fail(hint)
        elif not (t.is_letter or t.is_number or t.is_space or t.text in _HEAD_SYMBOLS):
            fail(hint)
    return [_argument_name(part, hint) for part in arguments]


def _split(tokens: list[Token], hint: str) -> list[list[Token]]:
    parts, current = [], []
    for t in tokens:
        if t.text == ",":
            parts.append(current)
            current = []
        elif t.text in ("(", ")", "[", "]"):
            fail(hint)
        else:
            current.append(t)
    parts.append(current)
    return parts


def _argument_name(tokens: list[Token], hint: str) -> str:
    normalized = Normalizer(tokens).run()
    slots = list(normalized.slots.values())
    if len(slots) != 1 or len(normalized.pieces) != 1 or not isinstance(slots[0], NameSlot):
        fail(hint)
    slot = slots[0]
    return slot.base if slot.sub is None else f"{slot.base}_{slot.sub}"
