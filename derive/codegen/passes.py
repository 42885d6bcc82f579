"""The cost of generated code: its passes over memory.

Each arithmetic operation on an array, each negation and each NumPy call reads and writes a
whole array once; arithmetic between numbers alone (2*0.5) and reading a shape cost nothing.
Code generation counts passes to choose between equal forms (derive.codegen.keep).
"""

from __future__ import annotations

import ast

FREE_CALLS = {"shape", "size", "asarray", "broadcast", "_unbroadcast", "_shaped", "_as_result"}


def array_passes(code: str) -> int:
    """Passes over memory made by the Python statements or expression in `code`."""
    count = 0
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.BinOp):
            count += not (_is_number(node.left) and _is_number(node.right))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            count += not _is_number(node.operand)
        elif isinstance(node, ast.Compare) or (
                isinstance(node, ast.Call) and _called(node.func) not in FREE_CALLS):
            count += 1
    return count


def _is_number(node) -> bool:
    """A literal, or arithmetic on literals alone ((1/2), -2)."""
    if isinstance(node, ast.UnaryOp):
        return _is_number(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_number(node.left) and _is_number(node.right)
    return isinstance(node, ast.Constant)


def _called(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
