"""The compact gradient of a normalisation written in index notation (spatial batch norm,
group norm, or any formula of the same shape), reached by rewriting and checked numerically.

A program normalises when it has
    mu[G] = mean(X[E], R);  var[G] = mean((X[E] - mu[G])**2, R)
and an output out[E] = A·(X[E] − mu[G])/√(var[G] + ε) + B with A, B free of X, mu and var.
The derived gradient of X is three paths (through out, var and mu); the rewriting that joins
them is the textbook one:
  1. Σ_R (X − mu) = 0 by the definition of mu, so the part of dmu that flows through var is 0;
  2. xhat = (X − mu)/σ with σ = √(var + ε), and dxhat = A·dout;
  3. the path through var is −x̂·mean_R(dx̂ ⊙ x̂)/σ, the path through mu is −mean_R(dx̂)/σ;
  4. dX = (dx̂ − mean_R(dx̂) − x̂·mean_R(dx̂ ⊙ x̂))/σ.
The result is itself an index program: it is compiled by the same engine and must agree with
the derived gradient at random sizes before it is shown.
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from derive.errors import DeriveError
from derive.index.backward import backward_source
from derive.index.calculus import gradient_name
from derive.index.checks import check_points, sample_values
from derive.index.codegen import emit_statement, forward_source
from derive.index.printing import latex, latex_read, statement_text, text
from derive.index.program import Program, tensor_name
from derive.index.ranges import infer_ranges
from derive.index.reader import read_program
from derive.index.writer import Writer

UPSTREAM = "upstream"  # `dout` is reserved in formulas; the compact program names it so
STEPS = (
    ("Σ over {R} of ({x} − {mean}) = 0 by the definition of {mu}: the part of d{mu} that "
     "flows through {var} is 0"),
    "name {xhat} = ({x} − {mean})/σ with σ = √({sigma}), and {dxhat} = ({a})·dout",
    ("the path through {var} is −{xhat}·mean({dxhat}·{xhat})/σ and the path through {mu} is "
     "−mean({dxhat})/σ, means over {R}"),
    "d{x} = ({dxhat} − mean({dxhat}) − {xhat}·mean({dxhat}·{xhat}))/σ",
)


def compact_forms(program: Program, functions, rng) -> dict:
    """{input: {"text", "latex", "steps", "max_error"}} for each normalised input."""
    found = {}
    for mu, var in _statistics(program):
        parts = _normalised_output(program, mu, var)
        if parts is None:
            continue
        _, read, a, sigma = parts
        name = tensor_name(read)
        if name not in program.inputs or name in found:
            continue
        body = _compact_text(program, mu, var, read, a, sigma, name)
        try:
            error = _agreement(program, body, name, functions, rng)
        except (DeriveError, ValueError, FloatingPointError):
            continue
        if error > 1e-8:
            continue
        shown = [line.replace(UPSTREAM, "dout") for line in body.split("; ")[2:]]
        found[name] = {
            "text": "; ".join(shown), "program": body,
            "latex": _compact_latex(program, mu, read, a, sigma, name),
            "steps": [step.format(R=", ".join(map(str, mu.reduce)), x=text(read), mu=mu.target,
                                  mean=text(sp.Indexed(sp.IndexedBase(mu.target), *mu.indices)),
                                  var=var.target, sigma=text(sigma), a=text(a),
                                  xhat=_names(program, name)[0], dxhat=_names(program, name)[1])
                      for step in STEPS],
            "max_error": error}
    return found


def _statistics(program: Program) -> list:
    """(mu, var) statement pairs: a mean of one read and the mean of its squared deviation."""
    pairs = []
    for mu in program.statements:
        if mu.kind != "mean" or not isinstance(mu.body, sp.Indexed):
            continue
        mean = sp.Indexed(sp.IndexedBase(mu.target), *mu.indices)
        for var in program.statements:
            if var.kind == "mean" and var.reduce == mu.reduce and var.indices == mu.indices and \
                    sp.expand(var.body - (mu.body - mean) ** 2) == 0:
                pairs.append((mu, var))
    return pairs


def _normalised_output(program: Program, mu, var):
    """(output statement, X read, A, σ²) when out = A·(X − mu)/√(var + ε) + B, else None."""
    out = program.output
    read = mu.body
    axes = tuple(out.merged or out.indices)
    if out.kind != "map" or tuple(read.indices) != axes:
        return None
    mean = sp.Indexed(sp.IndexedBase(mu.target), *mu.indices)
    variance = sp.Indexed(sp.IndexedBase(var.target), *var.indices)
    roots = [p.base for p in out.body.atoms(sp.Pow)
             if p.exp == sp.Rational(-1, 2) and variance in p.base.free_symbols | {p.base}
             and (p.base - variance).free_symbols.isdisjoint({read, mean, variance})]
    if len(roots) != 1:
        return None
    s = sp.Dummy("s")
    body = sp.expand(out.body.subs(read, mean + s * sp.sqrt(roots[0])))
    a = sp.diff(body, s)
    rest = sp.expand(body - a * s)
    banned = {read, mean, variance}
    if any(banned & e.atoms(sp.Indexed) for e in (a, rest)) or s in rest.free_symbols or \
            s in a.free_symbols:
        return None
    return out, read, a, roots[0]


def _compact_text(program, mu, var, read, a, sigma, name) -> str:
    """The compact gradient as an index program (with the statistics it reads)."""
    mean = sp.Indexed(sp.IndexedBase(mu.target), *mu.indices)
    upstream = sp.Indexed(sp.IndexedBase(UPSTREAM), *read.indices)
    xhat, dxhat = (sp.IndexedBase(n) for n in _names(program, name))
    at = read.indices
    taken = {str(i) for i in program.output.loop} | set(program.shapes)
    fresh = {r: sp.Symbol(_fresh(r.name, taken), integer=True, nonnegative=True)
             for r in mu.reduce}  # the means run over their own copies of the reduced indices
    inner = tuple(i.xreplace(fresh) for i in at)
    over = ", ".join(str(fresh[r]) for r in mu.reduce)
    lines = [statement_text(mu), statement_text(var),
             f"{text(xhat[at])} = {text((read - mean) / sp.sqrt(sigma))}",
             f"{text(dxhat[at])} = {text(a * upstream)}",
             (f"d{name}[{','.join(text(i) for i in at)}] = ({text(dxhat[at])} - "
             f"mean({text(dxhat[inner])}, {over}) - {text(xhat[at])}*mean({text(dxhat[inner])}*"
             f"{text(xhat[inner])}, {over}))/sqrt({text(sigma)})")]
    return "; ".join(lines)


def _names(program: Program, name: str) -> tuple[str, str]:
    """Names for x̂ and dx̂ that no tensor of the program has."""
    taken = {*program.shapes, *(s.target for s in program.statements)}
    return _fresh(f"{name}hat", taken, ""), _fresh(f"d{name}hat", taken, "")


def _compact_latex(program, mu, read, a, sigma, name) -> list[str]:
    """x̂, dx̂ and dX in LaTeX, the means written over the reduced indices."""
    xhat, dxhat = _names(program, name)
    at = read.indices
    mean = sp.Indexed(sp.IndexedBase(mu.target), *mu.indices)
    upstream = sp.Indexed(sp.IndexedBase("dout"), *at)
    over = ",".join(map(str, mu.reduce))
    x_hat, dx_hat = latex_read(xhat, at), latex_read(dxhat, at)
    return [f"{x_hat} = {latex((read - mean) / sp.sqrt(sigma))}",
            f"{dx_hat} = {latex(a * upstream)}",
            (f"{latex_read('d' + name, at)} = \\frac{{1}}{{{latex(sp.sqrt(sigma))}}}\\Big("
            f"{dx_hat} - \\operatorname{{mean}}_{{{over}}} {dx_hat} - {x_hat}\\,"
            f"\\operatorname{{mean}}_{{{over}}} \\big({dx_hat} {x_hat}\\big)\\Big)")]


def _fresh(name: str, taken: set, first: str | int = 2) -> str:
    k = first
    while f"{name}{k}" in taken:
        k = 2 if k == "" else k + 1
    taken.add(f"{name}{k}")
    return f"{name}{k}"


def _shapes(program: Program) -> dict:
    shapes = {n: tuple(int(d) if d.is_Integer else text(d) for d in dims)
              for n, dims in program.shapes.items()}
    shapes[UPSTREAM] = tuple(int(d) if d.is_Integer else text(d)
                             for d in program.shape_of(program.output.target))
    return shapes


def _constants(program: Program) -> dict:
    constants = {n: program.integer_constants.get(n) for n in program.constants}
    return {**constants, UPSTREAM: None}


def _agreement(program: Program, body: str, name: str, functions, rng) -> float:
    """The largest relative difference between the compact form and the derived gradient
    (`functions`: the derived forward and backward)."""
    forward, backward = functions
    compact = read_program(body, _shapes(program), _constants(program))
    infer_ranges(compact)
    params = ", ".join([*compact.shapes, *compact.scalar_constants,
                        *compact.integer_constants]) + ", **_"
    namespace = {}
    exec(compile(forward_source(compact, "compact", params), "<compact>", "exec"),  # noqa: S102
         namespace)
    worst = 0.0
    for point in check_points(program, rng):
        values = sample_values(program, point, rng)
        dout = rng.standard_normal(np.shape(forward(**values)))
        with np.errstate(all="raise"):
            expected = backward(dout, **values)[name]
            found = namespace["forward"](**values, **{UPSTREAM: dout})
        worst = max(worst, float(np.max(np.abs(found - expected)) /
                                 max(1.0, float(np.max(np.abs(expected))))))
    return worst


def compact_backward_source(program: Program, found: list, name: str, params: str,
                            compact: dict) -> str:
    """The backward source with each normalised input's gradient computed by its compact
    form (fewer passes than the three paths), the other gradients as derived."""
    replaced = {gradient_name(program, n) for n in compact}
    needed = {gradient_name(program, n) for n in program.inputs} - replaced
    grew = True
    while grew:  # the intermediate gradients the kept ones read (dT of a later statement)
        grew = False
        for c in found:
            if c.gradient in needed and c.upstream_name not in needed:
                needed.add(c.upstream_name)
                grew = True
    lines = backward_source(program, [c for c in found if c.gradient in needed], name,
                           params).split("\n")
    end = next(k for k, line in enumerate(lines) if line.startswith("    return {"))
    added = []
    for form in compact.values():
        statements = read_program(form["program"], _shapes(program), _constants(program))
        infer_ranges(statements)
        writer = Writer(statements)
        for statement in statements.statements:
            if any(line.startswith(f"    {statement.target} = ") for line in lines[:end]):
                continue  # mu and var: the backward has them already
            emit_statement(writer, statement)
        added += [re.sub(rf"\b{UPSTREAM}", "dout", line) for line in writer.lines]
    return "\n".join([*lines[:end], *added, *lines[end:]])
