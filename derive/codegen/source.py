"""Code generation: gradients → self-contained NumPy source for `forward` and `backward`.

One template for every formula. The source imports only numpy (and scipy.special), names
every value after the formula, computes each subexpression once and evaluates it in stable
forms (codegen.stable; elementwise parts of matrix formulas fused, codegen.elementwise).
Each symbolic matrix dimension is read from the first argument that has it (`X.shape[1]`).
`backward(dout, **values)` returns a dict name -> gradient with each input's shape and
floating dtype; broadcasting is undone in one helper, `_unbroadcast`.
"""

from __future__ import annotations

import itertools
import textwrap
from collections import Counter

import sympy as sp

import derive.primitives  # noqa: F401  (installs each primitive's code printer)
from derive.codegen.adjugate import ADJUGATE_SOURCE, Adjugate, adjugate_form
from derive.codegen.elementwise import hoisted
from derive.codegen.keep import kept_symbol
from derive.codegen.stable import as_computed, stable_lines
from derive.printers.code import HEADER, DerivePrinter, load_source
from derive.printers.text import formula_text
from derive.vocab.shapes import MatrixDimension, matrix_symbol

MAX_SHARED = 3  # products of two matrices computed once per function
MAX_COMMENT = 160  # a gradient's formula over its code line, when it is no longer than this
UNBROADCAST_SOURCE = '''
def _unbroadcast(grad, like):
    """Sum `grad` over the axes that broadcasting added to `like`; give it like's dtype."""
    like = numpy.asarray(like)
    grad = numpy.asarray(grad)
    dtype = like.dtype if numpy.issubdtype(like.dtype, numpy.floating) else numpy.float64
    if grad.shape == like.shape:
        return grad.astype(dtype, copy=False)
    grad = numpy.broadcast_to(grad, numpy.broadcast_shapes(grad.shape, like.shape))
    if grad.ndim > like.ndim:
        grad = grad.sum(axis=tuple(range(grad.ndim - like.ndim)))
    axes = tuple(i for i, n in enumerate(like.shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return numpy.array(grad, dtype=dtype)
'''.strip()

SHAPED_SOURCE = '''
def _shaped(grad, like):
    """`grad` with `like`'s shape and floating dtype (one input: no axis to sum over)."""
    like = numpy.asarray(like)
    dtype = like.dtype if numpy.issubdtype(like.dtype, numpy.floating) else numpy.float64
    grad = numpy.asarray(grad)
    if grad.shape != like.shape:
        grad = numpy.broadcast_to(grad, like.shape).copy()
    return grad.astype(dtype, copy=False)
'''.strip()

RESULT_DTYPE_SOURCE = '''
def _as_result(value, *inputs):
    """`value` as an array of the inputs' floating dtype (float32 in, float32 out)."""
    floats = [numpy.asarray(v).dtype for v in inputs
              if numpy.issubdtype(numpy.asarray(v).dtype, numpy.floating)]
    dtype = numpy.result_type(*floats) if floats else numpy.float64
    return numpy.asarray(value).astype(dtype, copy=False)
'''.strip()


def dimension_code(params: list[str], shapes: dict, out_shape: tuple = ()) -> dict:
    """Each MatrixDimension symbol -> code reading it from an argument's shape (or dout's)."""
    code = {}
    for name in params:
        if name not in shapes:
            continue
        for axis, dim in enumerate(matrix_symbol(name, shapes[name]).shape):
            if isinstance(dim, MatrixDimension) and dim not in code:
                code[dim] = f"numpy.shape({name})[{axis}]"
    for axis, dim in enumerate(out_shape):
        if isinstance(dim, MatrixDimension):
            code.setdefault(dim, f"numpy.shape(dout)[{axis}]")
    return code


def code_lines(exprs: list, params: list[str], shapes: dict | None,
               out_shape: tuple = ()) -> tuple[list[str], list[str]]:
    """(assignment lines, code of each expression): stable, each part computed once."""
    printer = DerivePrinter({"dimensions": dimension_code(params, shapes or {}, out_shape)})
    if not shapes:
        return stable_lines(exprs, printer)
    lines, results = hoisted(exprs, printer)
    shared, results = shared_products(results, printer)
    return lines + shared, [printer.doprint(r) for r in results]


