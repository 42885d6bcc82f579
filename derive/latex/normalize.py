"""LaTeX tokens -> the plain dialect latex2sympy2's grammar parses without ambiguity.

Every name becomes a numbered placeholder `\\variable{vN}` (so the grammar never sees a letter
it could read as a differential, Euler's e or the imaginary unit); function words become
placeholders or the grammar's own commands; transposes become `^T`; `\\odot` becomes the
grammar's `\\mod` (the converter reads it as the elementwise product). Anything else is refused
here, by name, with what to write instead.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from derive.latex import vocabulary as V
from derive.latex.tokens import Token, braced, fail, matching, word

MAX_NUMBER_DIGITS = 30


@dataclass(frozen=True)
class NameSlot:
    """A variable: base name (x, sigma, y_hat, loss) and subscript (k, 1, ij) if any."""

    base: str
    sub: str | None
    source: str


@dataclass(frozen=True)
class FunctionSlot:
    """A formula function written as a word (\\operatorname{relu}) or a letter (\\sigma(...))."""

    name: str
    source: str


@dataclass(frozen=True)
class IndexSlot:
    """The summation index of a \\sum (None when the sum has none)."""

    index: str | None
    source: str


def _name_start(token: Token) -> bool:
    return (token.is_letter or token.text[1:] in V.GREEK_LETTERS
            or token.text in V.STYLE_COMMANDS or token.text in V.WORD_WRAPPERS
            or token.text in V.ACCENT_SUFFIXES)


class Normalizer:
    def __init__(self, tokens: list[Token]):
        self.tokens = list(tokens)
        self.pieces: list[tuple[str, int]] = []  # (text for the grammar, source offset)
        self.slots: dict[str, object] = {}

    def run(self) -> "Normalizer":
        i = 0
        while i < len(self.tokens):
            i = self.step(i)
        return self

    @property
    def text(self) -> str:
        return " ".join(piece for piece, _ in self.pieces)

    def source_offset(self, column: int) -> int:
        """The source offset of the piece at `column` of the normalized text."""
        at = 0
        for piece, pos in self.pieces:
            if column < at + len(piece) + 1:
                return pos
            at += len(piece) + 1
        return self.pieces[-1][1] if self.pieces else 0

    def emit(self, text: str, pos: int) -> None:
        self.pieces.append((text, pos))

    def slot(self, value, pos: int) -> None:
        key = f"v{len(self.slots)}"
        self.slots[key] = value
        self.emit(f"\\variable{{{key}}}", pos)

    def peek(self, i: int) -> Token | None:
        while i < len(self.tokens) and (self.tokens[i].is_space
                                        or self.tokens[i].text in V.IGNORED_COMMANDS):
            i += 1
        return self.tokens[i] if i < len(self.tokens) else None

    def step(self, i: int) -> int:
        tok = self.tokens[i]
        text = tok.text
        if tok.is_space or text in V.IGNORED_COMMANDS:
            return i + 1
        if tok.is_letter:
            return self.letter(i)
        if tok.is_number:
            return self.number(i)
        if text in V.REFUSED_COMMANDS:
            fail(f"'{text}' at column {tok.pos + 1}: {V.REFUSED_COMMANDS[text]}")
        if text in V.REFUSED_CHARACTERS:
            fail(f"'{text}' at column {tok.pos + 1}: {V.REFUSED_CHARACTERS[text]}")
        if text in V.OPERATOR_COMMANDS:
            self.emit(V.OPERATOR_COMMANDS[text], tok.pos)
            return i + 1
        if text in V.GRAMMAR_FUNCTIONS:
            return self.function_command(i)
        if text == r"\sum":
            return self.summation(i)
        if text[1:] in V.GREEK_LETTERS:
            return self.greek(i)
        if text in V.STYLE_COMMANDS:  # \mathbf{W} is W: splice the content in its place
            content, end = braced(self.tokens, i + 1, text)
            self.tokens[i:end] = content
            return i
        if text in V.ACCENT_SUFFIXES:
            content, end = braced(self.tokens, i + 1, text)
            base = self.plain_name(content, text)
            return self.name(f"{base}_{V.ACCENT_SUFFIXES[text]}", end, tok)
        if text in V.WORD_WRAPPERS:
            return self.wrapped_word(i)
        if text == "^":
            return self.superscript(i)
        if text == "_":
            fail(f"subscript at column {tok.pos + 1} is not attached to a name: subscripts "
                 r"belong to names (x_k, W_1) and to \log_2")
        if text == "=":
            fail(f"'=' at column {tok.pos + 1}: only one definition such as y = ... is read")
        if text in ("+", "-", "*", "/", "(", ")", "[", "]", "{", "}", "|", ","):
            self.emit(text, tok.pos)
            return i + 1
        fail(f"unknown LaTeX command '{text}' at column {tok.pos + 1}")

    # names -----------------------------------------------------------------------------
    def letter(self, i: int) -> int:
        tok = self.tokens[i]
        self.check_letter_run(i)
        after = self.peek(i + 1)
        if tok.text == "d" and after is not None and _name_start(after):
            fail(f"'d{after.text}' at column {tok.pos + 1} reads as a differential: "
                 f"{V.DERIVATIVE_HINT}; for a product write d \\cdot {after.text}, "
                 r"for a variable named so write \mathrm{d" + after.text.lstrip("\\") + "}")
        if tok.text == "e" and (after is None or after.text != "_"):
            self.emit("e", tok.pos)  # Euler's number; e^{x} is exp(x)
            return i + 1
        return self.name(tok.text, i + 1, tok)

    def check_letter_run(self, i: int) -> None:
        """Letters typed together that spell a function (max, exp, relu) are refused."""
        if i > 0 and self.tokens[i - 1].is_letter and \
                self.tokens[i - 1].pos + 1 == self.tokens[i].pos:
            return
        j = i
        while j + 1 < len(self.tokens) and self.tokens[j + 1].is_letter and \
                self.tokens[j + 1].pos == self.tokens[j].pos + 1:
            j += 1
        run = "".join(t.text for t in self.tokens[i:j + 1])
        for fn in sorted((w for w in V.FUNCTION_WORDS if len(w) > 1), key=len, reverse=True):
            if fn in run.lower():
                command = V.WORD_COMMANDS.get(fn, r"\operatorname{" + fn + "}")
                fail(f"'{run}' at column {self.tokens[i].pos + 1} reads as a product of the "
                     f"letters {'·'.join(run)}; for the function write {command}(...)")

    def greek(self, i: int) -> int:
        tok = self.tokens[i]
        after = self.peek(i + 1)
        if tok.text in V.GREEK_FUNCTIONS and after is not None and after.text == "(":
            self.slot(FunctionSlot(V.GREEK_FUNCTIONS[tok.text], tok.text), tok.pos)
            return i + 1
        return self.name(tok.text[1:], i + 1, tok)

    def wrapped_word(self, i: int) -> int:
        tok = self.tokens[i]
        content, end = braced(self.tokens, i + 1, tok.text)
        text = word(content, tok.text)
        lower = text.lower()
        if lower in V.FUNCTION_WORDS:
            if lower in V.WORD_COMMANDS:
                self.emit(V.WORD_COMMANDS[lower], tok.pos)
                return self.after_function(end, text)
            self.slot(FunctionSlot(V.FUNCTION_WORDS[lower], f"{tok.text}{{{text}}}"), tok.pos)
            return end
        after = self.peek(end)
        if tok.text.startswith(r"\operatorname") or (len(text) > 1 and after is not None
                                                       and after.text == "("):
            fail(f"unknown function '{text}' ({tok.text}{{{text}}}): derive reads "
                 f"{', '.join(sorted(set(V.FUNCTION_WORDS.values())))}")
        if text == "d":
            fail(f"'{tok.text}{{d}}' at column {tok.pos + 1}: {V.DERIVATIVE_HINT}")
        if text == "e":
            self.emit("e", tok.pos)
            return end
        return self.name(text, end, tok)

    def plain_name(self, content: list[Token], what: str) -> str:
        body = [t for t in content if not t.is_space]
        if len(body) == 1 and (body[0].is_letter or body[0].text[1:] in V.GREEK_LETTERS):
            return body[0].text.lstrip("\\")
        fail(f"{what}{{{''.join(t.text for t in body)}}}: expected one letter")

    def name(self, base: str, i: int, tok: Token) -> int:
        """Emit the variable `base` with the subscript that follows at i, if any."""
        if keyword.iskeyword(base):
            base += "_"  # \lambda is the variable lambda_
        sub = None
        after = self.peek(i)
        if after is not None and after.text == "_":
            i = self.tokens.index(after, i)
            sub, i = self.subscript(i)
        shown = tok.text + (f"_{sub}" if sub else "")
        self.refuse_call_look(i, shown)
        self.slot(NameSlot(base, sub, shown), tok.pos)
        return i

    def refuse_call_look(self, i: int, shown: str) -> None:
        """`g(z)`: a name, then one name in parentheses, reads like a call; refuse it."""
        rest = [t for t in self.tokens[i:i + 8] if not t.is_space
                and t.text not in V.IGNORED_COMMANDS]
        if len(rest) >= 3 and rest[0].text == "(" and rest[2].text == ")" and (
                rest[1].is_letter or rest[1].text[1:] in V.GREEK_LETTERS):
            arg = rest[1].text
            fail(f"'{shown}({arg})' reads like a call of an unknown function '{shown}': for a "
                 f"product write {shown} \\cdot {arg}; known functions: \\operatorname{{relu}}"
                 r", \sigma, \tanh, ...")

    def subscript(self, i: int) -> tuple[str, int]:
        content, end = braced(self.tokens, i + 1, "subscript _")
        parts = []
        j = 0
        while j < len(content):
            t = content[j]
            if t.is_letter or (t.is_number and t.text.isdigit()):
                parts.append(t.text)
            elif t.text[1:] in V.GREEK_LETTERS:
                parts.append(t.text[1:])
            elif t.text in V.WORD_WRAPPERS:
                inner, after = braced(content, j + 1, t.text)
                parts.append(word(inner, t.text))
                j = after
                continue
            elif not t.is_space:
                shown = "".join(c.text for c in content)
                fail(f"subscript '_{{{shown}}}' at column {self.tokens[i].pos + 1}: only "
                     "letters and digits are read (an index or a label such as x_k, W_1)")
            j += 1
        if not parts:
            fail(f"empty subscript at column {self.tokens[i].pos + 1}")
        return "".join(parts), end

    # numbers and operators -----------------------------------------------------------------
    def number(self, i: int) -> int:
        tok = self.tokens[i]
        if sum(c.isdigit() for c in tok.text) > MAX_NUMBER_DIGITS:
            fail(f"number at column {tok.pos + 1} has more than {MAX_NUMBER_DIGITS} digits")
        nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        nxt2 = self.tokens[i + 2] if i + 2 < len(self.tokens) else None
        if nxt is not None and nxt.text in ("e", "E") and nxt2 is not None and (
                nxt2.is_number or nxt2.text in ("+", "-")):
            fail(f"'{tok.text}{nxt.text}{nxt2.text}...' at column {tok.pos + 1}: scientific "
                 r"notation is not read; write 1.5 \times 10^{-3}")
        if nxt is not None and nxt.text == "," and nxt2 is not None and nxt2.is_number \
                and nxt.pos == tok.pos + len(tok.text) and nxt2.pos == nxt.pos + 1:
            fail(f"'{tok.text},{nxt2.text}' at column {tok.pos + 1} is ambiguous (a thousands "
                 "separator or two arguments): write the number without commas, or put a "
                 "space after the comma between arguments")
        self.emit(tok.text, tok.pos)
        return i + 1

    def superscript(self, i: int) -> int:
        tok = self.tokens[i]
        content, end = braced(self.tokens, i + 1, "superscript ^")
        body = [t for t in content if not t.is_space and t.text not in V.IGNORED_COMMANDS]
        if not body:
            fail(f"superscript '^' at column {tok.pos + 1} has nothing to raise")
        mark = "".join(t.text for t in body)
        if (body[0].text in V.WORD_WRAPPERS or body[0].text in V.STYLE_COMMANDS) \
                and (self.peek(i + 1) or tok).text != "{":  # ^\mathsf{T}: the wrapper takes its group
            inner, end = braced(self.tokens, self.tokens.index(body[0], i) + 1, body[0].text)
            mark = body[0].text + "{" + "".join(t.text for t in inner if not t.is_space) + "}"
            if mark not in V.TRANSPOSE_MARKS:
                fail(f"superscript '^{mark}' at column {tok.pos + 1}: write ^{{{mark}}} "
                     "with braces")
        if mark in V.TRANSPOSE_MARKS:
            self.emit("^T", tok.pos)
            return end
        if (self.peek(i + 1) or tok).text != "{":
            single = body[0]
            if single.is_number and len(single.text) > 1 or single.text in ("+", "-"):
                fail(f"'^{single.text}' at column {tok.pos + 1}: LaTeX raises only the next "
                     f"character; write ^{{{single.text}...}} with braces")
        elif body and body[0].text in ("(", "[") and matching(body, 0) == len(body) - 1:
            fail(f"superscript '^{{{mark}}}' at column {tok.pos + 1} is ambiguous (a power or "
                 "a layer/sample index): write the power without brackets, or the index as a "
                 "subscript such as W_1")
        self.emit("^", tok.pos)
        return i + 1

    def function_command(self, i: int) -> int:
        tok = self.tokens[i]
        self.emit(tok.text, tok.pos)
        i += 1
        after = self.peek(i)
        if tok.text == r"\log" and after is not None and after.text == "_":
            i = self.tokens.index(after, i)
            content, i = braced(self.tokens, i + 1, r"\log_")
            body = [t for t in content if not t.is_space]
            if len(body) != 1 or not (body[0].is_number or body[0].is_letter):
                fail(r"\log_{...}: the base must be a number or a letter, such as \log_2 x")
            self.emit("_", tok.pos)
            self.emit("{", tok.pos)
            self.letter(self.tokens.index(body[0])) if body[0].is_letter else \
                self.emit(body[0].text, body[0].pos)
            self.emit("}", tok.pos)
        return self.after_function(i, tok.text)

    def after_function(self, i: int, shown: str) -> int:
        after = self.peek(i)
        if after is not None and after.text == "^":
            fail(f"'{shown}^...' is not read (a power or an inverse?): write "
                 f"({shown}(x))^2 for a power")
        return i

    def summation(self, i: int) -> int:
        tok = self.tokens[i]
        index = bound = None
        i += 1
        for _ in range(2):
            after = self.peek(i)
            if after is None or after.text not in ("_", "^"):
                break
            i = self.tokens.index(after, i)
            content, i = braced(self.tokens, i + 1, r"\sum" + after.text)
            body = [t for t in content if not t.is_space]
            if after.text == "_":
                index = self.sum_index(body, tok)
            else:
                bound = body
        if bound is not None and not all(_name_start(t) or t.text in ("{", "}") for t in bound):
            fail(r"\sum with the upper bound '" + "".join(t.text for t in bound) + "': derive "
                 r"sums over all entries of an array; write \sum_k without a numeric bound")
        self.emit(r"\sum", tok.pos)
        self.emit("_", tok.pos)
        self.emit("{", tok.pos)
        self.slot(IndexSlot(index, r"\sum"), tok.pos)
        for piece in ("=", "1", "}", "^", "{", "1", "}"):
            self.emit(piece, tok.pos)
        return i

    def sum_index(self, body: list[Token], tok: Token) -> str:
        shown = "".join(t.text for t in body)
        ok = body and (body[0].is_letter or body[0].text[1:] in V.GREEK_LETTERS) and (
            len(body) == 1 or (len(body) == 3 and body[1].text == "="
                               and body[2].text in ("0", "1")))
        if not ok:
            fail(r"\sum_{" + shown + "}: the index must be one letter, optionally from 0 or 1 "
                 r"(\sum_k or \sum_{k=1}^{N}); derive sums over all entries")
        return body[0].text.lstrip("\\")
