"""The one registry of primitives: scalar, elementwise and matrix nodes (and, later, tensor
nodes) are entries of the same table (see registry). Importing this package registers every
entry: scalar (scalar functions and operators), matrix (SymPy's matrix operations), arrays
(derive's own nodes: broadcast, elementwise, sums, softmax, log-sum-exp)."""

from derive.primitives import arrays, matrix, scalar  # noqa: F401  (registers the entries)
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
from derive.vocab.functions import COMPOSITE_FUNCTIONS

# every function name a formula may call: the primitives' own, then the composites
FUNCTIONS = {**formula_functions(), **COMPOSITE_FUNCTIONS}

__all__ = ["FUNCTIONS", "REGISTRY", "Primitive", "UnknownPrimitive", "array_valued",
           "children_of", "differential_symbol", "label_of", "local_derivatives",
           "own_function", "primitive_of", "register", "rule_name", "unbroadcast", "vjp"]
