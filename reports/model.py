"""A Derivation gathered into plain data for the documents: strings of text and LaTeX.

Nothing here prints a document; `render` and `markdown` only read these dataclasses. Text
fields hold user text (escaped by the templates); fields ending in `_tex` hold LaTeX math
printed from parsed expressions (see `texfmt`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from reports.breaking import WIDTH, lines
from reports.chain import gradient_chain
from reports.figures import collapsed_drawing, numeric_examples
from reports.layout import Drawing, draw_graph, visible_width
from reports.lessons import LessonView, lesson_view
from reports.matrix_sections import MatrixSection, matrix_sections
from reports.naming import NodeNames, local_forms
from reports.texfmt import expr_tex, node_label_tex, product_tex, short_number

MAX_EXTRA_FORM = 160  # visible characters
MAX_STEP_FIGURES = 6  # a graph with more steps gets no figure per step


@dataclass(frozen=True)
class NodeRow:
    """One node of the graph legend: its name, its own function, its value in the inputs."""

    label: str
    text: str
    name_tex: str
    function_tex: str
    value_tex: str  # "" when too long for the table's column (the steps write it out)


VALUE_WIDTH = 48  # visible characters the table's last column holds on an A4 line


def _value_tex(expr) -> str:
    tex = expr_tex(expr)
    return tex if visible_width(tex) <= VALUE_WIDTH else ""


@dataclass(frozen=True)
class StepView:
    """One edge of the reverse sweep, as the tutorial walks it."""

    number: int
    kind: str  # "scalar": upstream × local; "differential": a matrix node's differential
    label: str
    text: str
    rule: str
    name_tex: str
    node_tex: str
    input_tex: str
    # the local derivative (a differential for matrix nodes): in node names, through the
    # node's own output, in the inputs
    local_forms: tuple[str, ...]
    product_tex: str  # upstream × local as written (for a matrix node: the upstream gradient)
    downstream_forms: tuple[str, ...]  # the result: in node names, in the inputs
    drawing: Drawing | None = None  # the graph with this step's node highlighted


@dataclass(frozen=True)
class ChainLine:
    tex: str
    note: str


@dataclass(frozen=True)
class GradientView:
    """∂L/∂name: the chain of equalities from the path product to the saved-value form."""

    name: str
    name_tex: str
    chain: tuple[ChainLine, ...]
    result_tex: str
    saved_tex: str | None
    lesson: LessonView | None = None

    @property
    def final_tex(self) -> str:
        """The form the report ends on: the lesson's, else the saved-value or plain one."""
        if self.lesson is not None:
            return self.lesson.result_tex
        return self.saved_tex or self.result_tex

    @property
    def final_with_names_tex(self) -> str:
        """final_tex followed by what its saved names stand for (…, y = σ(x))."""
        names = self.lesson.names if self.lesson is not None else ()
        return self.final_tex + "".join(rf", \quad {a} = {b}" for a, b in names)


@dataclass(frozen=True)
class CheckRow:
    name: str
    status: str
    max_rel_err: str
    message: str


@dataclass(frozen=True)
class Report:
    name: str
    description: str
    typed: str
    formula_tex: str
    formula_code: str
    inputs: tuple[str, ...]
    constants: tuple[str, ...]
    inputs_tex: tuple[str, ...]
    constants_tex: tuple[str, ...]
    layer: str
    drawing: Drawing
    nodes: tuple[NodeRow, ...]
    steps: tuple[StepView, ...]
    gradients: tuple[GradientView, ...]
    notes: tuple[str, ...]
    checks: tuple[CheckRow, ...]
    verification: tuple[CheckRow, ...] | None
    matrix_sections: tuple[MatrixSection, ...]
    backward_code: str
    saved_values: tuple[str, ...] = field(default_factory=tuple)
    lang: str = "en"
    intuition: tuple[str, ...] = ()  # the rules of the steps, in order of first use
    # reports.graph_values.GraphValues at a sample point (and one beyond each kink)
    examples: tuple = ()
    collapsed: Drawing | None = None

    @property
    def has_differentials(self) -> bool:
        """True when some step goes through a matrix differential."""
        return any(s.kind == "differential" for s in self.steps)

    @property
    def status(self) -> str:
        """One word for the index: the verifier's verdict if given, else the engine's checks."""
        rows = self.verification if self.verification is not None else self.checks
        bad = [r for r in rows if r.status not in ("pass", "warn")]
        return ("failed: " + ", ".join(r.name for r in bad)) if bad else (
            "verified" if self.verification is not None else "checked")


def build_report(derivation, verification=None, lang: str = "en") -> Report:
    """Gather `derivation` (and an optional verification result) into a Report."""
    d = derivation
    names = NodeNames(d.graph, d.params)
    steps = tuple(_step_view(i + 1, s, d, names) for i, s in enumerate(d.steps))
    if len(steps) <= MAX_STEP_FIGURES:
        steps = tuple(replace(s, drawing=draw_graph(d.graph, names, d.steps, d.params, s.number))
                      for s in steps)
    gradients = tuple(_gradient_view(d, name, names) for name in d.inputs)
    say = translator(d, lang)
    return Report(
        name=d.name, description=say(d.description or ""), typed=d.text,
        formula_tex=expr_tex(d.expr), formula_code=_code_text(d),
        inputs=tuple(d.inputs), constants=tuple(d.constants),
        inputs_tex=tuple(expr_tex(sp.Symbol(n)) for n in d.inputs),
        constants_tex=tuple(expr_tex(sp.Symbol(n)) for n in d.constants),
        layer=d.layer or "",
        drawing=draw_graph(d.graph, names, d.steps, d.params),
        nodes=tuple(NodeRow(node_label_tex(n), short_number(n.label),
                            expr_tex(names.symbol(n.id)), expr_tex(names.function_of(n)),
                            _value_tex(n.expr))
                    for n in d.graph.nodes if not n.is_leaf),
        steps=steps,
        gradients=gradients,
        notes=tuple(say(n) for n in (*d.conventions, *d.assumptions)),
        checks=tuple(CheckRow(c.name, "pass", error_text(c.max_error), say(c.detail))
                     for c in d.checks),
        verification=None if verification is None else tuple(
            replace(row, message=say(row.message)) for row in map(check_row, verification)),
        matrix_sections=tuple(matrix_sections(d, say)),
        backward_code=_listing_safe(d.backward_source),
        saved_values=tuple(d.saved_names),
        lang=lang,
        intuition=tuple(dict.fromkeys(s.rule for s in d.steps)),
        examples=numeric_examples(d),
        collapsed=collapsed_drawing(d, gradients),
    )


