"""LaTeX tokens -> the plain dialect latex2sympy2's grammar parses without ambiguity.

Every name becomes a numbered placeholder `\\variable{vN}` (so the grammar never sees a letter
it could read as a differential, Euler's e or the imaginary unit); function words become
placeholders or the grammar's own commands; transposes become `^T`; `\\odot` becomes the
grammar's `\\mod` (the converter reads it as the elementwise product). Anything else is refused
here, by name, with what to write instead.
"""

from __future__ import annotations

from derive.read.latex import vocabulary as V
from derive.read.latex.names import FunctionSlot, IndexSlot, NameReader, NameSlot, _name_start
from derive.read.latex.tokens import Token, braced, fail, matching

__all__ = ["FunctionSlot", "IndexSlot", "NameSlot", "Normalizer"]

MAX_NUMBER_DIGITS = 30


class Normalizer(NameReader):
    def __init__(self, tokens: list[Token]):
        self.tokens = list(tokens)
        self.pieces: list[tuple[str, int]] = []  # (text for the grammar, source offset)
        self.slots: dict[str, object] = {}

    def run(self) -> Normalizer:
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
            after = self.peek(i + 1)
            if text in (r"\frac", r"\dfrac", r"\tfrac", r"\sqrt") and (
                    after is None or after.text not in ("{", "[")):
                fail(f"'{text}' at column {tok.pos + 1} takes braced arguments: write "
                     + (r"\frac{1}{2}" if text != r"\sqrt" else r"\sqrt{x}"))
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
        if text[1:].lower() in V.FUNCTION_WORDS:
            fail(f"unknown LaTeX command '{text}' at column {tok.pos + 1}: write "
                 f"\\operatorname{{{text[1:]}}}(...)")
        fail(f"unknown LaTeX command '{text}' at column {tok.pos + 1}")

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
