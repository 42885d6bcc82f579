"""The pipeline, one for every formula: text → graph → steps → gradients → saved forms →
code → checks, returning a Derivation that the CLI, the verifier and the reports only read.

Matrix formulas (declared shapes) go through the same stages: their nodes' registry entries
carry differentials instead of sympy.diff, their gradients are tidied with the declared
identities, their sampling draws random sizes, and their check is on explicit matrices.
"""

from __future__ import annotations

import sympy as sp

from derive import catalog
from derive.budget import check_entries, check_expression, check_work
from derive.codegen.keep import choose_kept
from derive.codegen.source import backward_source, forward_source
from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.graph import build_graph
from derive.index import derive_index, is_index_formula
from derive.index.options import index_constants, index_shapes
from derive.printers.text import formula_text
from derive.read.formula import Formula, parse_formula
from derive.read.identities import declared_identities
from derive.read.latex.index import index_latex, is_index_latex
from derive.sampling import infer_domains, invertible_arguments, kinks_of
from derive.selfcheck import self_check
from derive.simplify import saved_forms, simplify_gradients
from derive.simplify.compact import compact_forms
from derive.sweep import dout_symbol, reverse_sweep
from derive.vocab.kinks import has_tie
from derive.vocab.shapes import matrix_symbol

DIFFERENTIAL_NOTE = ("matrix steps: `local` is the differential dZ the input contributes; the "
                     "downstream gradient Ā is read off dL = tr(Gᵀ dZ) = tr(Āᵀ dA) (cyclic trace)")
TIE_NOTE = ("at a tie of max/min between inputs each input gets half the gradient (½, ½), so "
            "the parts add up to the derivative along the tie")
BROADCAST_NOTE = ("a bias broadcast over samples gets the sum of the upstream gradient over the "
                  "broadcast axis (broadcast-sum)")


def derive(op: str | None = None, *, formula: str | None = None, latex: str | None = None,
           shapes: dict | None = None, constants=(), name: str | None = None,
           log_base: int | None = None, assumptions=(), identities=()) -> Derivation:
    """Derive a catalog operator (`op`) or a formula typed in SymPy syntax or LaTeX
    (where \\log is natural unless `log_base` says otherwise). `assumptions` are printed with
    the result; `identities` are equations the simplifier may use ('sum(t, axis=0) = 1')."""
    if sum(x is not None for x in (op, formula, latex)) != 1:
        raise DeriveError("give exactly one of an operator name, --formula or --latex")
    if log_base is not None and latex is None:
        raise DeriveError("--log10 applies to --latex formulas only")
    if op is not None and is_index_formula(catalog.get(op).formula):
        entry = catalog.get(op)
        return derive_index(entry.formula, entry.shapes, dict.fromkeys(entry.constants), op,
                            entry)
    if is_index_formula(formula):
        shapes = shapes if isinstance(shapes, dict) else index_shapes(shapes or ())
        return derive_index(formula, shapes, index_constants(constants), name or "formula")
    if is_index_latex(latex):
        return _derive_index_latex(latex, shapes, constants, name, log_base)
    if op is not None:
        entry = catalog.get(op)
        parsed = parse_formula(entry.formula, entry.shapes, where=f"catalog entry '{op}'")
        return _derive(parsed, entry.name, list(entry.inputs), list(entry.constants),
                       {n: entry.domain_of(n) for n in parsed.names if n in entry.domain},
                       entry)
    if latex is not None:
        from derive.read.latex import parse_latex

        parsed = parse_latex(latex, shapes or {}, log_base=log_base)
    else:
        parsed = parse_formula(formula, shapes or {})
    constants = list(dict.fromkeys(constants))  # --const t --const t: once
    for const in constants:
        if const not in parsed.names:
            raise DeriveError(f"--const {const}: '{const}' does not occur in the formula "
                              f"(names: {', '.join(parsed.names) or 'none'})")
    inputs = [n for n in parsed.names if n not in constants]
    if not inputs:
        raise DeriveError("formula: nothing to differentiate (every name is a constant)")
    derivation = _derive(parsed, name or "formula", inputs, constants, {}, None,
                         list(assumptions), list(identities))
    if latex is not None:
        from derive.read.latex import reading_notes

        derivation.conventions[:0] = reading_notes(latex, log_base)
    return derivation


def _derive_index_latex(latex: str, shapes, constants, name, log_base):
    """An index formula in LaTeX, read into the index syntax (derive.read.latex.index); the
    reader's messages name the LaTeX's columns."""
    from derive.read.latex import reading_notes

    translation = index_latex(latex, log_base)
    shapes = shapes if isinstance(shapes, dict) else index_shapes(shapes or ())
    try:
        derivation = derive_index(translation.text, shapes, index_constants(constants),
                                  name or "formula")
    except DeriveError as exc:
        raise translation.located(exc) from None
    derivation.text = translation.tex
    derivation.conventions[:0] = reading_notes(latex, log_base)
    return derivation


