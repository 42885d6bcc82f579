"""Reading names for the normalizer: letters, Greek letters, \\mathbf{..}, \\hat{..}, upright
words (\\mathrm{loss}, \\operatorname{relu}) and their subscripts, as placeholder slots."""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from derive.read.latex import vocabulary as V
from derive.read.latex.tokens import Token, braced, fail, word

MAX_LETTER_RUN = 3  # xy is x·y; xyz typed together is more likely a name than a product


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


class NameReader:
    """The name-reading half of the Normalizer (which provides tokens, peek, emit, slot)."""

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
        at = f"'{run}' at column {self.tokens[i].pos + 1} reads as the product {'·'.join(run)}"
        for fn in sorted((w for w in V.FUNCTION_WORDS if len(w) > 1), key=len, reverse=True):
            if fn in run.lower():
                command = V.WORD_COMMANDS.get(fn, r"\operatorname{" + fn + "}")
                fail(f"{at}; for the function write {command}(...), for a variable of that "
                     f"name \\mathrm{{{run}}}")
        if len(run) >= MAX_LETTER_RUN:
            fail(f"{at}; for a variable of that name write \\mathrm{{{run}}}, for the product "
                 f"put spaces: {' '.join(run)}")

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
        unbraced = (self.peek(i + 1) or self.tokens[i]).text != "{"
        if unbraced and content[0].is_number and len(content[0].text) > 1:
            fail(f"'_{content[0].text}' at column {self.tokens[i].pos + 1}: LaTeX lowers only "
                 f"the next character; write _{{{content[0].text}}} with braces")
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
