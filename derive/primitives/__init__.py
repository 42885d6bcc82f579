"""The one registry of primitives: scalar, elementwise and matrix nodes and the statements of
index formulas are entries of the same table (see registry). Importing this package registers
every entry: scalar (scalar functions and operators), matrix (SymPy's matrix operations),
arrays (derive's own nodes: broadcast, elementwise, sums, softmax, log-sum-exp), statements
(map, sum, mean, max, min and pad statements of index notation)."""

from derive.primitives import arrays, matrix, scalar, statements  # noqa: F401  (registers)
from derive.primitives.registry import (
    REGISTRY,
    Primitive,
    UnknownPrimitive,
    array_valued,
    children_of,
    differential_symbol,
    formula_functions,
    label_of,
    local_derivatives,
    own_function,
    primitive_of,
    register,
    rule_name,
    unbroadcast,
    vjp,
)
from derive.primitives.statements import statement_primitive
from derive.vocab.functions import COMPOSITE_FUNCTIONS

# every function name a formula may call: the primitives' own, then the composites
FUNCTIONS = {**formula_functions(), **COMPOSITE_FUNCTIONS}

__all__ = ["FUNCTIONS", "REGISTRY", "Primitive", "UnknownPrimitive", "array_valued",
           "children_of", "differential_symbol", "label_of", "local_derivatives",
           "own_function", "primitive_of", "register", "rule_name", "statement_primitive",
           "unbroadcast", "vjp"]
