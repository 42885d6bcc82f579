"""One statement of an index formula in LaTeX, read by recursive descent into (text, LaTeX
position) pieces of the index reader's syntax (see derive.read.latex.index): names, numbers,
+ - * / ^, brackets, reads `x_{...}`, big operators over index lists, \\frac, \\sqrt, the
elementwise functions, softmax over an index and calls such as `\\mathrm{pad}(x, p)`."""

from __future__ import annotations

from derive.primitives import FUNCTIONS
from derive.read.latex import vocabulary as V
from derive.read.latex.tokens import Token, fail, top_level_equals

BIG = {"\\sum": "sum", "\\max": "max", "\\min": "min"}
FRACTIONS = {"\\frac", "\\dfrac", "\\tfrac"}
NAMED = {"\\mathrm", "\\operatorname", "\\text", "\\mathbf", "\\boldsymbol", "\\mathit",
         "\\bm"}
COMMANDS = {"\\exp": "exp", "\\log": "log", "\\ln": "log", "\\tanh": "tanh", "\\sinh": "sinh",
            "\\cosh": "cosh", "\\sin": "sin", "\\cos": "cos", "\\tan": "tan"}
TIMES = {"*", "\\cdot", "\\times"}
STOP = {"+", "-", ")", "}", "]", ",", "=", "<", "\\right", "\\\\", "&"}
CALLS = set(FUNCTIONS) | {"pad", "softmax"}