def translator(d, lang: str):
    """English text of the derivation -> `lang`: the catalog entry's own translations (when
    the derivation is that entry's), then the language's message patterns."""
    from derive import catalog
    from reports.language import translate

    entry = catalog.load().get(d.name)
    known = entry.translations(lang) if entry and entry.description == d.description else {}
    return lambda message: translate(message, lang, known)


def _step_view(number, step, d, names: NodeNames) -> StepView:
    graph = d.graph
    node = graph.node(step.node_id)
    if node.is_matrix or any(graph.node(c).is_matrix for c in node.args):
        return _differential_step(number, step, node, names)
    symbolic = isinstance(step.local, sp.Basic)
    forms = local_forms(d, step, names) if symbolic else []
    upstream = names.rename(step.upstream)
    product = product_tex([upstream, forms[-1]]) if symbolic else expr_tex(upstream)
    return StepView(
        number=number, kind="scalar", label=node_label_tex(node), text=short_number(step.node),
        rule=step.rule,
        name_tex=expr_tex(names.symbol(node.id)),
        node_tex=f"{expr_tex(names.symbol(node.id))} = {expr_tex(names.function_of(node))}",
        input_tex=expr_tex(names.rename(step.input)),
        local_forms=_distinct(expr_tex(f) for f in [*forms, step.local] if symbolic),
        product_tex=product,
        downstream_forms=tuple(f for f in _distinct(expr_tex(f) for f in (
            names.rename(step.downstream), step.downstream)) if f != product),  # no x = x
    )


def _differential_step(number, step, node, names: NodeNames) -> StepView:
    """A matrix node: its differential (the part from this input), and the gradient read off
    from ⟨upstream, d node⟩ = ⟨downstream, d input⟩. An upstream that cannot be broken
    into lines (batch norm's, deep in the graph) is written ∂L/∂u: the step for the node's
    user derived it."""
    name_tex = expr_tex(names.symbol(node.id))
    upstream = expr_tex(names.rename(step.upstream))
    if max(visible_width(line) for line in lines(upstream)) > WIDTH:  # it cannot break
        upstream = rf"\frac{{\partial L}}{{\partial {name_tex}}}"
    return StepView(
        number=number, kind="differential", label=node_label_tex(node),
        text=short_number(step.node), rule=step.rule, name_tex=name_tex,
        node_tex=f"{name_tex} = {expr_tex(names.function_of(node))}",
        input_tex=expr_tex(names.rename(step.input)),
        local_forms=_distinct([expr_tex(names.rename(step.local))]),
        product_tex=upstream,
        downstream_forms=_distinct(expr_tex(f) for f in (names.rename(step.downstream),
                                                         step.downstream)))


def _distinct(items) -> tuple[str, ...]:
    """Different forms of one expression, in order; a form too long to read is left out."""
    result: list[str] = []
    for item in items:
        if item not in result and (not result or visible_width(item) <= MAX_EXTRA_FORM):
            result.append(item)
    return tuple(result)


def _gradient_view(d, name: str, names: NodeNames) -> GradientView:
    saved = d.saved_form.get(name)
    name_tex = expr_tex(sp.Symbol(name))
    lesson = d.teaching.get(name)
    return GradientView(
        name=name, name_tex=name_tex,
        chain=tuple(ChainLine(tex, note) for tex, note in gradient_chain(d, name, names)),
        result_tex=expr_tex(d.gradients[name]),
        saved_tex=None if saved is None else expr_tex(saved),
        lesson=None if lesson is None else lesson_view(lesson, name_tex))


def _code_text(d) -> str:
    """The formula as read, in the engine's text syntax (NumPy style for matrices)."""
    if d.shapes:
        from derive.printers.text import formula_text

        return formula_text(d.expr)
    return str(d.expr)


def check_row(check) -> CheckRow:
    get = check.get if isinstance(check, dict) else (lambda k, default=None: getattr(
        check, k, default))
    error = get("max_rel_err")
    return CheckRow(str(get("name", "")), str(get("status", "")),
                    "" if error is None else error_text(error), str(get("message", "") or ""))


def error_text(error) -> str:
    """A relative error for a table; below 1e-9 it is rounding noise and shown as such."""
    error = float(error)
    return "< 1e-9" if error < 1e-9 else f"{error:.1e}"


def _listing_safe(code: str) -> str:
    """Code for a verbatim listing: nothing that could end the listing (characters beyond
    ASCII, such as a name 大米, are kept: such a document is compiled by xelatex)."""
    return code.replace("\\end{lstlisting}", "\\end {lstlisting}").replace("`"*3, "'"*3)
