"""Generated code a careful person would write: for every elementwise catalog operator with a
hand-written layer in layers/, the generated backward makes no more passes over memory (NumPy
calls and arithmetic on arrays, counted in the source) than the layer's own backward."""

from __future__ import annotations

import ast
import inspect

import pytest

import layers
from derive import catalog
from derive.pipeline import derive

LAYERS = {cls.op: cls for _, cls in inspect.getmembers(layers, inspect.isclass)
          if isinstance(getattr(cls, "op", None), str)}
ELEMENTWISE = [n for n, e in catalog.load().items() if not e.shapes and n in LAYERS]
CHEAP = {"shape", "asarray", "sum_to_shape", "require_shape", "_unbroadcast", "_like"}


def passes(node) -> int:
    """Array operations in an expression: arithmetic, negation, NumPy calls (one pass each);
    arithmetic between numbers alone (2*0.5) costs nothing."""
    count = 0
    for item in ast.walk(node):
        if isinstance(item, ast.BinOp) and not _number(item.left) and not _number(item.right):
            count += 1
        elif isinstance(item, ast.BinOp):
            count += 1 if not (_number(item.left) and _number(item.right)) else 0
        elif isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub):
            count += not _number(item.operand)
        elif isinstance(item, ast.Call) and _name(item.func) not in CHEAP:
            count += 1
    return count


def _number(node) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp)
                                              and isinstance(node.operand, ast.Constant))


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def gradient_passes(source: str, function: str, target: str) -> int:
    """Passes in the cheapest assignment to `target` inside `function` (for generated code:
    the branch that reads the saved output when there is one, as the layers do)."""
    found = [passes(item.value) for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.FunctionDef) and node.name == function
             for item in ast.walk(node)
             if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)
             and item.targets[0].id == target]
    assert found, f"no assignment to {target} in {function}"
    return min(found)


def test_the_counter_counts_what_a_person_would():
    assert passes(ast.parse("dout*out*(1 - out)", mode="eval")) == 3
    assert passes(ast.parse("-dout*out*(out - 1)", mode="eval")) == 4
    assert passes(ast.parse("dout * np.exp(-np.logaddexp(0, -x))", mode="eval")) == 5


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_generated_backward_makes_no_more_passes_than_the_hand_written_layer(name):
    d = derive(name)  # relu, leaky_relu and mse read the mask or x - t their forward kept
    hand = gradient_passes(inspect.getsource(LAYERS[name]), "backward", "dx")
    generated = gradient_passes(d.backward_source, "backward", f"d_{d.inputs[0]}")
    assert generated <= hand, (f"{name}: {generated} array passes generated, {hand} in "
                               f"layers.{LAYERS[name].__name__}\n{d.backward_source}")
