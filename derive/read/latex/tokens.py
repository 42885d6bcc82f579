"""LaTeX source -> tokens, and the small readers the normalizer and the definition check share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.errors import DeriveError

WHERE = "--latex"
_TOKEN = re.compile(r"\s+|\\[A-Za-z]+\*?|\\.|[A-Za-z]|\d+(?:\.\d+)?|\.\d+|[-+*/^_(){}\[\]|=,!'<>:;&.~$]")


@dataclass(frozen=True)
class Token:
    text: str
    pos: int  # offset in the source

    @property
    def is_space(self) -> bool:
        return self.text.isspace() or self.text == "~"

    @property
    def is_letter(self) -> bool:
        return len(self.text) == 1 and self.text.isalpha()

    @property
    def is_number(self) -> bool:
        return self.text[0].isdigit() or (self.text[0] == "." and len(self.text) > 1)

    @property
    def is_command(self) -> bool:
        return self.text.startswith("\\")


def fail(message: str) -> None:
    raise DeriveError(f"{WHERE}: {message}")


def tokenize(source: str) -> list[Token]:
    """Split LaTeX into tokens; a character derive does not read is refused with its column."""
    tokens, pos = [], 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            fail(f"character {source[pos]!r} at column {pos + 1} is not read in a formula")
        tokens.append(Token(match.group(), pos))
        pos = match.end()
    return tokens


def strip_math_delimiters(tokens: list[Token]) -> list[Token]:
    """Drop $...$, $$...$$, \\[...\\], \\(...\\) around the whole formula, and spaces."""
    body = [t for t in tokens if not t.is_space]
    pairs = (("$", "$"), ("\\[", "\\]"), ("\\(", "\\)"))
    changed = True
    while changed and len(body) >= 2:
        changed = False
        for left, right in pairs:
            if len(body) >= 2 and body[0].text == left and body[-1].text == right:
                body, changed = body[1:-1], True
    for t in body:
        if t.text in ("$", "\\[", "\\]", "\\(", "\\)"):
            fail(f"'{t.text}' at column {t.pos + 1}: give one formula without math delimiters")
    return body


def matching(tokens: list[Token], start: int) -> int:
    """Index of the bracket closing the one at `start` ({ ( or [)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    opening = tokens[start].text
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].text == opening:
            depth += 1
        elif tokens[i].text == pairs[opening]:
            depth -= 1
            if depth == 0:
                return i
    fail(f"'{opening}' at column {tokens[start].pos + 1} is never closed")


def braced(tokens: list[Token], i: int, what: str) -> tuple[list[Token], int]:
    """The tokens inside the {...} group at i (or the single token at i) and the index after it."""
    while i < len(tokens) and tokens[i].is_space:
        i += 1
    if i >= len(tokens):
        fail(f"{what} needs an argument")
    if tokens[i].text == "{":
        end = matching(tokens, i)
        return tokens[i + 1:end], end + 1
    return [tokens[i]], i + 1


def word(tokens: list[Token], what: str) -> str:
    """The plain word (letters, digits, spaces) a wrapper such as \\mathrm{...} contains."""
    text = "".join(t.text for t in tokens if not t.is_space)
    if not text or not all(t.is_letter or t.is_number or t.is_space or t.text == "_"
                           for t in tokens):
        fail(f"{what}{{{text}}}: expected a plain word of letters and digits")
    return text


def top_level_equals(tokens: list[Token]) -> list[int]:
    """Indices of '=' signs outside any brackets."""
    depth, found = 0, []
    for i, t in enumerate(tokens):
        if t.text in ("{", "(", "["):
            depth += 1
        elif t.text in ("}", ")", "]"):
            depth -= 1
        elif t.text == "=" and depth == 0:
            found.append(i)
    return found