class StatementReader:
    """One statement: `target = value`, read into (text, LaTeX position) pieces."""

    def __init__(self, tokens: list[Token], number: int, log_base: int | None = None):
        self.tokens, self.i, self.number = tokens, 0, number
        self.log = {None: "log", 2: "log2", 10: "log10"}[log_base]
        self.depth = 0  # inside a subscript, `e` is an index, not Euler's number

    # ------------------------------------------------------------------ helpers
    def peek(self, ahead: int = 0) -> Token | None:
        k = self.i + ahead
        return self.tokens[k] if k < len(self.tokens) else None

    def take(self) -> Token:
        t = self.peek()
        if t is None:
            self.fail_end()
        self.i += 1
        return t

    def expect(self, text: str, what: str) -> Token:
        t = self.peek()
        if t is None or t.text != text:
            where = f"at column {t.pos + 1}" if t else "at the end"
            fail(f"{what}: expected '{text}' {where}")
        return self.take()

    def fail_end(self):
        fail(f"line {self.number}: the formula ends too early")

    def fail_at(self, t: Token, message: str):
        fail(f"'{t.text}' at column {t.pos + 1}: {message}")

    # ------------------------------------------------------------------ statements
    def statement(self) -> list:
        equals = top_level_equals(self.tokens)
        if len(equals) != 1:
            at = self.tokens[0].pos + 1
            fail(f"line {self.number} (column {at}): each statement is one definition "
                 "'name_{indices} = ...'")
        if equals[0] == 0:
            self.fail_at(self.tokens[0], "the left side of '=' must name a tensor")
        target = self.name_token()
        out = [(target[0], target[1])]
        if self.peek() is not None and self.peek().text == "_":
            out += self.subscript("[", "]")
        if self.peek() is None or self.peek().text != "=":
            self.fail_at(self.peek() or self.tokens[-1], "the left side of '=' is one tensor "
                         "with its indices, such as out_{n,i}")
        out.append((" = ", self.take().pos))
        out += self.expr()
        if self.peek() is not None:
            self.fail_at(self.peek(), "not read here (check the operators before it)")
        return out

    def name_token(self) -> tuple[str, int]:
        t = self.take()
        if t.text in NAMED:
            return self.word(t), t.pos
        if t.is_command and t.text[1:] in V.GREEK_LETTERS:
            return t.text[1:], t.pos
        if not t.text[0].isalpha() or t.is_command:
            self.fail_at(t, "expected a name")
        return t.text, t.pos

    def word(self, command: Token) -> str:
        self.expect("{", command.text)
        parts = []
        while self.peek() is not None and self.peek().text != "}":
            t = self.take()
            if not (t.text.isalnum() or t.text == "_"):
                self.fail_at(t, f"{command.text}{{...}} holds a plain name")
            parts.append(t.text)
        self.expect("}", command.text)
        if not parts:
            self.fail_at(command, "an empty name")
        return "".join(parts)

    # ------------------------------------------------------------------ expressions
    def expr(self) -> list:
        out = []
        if self.peek() is not None and self.peek().text in ("+", "-"):
            t = self.take()
            out.append((t.text, t.pos))
        out += self.term()
        while self.peek() is not None and self.peek().text in ("+", "-"):
            t = self.take()
            out += [(f" {t.text} ", t.pos), *self.term()]
        return out

    def term(self) -> list:
        out = self.factor()
        if out[0][0] == "\x00":  # a big operator: its body was the rest of the term
            return out[1:]
        while True:
            t = self.peek()
            if t is None or t.text in STOP:
                return out
            if t.text in TIMES or t.text == "/":
                self.take()
                out.append(("/" if t.text == "/" else "*", t.pos))
            else:
                out.append(("*", t.pos))  # written side by side
            factor = self.factor()
            if factor[0][0] == "\x00":
                return out + factor[1:]
            out += factor

    def factor(self) -> list:
        base = self.primary()
        if base[0][0] == "\x00":
            return base
        t = self.peek()
        if t is not None and t.text == "^":
            self.take()
            return [("(", t.pos), *base, (")**(", t.pos), *self.group(), (")", t.pos)]
        return base

    def group(self) -> list:
        """A {...} group, or one token, as an expression in parentheses."""
        t = self.peek()
        if t is not None and t.text == "{":
            self.take()
            inner = self.expr()
            self.expect("}", "a group")
            return [("(", t.pos), *inner, (")", t.pos)]
        if t is not None and t.is_number and len(t.text) > 1 and t.text[1].isdigit():
            self.tokens[self.i] = Token(t.text[1:], t.pos + 1)  # \frac12: one digit each, as TeX
            return [("(", t.pos), (t.text[0], t.pos), (")", t.pos)]
        if t is not None and (t.is_number or (t.text[0].isalpha() and not t.is_command)):
            self.take()
            return [("(", t.pos), (t.text, t.pos), (")", t.pos)]
        return [("(", t.pos if t else 0), *_plain(self.primary()), (")", t.pos if t else 0)]

    def primary(self) -> list:
        t = self.peek()
        if t is None:
            self.fail_end()
        if t.is_number:
            self.take()
            return [(t.text, t.pos)]
        if t.text in ("(", "[", "{", "\\left"):
            return self.parenthesised()
        if t.text in FRACTIONS:
            self.take()
            top, bottom = self.group(), self.group()
            return [("(", t.pos), *top, ("/", t.pos), *bottom, (")", t.pos)]
        if t.text == "\\sqrt":
            self.take()
            if self.peek() is not None and self.peek().text == "[":
                self.fail_at(self.peek(), "only square roots \\sqrt{...} are read")
            return [("sqrt", t.pos), *self.group()]
        if t.text in BIG:
            self.take()
            return self.reduction(BIG[t.text], t)
        if t.text in COMMANDS:
            self.take()
            name = self.log if t.text == "\\log" else COMMANDS[t.text]
            return [(name, t.pos), *self.argument(t)]
        if t.text == "\\sigma" and self.opens_call(1):
            self.take()
            return [("sigmoid", t.pos), *self.argument(t)]
        if t.text == "\\pi":
            self.take()
            return [("pi", t.pos)]
        if t.text in NAMED or (t.text[0].isalpha() and not t.is_command) or (
                t.is_command and t.text[1:] in V.GREEK_LETTERS):
            return self.named()
        if t.text == "|" or t.text in ("\\lvert", "\\vert"):
            self.fail_at(t, "write \\operatorname{abs}(...) for an absolute value")
        self.fail_at(t, "not read in an index formula")

    def opens_call(self, ahead: int = 0) -> bool:
        t = self.peek(ahead)
        return t is not None and t.text in ("(", "\\left")

    def parenthesised(self) -> list:
        t = self.take()
        if t.text == "\\left":
            opening = self.take()
            if opening.text not in ("(", "["):
                self.fail_at(opening, "\\left( or \\left[ only")
        closing = {"(": ")", "[": "]", "{": "}"}.get(t.text, None)
        inner = self.expr()
        end = self.peek()
        if t.text == "\\left":
            self.expect("\\right", "\\left(")
            self.take()
        elif end is None or end.text != closing:
            fail(f"'{t.text}' at column {t.pos + 1} is not closed where the expression ends")
        else:
            self.take()
        return [("(", t.pos), *inner, (")", t.pos)]

    def argument(self, command: Token) -> list:
        """The argument of a function: in brackets, a {...} group, or the next factor."""
        if self.opens_call() or (self.peek() is not None and self.peek().text == "{"):
            return self.parenthesised()
        if self.peek() is None or self.peek().text in STOP:
            self.fail_at(command, "needs an argument")
        return [("(", command.pos), *_plain(self.factor()), (")", command.pos)]

    def named(self) -> list:
        """A name: a read `x_{i,j}`, a call `\\mathrm{pad}(x, p)`, softmax over an index, a
        big operator spelled `\\operatorname{mean}_{p,q}`, `e^{...}`, or a plain name."""
        t = self.peek()
        word, pos = self.name_token()
        nxt = self.peek()
        if word == "mean" and nxt is not None and nxt.text == "_":
            return self.reduction("mean", t)
        if word == "softmax" and nxt is not None and nxt.text == "_":
            self.take()
            index = self.index_list(nxt)
            body = self.argument(t)
            return [("softmax(", pos), *body, (", ", pos), *index, (")", pos)]
        if word == "e" and not self.depth and nxt is not None and nxt.text == "^":
            self.take()
            return [("exp", pos), *self.group()]
        if word == "e" and not self.depth:
            return [("exp(1)", pos)]
        if nxt is not None and nxt.text == "_":
            return [(word, pos), *self.subscript("[", "]")]
        if self.opens_call() and (word in CALLS or t.text in NAMED):
            return [(word, pos), *self.call_arguments()]
        return [(word, pos)]

    def call_arguments(self) -> list:
        t = self.take()
        if t.text == "\\left":
            self.expect("(", "\\left")
        out = [("(", t.pos), *self.expr()]
        while self.peek() is not None and self.peek().text == ",":
            comma = self.take()
            out += [(", ", comma.pos), *self.expr()]
        if t.text == "\\left":
            self.expect("\\right", "\\left(")
        self.expect(")", "a call")
        return out + [(")", t.pos)]

    def subscript(self, opening: str, closing: str) -> list:
        underscore = self.take()
        return [(opening, underscore.pos), *self.index_list(underscore), (closing, underscore.pos)]

    def index_list(self, underscore: Token, bounds: bool = False) -> list:
        """`_{a, b+1}` or `_i`: index expressions separated by commas (with `j<K` or `j=0` when
        `bounds`, a big operator's list)."""
        t = self.peek()
        if t is None:
            self.fail_end()
        if t.text != "{":
            self.take()
            if not (t.is_number or (t.text[0].isalpha() and not t.is_command)):
                self.fail_at(t, "a subscript is an index name or {indices}")
            return [(t.text, t.pos)]
        self.take()
        out = []
        self.depth += 1
        while True:
            out += self.expr()
            nxt = self.peek()
            if bounds and nxt is not None and nxt.text in ("<", "="):
                out += self.bound(self.take())
                nxt = self.peek()
            if nxt is not None and nxt.text == ",":
                out.append((", ", self.take().pos))
                continue
            self.expect("}", "a subscript")
            self.depth -= 1
            return out

    def bound(self, sign: Token) -> list:
        if sign.text == "<":
            return [(" < ", sign.pos), *self.expr()]
        start = self.peek()
        if start is None or start.text != "0":
            fail(f"'=' at column {sign.pos + 1}: an index runs from 0, such as j=0 ... ^{{K-1}}")
        self.take()
        if self.peek() is None or self.peek().text != "}":
            fail(f"'=' at column {sign.pos + 1}: only the last index of the list may have a "
                 "start and an upper limit")
        self.upper = sign
        return [(" < ", sign.pos)]

    def reduction(self, kind: str, command: Token) -> list:
        """`\\sum_{c,p,q} body`: the body is the rest of the term (to the next + or −);
        `\\max(a, b)` without indices is the elementwise maximum."""
        underscore = self.peek()
        if underscore is None or underscore.text != "_":
            if kind in ("max", "min") and self.opens_call():
                return [(kind, command.pos), *self.call_arguments()]
            self.fail_at(command, "name the indices it runs over, such as \\sum_{c,p,q}")
        self.take()
        self.upper = None
        indices = self.index_list(underscore, bounds=True)
        if self.peek() is not None and self.peek().text == "^":
            caret = self.take()
            if self.upper is None:
                self.fail_at(caret, "an upper limit needs a start: \\sum_{j=0}^{K-1}")
            at = len(indices)
            indices[at:at] = [("(", caret.pos), *self.group(), (")+1", caret.pos)]
        elif self.upper is not None:
            self.fail_at(self.upper, "give the last value too: \\sum_{j=0}^{K-1}")
        if self.peek() is None or self.peek().text in STOP:
            self.fail_at(command, "has nothing to reduce after its indices")
        body = self.term()
        return [("\x00", command.pos), (f"{kind}(", command.pos), *body, (", ", command.pos),
                *indices, (")", command.pos)]


def _plain(pieces: list) -> list:
    """Pieces without the mark a big operator leaves (its body ended a term)."""
    return pieces[1:] if pieces and pieces[0][0] == "\x00" else pieces