def _derive(parsed: Formula, name, inputs, constants, domains, entry, assumptions=(),
            identities=()) -> Derivation:
    _check_names(parsed)
    what = f"formula '{_short(parsed.text)}'"
    check_expression(parsed.expr, what)
    check_work(len(inputs), parsed.expr, what)
    check_entries(parsed.shapes, "--shape", kind="entries")
    shapes = {n: tuple(matrix_symbol(n, d).shape) for n, d in parsed.shapes.items()}
    expr = parsed.expr
    dout = dout_symbol(expr)
    identities = declared_identities([*(entry.identities if entry else ()), *identities],
                                     parsed.shapes)
    graph = build_graph(expr, parsed.definitions)
    sweep = reverse_sweep(graph, inputs, dout)
    gradients = simplify_gradients(sweep.gradients, shapes, identities)
    params = [*inputs, *constants]
    kinks = kinks_of(expr, graph, shapes)
    compact = _compact(gradients, parsed, shapes, identities)
    if compact is not None:
        gradients = {n: compact.inlined(g) for n, g in compact.gradients.items()}
    d = Derivation(
        name=name, text=parsed.text, expr=expr, inputs=inputs, constants=constants,
        shapes=shapes, domains=dict(domains), graph=graph, steps=sweep.steps,
        raw_gradients=sweep.gradients, gradients=gradients, saved_form={},
        forward_source=forward_source(
            name, parsed.text if shapes else str(expr), expr, params, shapes,
            {**parsed.named, "out": parsed.named_output} if shapes and parsed.definitions
            else None),
        backward_source="", conventions=_conventions(entry, sweep.steps, kinks, shapes, expr),
        assumptions=[*(entry.assumptions if entry else ()), *assumptions], kinks=kinks,
        layer=entry.layer if entry else None, description=entry.description if entry else "",
        identities=identities, invertible=invertible_arguments(graph),
        intermediates={n: parsed.named[n] for n in compact.used} if compact else {},
        rewrites=compact.steps if compact else [])
    infer_domains(d, parsed.names, domains)
    d.saved_form = saved_forms(expr, gradients, inputs, params, d.domains, shapes)
    if compact is not None:  # the compact form in the named intermediates is the saved form
        d.saved_form = {n: g if {m.name for m in g.atoms(sp.MatrixSymbol)} & set(compact.used)
                        else None for n, g in compact.gradients.items()}
    if not shapes:
        kept = choose_kept(expr, {n: d.saved_form.get(n) if d.saved_form.get(n) is not None
                                  else gradients[n] for n in inputs}, params)
        d.kept, d.kept_form = kept.values, kept.forms
        if d.kept:
            d.forward_source = forward_source(name, str(expr), expr, params, kept=d.kept)
    d.backward_source = backward_source(name, parsed.text if shapes else str(expr), params,
                                        inputs, gradients, d.saved_form, shapes,
                                        tuple(getattr(dout, "shape", ())), d.intermediates,
                                        d.kept)
    d.checks = self_check(d, {n: parsed.symbol(n) for n in parsed.names})
    return d


def _compact(gradients: dict, parsed: Formula, shapes: dict, identities: dict):
    """The gradients rewritten into the compact form (simplify.compact) of a matrix formula
    reducing along one axis: in its named intermediates, or without names when shorter."""
    if not shapes or identities:
        return None
    compact = compact_forms(gradients, parsed.definitions, shapes)
    if compact is None or parsed.definitions:
        return compact
    size = sum(sp.count_ops(g) for g in compact.gradients.values())
    return compact if size < sum(sp.count_ops(g) for g in gradients.values()) else None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _conventions(entry, steps, kinks, shapes, expr) -> list[str]:
    conventions = list(entry.conventions) if entry else []
    declared = bool(conventions)
    if shapes:
        conventions.append(DIFFERENTIAL_NOTE)
        if any(s.rule == "broadcast-sum" for s in steps):
            conventions.append(BROADCAST_NOTE)
    if kinks and not declared and has_tie(expr):
        conventions.append(TIE_NOTE)
    elif kinks and (shapes or not declared):
        where = ", entry by entry" if shapes else ""
        conventions.append("at a kink (" + ", ".join(f"{formula_text(k)} = 0" for k in kinks)
                           + f"{where}) the derivative of a step is taken as 0")
    return conventions


def _check_names(parsed):
    # a dimension's name in the formula is that size (the reader), never a variable
    unused = [n for n in parsed.shapes if n not in parsed.names]
    if unused:
        raise DeriveError(f"--shape {unused[0]}=...: '{unused[0]}' does not occur in the formula "
                          f"(names: {', '.join(parsed.names)})")