def shared_products(exprs: list, printer) -> tuple[list[str], list]:
    """(assignment lines, `exprs` with a product of two matrices that several ⊙ products
    share computed once: dout*gamma in dout*gamma and dout*gamma*xhat)."""
    lines = []
    for index in range(MAX_SHARED):
        counts = Counter()
        for e in exprs:
            for node in sp.preorder_traversal(e):
                if isinstance(node, sp.HadamardProduct):
                    counts.update(itertools.combinations(sorted(set(node.args), key=str), 2))
        shared = [pair for pair, count in counts.most_common(1) if count >= 2]
        if not shared:
            break
        pair = shared[0]
        local = sp.MatrixSymbol(f"_p{index}", *sp.HadamardProduct(*pair).shape)
        lines.append(f"{local} = {printer.doprint(sp.HadamardProduct(*pair))}")

        def replace(node, pair=pair, local=local):
            if not isinstance(node, sp.HadamardProduct) or not set(pair) <= set(node.args):
                return node
            rest = list(node.args)
            for factor in pair:
                rest.remove(factor)
            return sp.HadamardProduct(local, *rest) if rest else local

        exprs = [e.replace(lambda n: isinstance(n, sp.HadamardProduct), replace) for e in exprs]
    return lines, exprs


def docstring_text(text: str) -> str:
    """`text` made safe inside a generated triple-quoted docstring (no quotes, no escapes)."""
    return text.encode("ascii", "backslashreplace").decode("ascii").replace(
        "\\", "/").replace('"', "'")


def forward_source(name: str, formula: str, expr: sp.Basic, params: list[str],
                   shapes: dict | None = None, intermediates: dict | None = None,
                   kept: dict | None = None) -> str:
    """Source defining `forward(**values)` for `expr`. With named intermediates (name ->
    value in the earlier names, and "out" -> the output in them) each is an optional
    argument, computed when not given: forward(..., mu=running_mean, var=running_var) is
    batch norm at test time. With values kept for backward (name -> value: a mask x > 0)
    it also defines `forward_saved(**values)`, returning (out, {name: value})."""
    args = ", ".join(params)
    signature = args
    if intermediates:
        named = {n: v for n, v in intermediates.items() if n != "out"}
        signature = ", ".join([*params, *(f"{n}=None" for n in named)])
        lines = _intermediate_lines(named, params, shapes)
        steps, (result,) = code_lines([intermediates["out"]], params, shapes)
        lines += steps
    else:
        lines, (result,) = code_lines([expr], params, shapes)
    body = "\n".join(lines + [f"return _as_result({result}, {args})"])
    return (f'"""Forward pass of {docstring_text(name)}, generated by derive from: '
            f'{docstring_text(formula)}"""\n{HEADER}{RESULT_DTYPE_SOURCE}\n\n\n'
            f"def forward({signature}):\n{textwrap.indent(body, '    ')}\n"
            + (_forward_saved(expr, params, kept) if kept else ""))


def _forward_saved(expr: sp.Basic, params: list[str], kept: dict) -> str:
    """`forward_saved`: the output and the kept values, each part computed once."""
    lines, (result, *values) = code_lines([expr, *kept.values()], params, None)
    args = ", ".join(params)
    saved = ", ".join(f'"{n}": {v}' for n, v in zip(kept, values))
    body = "\n".join([*lines, f"return _as_result({result}, {args}), {{{saved}}}"])
    return (f"\n\ndef forward_saved({args}):\n"
            f'    """forward({args}) and the values backward reads: (out, {{name: value}})."""\n'
            f"{textwrap.indent(body, '    ')}\n")


def _intermediate_lines(intermediates: dict, params, shapes, out_shape=()) -> list[str]:
    """`if mu is None: mu = ...` for each named intermediate, in order."""
    lines = []
    for name, value in intermediates.items():
        steps, (result,) = code_lines([value], params, shapes, out_shape)
        lines += [f"if {name} is None:", *(f"    {line}" for line in
                                            [*steps, f"{name} = {result}"])]
    return lines


