"""Run latex2sympy2's ANTLR grammar (its lexer and parser only) on normalized text.

latex2sympy2's converter is never called: it keeps module-global state (one parse can change
the next), reaches `parse_expr` for \\variable values, looks up SymPy functions by the user's
name and calls `sympy.solve` on `:=`. derive walks the parse tree itself (derive.read.latex.convert).
"""

from __future__ import annotations

from antlr4 import CommonTokenStream, InputStream
from antlr4.atn.PredictionMode import PredictionMode
from antlr4.error.ErrorListener import ErrorListener
from antlr4.Token import Token as AntlrToken
from antlr4.tree.Tree import TerminalNode
from latex2sympy2 import PSLexer, PSParser


class GrammarError(Exception):
    """The grammar could not read the text; `column` is in the normalized text."""

    def __init__(self, column: int):
        super().__init__(column)
        self.column = column


class _Raise(ErrorListener):
    def syntaxError(self, recognizer, offending_symbol, line, column, msg, e):
        raise GrammarError(column)


def parse_tree(text: str):
    """The grammar's `math` parse tree of the whole text; GrammarError if any of it is unread."""
    try:  # the fast SLL prediction first; full LL only when SLL cannot decide
        return _parse(text, PredictionMode.SLL)
    except GrammarError:
        return _parse(text, PredictionMode.LL)


def _parse(text: str, mode):
    listener = _Raise()
    lexer = PSLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = PSParser(CommonTokenStream(lexer))
    parser._interp.predictionMode = mode
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.math()
    rest = parser.getCurrentToken()
    if rest.type != AntlrToken.EOF:
        raise GrammarError(rest.column)
    return tree


def rule(node) -> str | None:
    """The grammar rule a node stands for (None for a token)."""
    if isinstance(node, TerminalNode):
        return None
    return PSParser.ruleNames[node.getRuleIndex()]


def token(node) -> str | None:
    """A token node's type name (such as CMD_CDOT or '^T'); None for a rule node."""
    if not isinstance(node, TerminalNode):
        return None
    kind = node.symbol.type
    for names in (PSParser.symbolicNames, PSParser.literalNames):
        if 0 <= kind < len(names) and names[kind] != "<INVALID>":
            return names[kind]
    return "EOF"


def children(node) -> list:
    return list(node.getChildren())