def backward_source(name: str, formula: str, params: list[str], inputs: list[str],
                    gradients: dict, saved: dict, shapes: dict | None = None,
                    out_shape: tuple = (), intermediates: dict | None = None,
                    kept: dict | None = None) -> str:
    """Source defining `backward(dout, **values)`: a dict input name -> gradient; with saved
    forms (gradients in terms of the forward output) it also takes `out=` and then uses them.
    With named intermediates (mu, var, xhat) it takes each as an optional saved value,
    computes those not given, in order, under their names, and uses the saved forms in them;
    so it does with the values forward keeps (`kept`, name -> value: mask = x > 0)."""
    saved = {n: form for n, form in saved.items() if form is not None}
    signature = ", ".join(["dout", *params, *(["out=None"] if saved else []),
                           *(f"{n}=None" for n in kept or ())])
    gradients = {n: adjugate_form(g) for n, g in gradients.items()}
    blocks = []
    if kept:
        blocks += _intermediate_lines(kept, params, shapes, out_shape)
        symbols = {value: kept_symbol(n, value) for n, value in kept.items()}
        gradients = {n: g.xreplace(symbols) for n, g in gradients.items()}
        saved = {n: form.xreplace(symbols) for n, form in saved.items()}
    # out·inv(X) raises where X is singular: there the adjugate form serves with out given too
    usable = {n: form for n, form in saved.items() if not gradients[n].has(Adjugate)}
    if intermediates:
        signature = ", ".join(["dout", *params, *(f"{n}=None" for n in intermediates)])
        blocks += _intermediate_lines(intermediates, params, shapes, out_shape)
        gradients = {n: saved.get(n, gradients[n]) for n in inputs}  # in the named values
        usable = {}
    if usable:
        in_output = _returned(inputs, [usable.get(n, gradients[n]) for n in inputs], params,
                              shapes, out_shape)
        blocks.append("if out is not None:\n" + textwrap.indent(in_output, "    "))
    blocks.append(_returned(inputs, [gradients[n] for n in inputs], params, shapes, out_shape))
    body = "\n".join(blocks)
    helpers = UNBROADCAST_SOURCE if _can_broadcast(params, shapes) else SHAPED_SOURCE
    if helpers is SHAPED_SOURCE:
        body = body.replace("_unbroadcast(", "_shaped(")
    helpers += f"\n\n\n{ADJUGATE_SOURCE}" if "_adjugate(" in body else ""
    return (f'"""Backward pass of {docstring_text(name)}, generated by derive from: '
            f"{docstring_text(formula)}\n\n"
            f"backward(dout, **values) returns a dict input name -> dL/d(input).\n\"\"\"\n"
            f"{HEADER}{helpers}\n\n\n"
            f"def backward({signature}):\n{textwrap.indent(body, '    ')}\n")


def _can_broadcast(params, shapes) -> bool:
    """True when two arrays of the formula may have different shapes (NumPy broadcasting):
    more than one array argument, or declared matrix shapes."""
    return bool(shapes) or len(params) > 1


def computed_text(expr: sp.Basic, matrix: bool = False) -> str:
    """`expr` in one line as the code computes it: in s = sigmoid(v) where the code is."""
    form, sigmoids = (expr, {}) if matrix else as_computed(expr)
    return " ".join([formula_text(form), *(f"where s = sigmoid({formula_text(v)})"
                                           for v in sigmoids.values())]).replace("\n", " ")


def _returned(inputs, exprs, params, shapes, out_shape) -> str:
    """The lines computing each gradient, named d_<input> (under a comment giving its formula
    as computed), and the dict they return."""
    lines, results = code_lines(exprs, params, shapes, out_shape)
    names = [f"d_{n}" if f"d_{n}" not in params else f"_d_{n}" for n in inputs]
    for name, expr in zip(names, exprs):
        text = " ".join(computed_text(expr, bool(shapes)).split())
        if len(text) <= MAX_COMMENT:
            lines.append(f"# {name} = {text}")
    lines += [f"{name} = {result}" for name, result in zip(names, results)]
    items = ", ".join(f'"{n}": _unbroadcast({name}, {n})' for n, name in zip(inputs, names))
    return "\n".join(lines + [f"return {{{items}}}"])


def compile_expression(expr: sp.Basic, names: list[str], label: str = "expression",
                       shapes: dict | None = None):
    """A NumPy function of `names` (positional or by keyword) evaluating `expr`."""
    lines, (result,) = code_lines([expr], names, shapes)
    body = "\n".join(lines + [f"return {result}"])
    source = f"{HEADER}def {label}({', '.join(names)}):\n{textwrap.indent(body, '    ')}\n"
    return load_source(source, label)[label]
