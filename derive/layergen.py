"""A Derivation as the source of a self-contained layer class (the tutorial's class protocol).

The class has `__init__(self, *params)`, `forward(self, *inputs)` caching what backward reads
(the forward output `out` when the derivation has a saved form, and the inputs the gradients
use; of the others only their shapes and dtypes) and `backward(self, dout)` returning the
input gradient (a tuple for several inputs); gradients of `__init__` parameters go to
attributes `d<name>`. The derived NumPy code is embedded as private
functions, so the file imports only numpy, scipy and the standard library, never derive.
"""

from __future__ import annotations

import ast
import re
import sys

import jinja2
import numpy as np

from derive.codegen.source import computed_text, docstring_text
from derive.errors import DeriveError
from derive.serialize import expr_text

# names the generated class uses itself; a formula variable with one of them would shadow it
RESERVED = {"self", "dout", "out", "grads", "forward", "backward", "op", "formula",
            "constants", "shapes"}
ALLOWED_IMPORTS = {"numpy", "scipy"} | set(sys.stdlib_module_names) - {"derive"}

LIKE_SOURCE = '''
def _like(value):
    """A stand-in with `value`'s shape and dtype that holds no data: all backward needs of a
    value its gradients do not read (such as x when dL/dx is computed from the output)."""
    value = numpy.asarray(value)
    return numpy.broadcast_to(numpy.zeros((), dtype=value.dtype), value.shape)
'''

SHAPES_SOURCE = '''
def _check_shapes(values, shapes):
    """Refuse an array whose number of axes is not its declared shape's: a vector of shape
    (n,) where (n, 1) is declared would silently give wrong matrix products."""
    for name, value in values.items():
        declared = shapes.get(name)
        if declared is not None and numpy.ndim(value) != len(declared):
            raise ValueError(f"{name} has shape {numpy.shape(value)} but is declared "
                             f"{declared}: give a {len(declared)}-D array (a vector as "
                             f"{name}.reshape(-1, 1) or {name}.reshape(1, -1))")
'''

CLASS_TEMPLATE = '''
class {{ cls }}:
    """{{ summary }}

    {{ protocol }}
    """

    op = None  # not a catalog operator: verify it against `formula` (see derive new)
    formula = {{ formula_repr }}
    constants = {{ constants_repr }}
    shapes = {{ shapes_repr }}

    def __init__(self{% for p in init_signature %}, {{ p }}{% endfor %}):
{% for p in init_params %}
        self.{{ p }} = {{ p }}
{% endfor %}
{% for p in param_grads %}
        self.d{{ p }} = None
{% endfor %}
{% for name, _, _ in cached %}
        self.{{ name }} = None
{% endfor %}
{% if saved %}
        self.out = None
{% endif %}
{% for name in kept %}
        self.{{ name }} = None
{% endfor %}

    def forward(self{% for n in forward_args %}, {{ n }}{% endfor %}):
        # {{ out_text }}
{% if check_shapes %}
        _check_shapes({{ shaped_values }}, self.shapes)
{% endif %}
{% if kept %}
        out, _kept = _forward_saved({% for n in params %}{{ n }}={{ forward_value[n] }}{{ ", " if not loop.last }}{% endfor %})
{% else %}
        out = _forward({% for n in params %}{{ n }}={{ forward_value[n] }}{{ ", " if not loop.last }}{% endfor %})
{% endif %}
{% for name, value, note in cached %}
        self.{{ name }} = {{ value }}{{ "  # " ~ note if note }}
{% endfor %}
{% if saved %}
        self.out = out
{% endif %}
{% for name in kept %}
        self.{{ name }} = _kept["{{ name }}"]  # {{ kept[name] }}
{% endfor %}
        return out

    def backward(self, dout{{ "=1" if scalar_output }}):
{% for line in gradient_comments %}
        # {{ line }}
{% endfor %}
        grads = _backward(dout{% for n in params %}, {{ n }}=self.{{ n }}{% endfor %}{{ ", out=self.out" if saved }}{% for name in kept %}, {{ name }}=self.{{ name }}{% endfor %})
{% for p in param_grads %}
        self.d{{ p }} = grads["{{ p }}"]
{% endfor %}
        return {{ returned }}
'''

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                          lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def class_name(name: str) -> str:
    """`mish` → `Mish`, `leaky_relu2` → `LeakyRelu2`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def layer_source(derivation, name: str, params: tuple[str, ...] = (),
                 formula: str | None = None) -> str:
    """The source of a module defining the layer class for `derivation`.

    `params` are names passed to `__init__` (such as W, b) instead of to `forward`; the
    gradient of a differentiated one is stored in `self.d<name>` by backward. `formula` is the
    class's `formula` attribute (default: the derivation's formula in derive's syntax).
    """
    d = derivation
    _check_names(d, params)
    formula = formula or formula_text(d)
    integers = _integer_constants(d)
    forward_args = [n for n in d.params if n not in params and n not in integers]
    saved = "out" in d.saved_names  # named intermediates are recomputed by backward
    kept = getattr(d, "kept", {})
    needed = _names_backward_needs(d)
    cached = [(n, n, "") if n in needed else
              (n, f"_like({n})", f"backward needs only {n}'s shape and dtype")
              for n in forward_args]
    returned = [n for n in d.inputs if n not in params]
    helpers = _embedded_functions(d.forward_source, d.backward_source)
    if any(value.startswith("_like(") for _, value, _ in cached):
        helpers += "\n\n" + LIKE_SOURCE.strip() + "\n"
    shaped = [n for n in d.params if n in d.shapes]
    if shaped:
        helpers += "\n\n" + SHAPES_SOURCE.strip() + "\n"
    init_params = [*params, *(n for n, v in integers.items() if v is None and n not in params),
                   *(n for n, v in integers.items() if v is not None and n not in params)]
    owned = set(init_params)
    cls = _ENV.from_string(CLASS_TEMPLATE).render(
        cls=class_name(name), summary=_summary(d, name), protocol=_protocol(d, params),
        formula_repr=repr(formula), constants_repr=repr(_declared_constants(d)),
        shapes_repr=repr({k: tuple(_dimension(x) for x in v) for k, v in d.shapes.items()}),
        check_shapes=bool(shaped), shaped_values="{" + ", ".join(
            f'"{n}": ' + (f"self.{n}" if n in params else n) for n in shaped) + "}",
        init_signature=[n if integers.get(n) is None or n in params else f"{n}={integers[n]}"
                        for n in init_params],
        init_params=init_params, param_grads=[p for p in params if p in d.inputs],
        cached=cached, saved=saved, forward_args=forward_args, params=d.params,
        kept={n: _one_line(expr_text(v)) for n, v in kept.items()},
        forward_value={n: (f"self.{n}" if n in owned else n) for n in d.params},
        out_text=_one_line(_output_text(d)), scalar_output=_scalar_output(d),
        gradient_comments=_gradient_comments(d),
        returned=", ".join(f'grads["{n}"]' for n in returned))
    header = (f'"""{docstring_text(class_name(name))}: a layer generated by `derive new '
              f'{docstring_text(name)}` from the formula {docstring_text(formula)}\n\n'
              "Self-contained: it imports only numpy, scipy and the standard library.\n"
              '"""\n')
    source = header + helpers.rstrip("\n") + "\n\n\n" + cls.lstrip("\n")
    ast.parse(source)  # the generated module must at least be valid Python
    return source


def formula_text(d) -> str:
    """The class's `formula`: the derivation's formula in derive's syntax, on one line."""
    return _one_line(d.formula if _is_index(d) else expr_text(d.expr))


def _output_text(d) -> str:
    return d.formula if _is_index(d) else f"out = {expr_text(d.expr)}"


def _gradient_comments(d) -> list[str]:
    """One comment line per gradient (an index formula's: per step of each gradient)."""
    if _is_index(d):
        from derive.index.printing import contribution_text

        return [_one_line(contribution_text(c)) for n in d.inputs for c in d.gradient_chain(n)]
    return [f"dL/d{n} = {_one_line(computed_text(_shown_gradient(d, n), bool(d.shapes)))}"
            for n in d.inputs]


def _is_index(d) -> bool:
    return hasattr(d, "program")


def _integer_constants(d) -> dict:
    """{integer constant of an index formula: its value or None}: __init__ takes them, as the
    book's Convolution(W, b, stride=1, pad=0) does (a given value is the default)."""
    return dict(d.program.integer_constants) if _is_index(d) else {}


def _declared_constants(d) -> tuple:
    """The class's `constants`, as --const takes them (an integer constant with its value)."""
    integers = _integer_constants(d)
    return tuple(n if integers.get(n) is None else f"{n}={integers[n]}" for n in d.constants)


def _check_names(d, params) -> None:
    unknown = [p for p in params if p not in d.params]
    if unknown:
        raise DeriveError(f"--param {unknown[0]}: '{unknown[0]}' is not a name of the formula "
                          f"(names: {', '.join(d.params)})")
    if all(n in params for n in d.inputs):
        raise DeriveError("--param: every differentiated input is a parameter; leave at least one "
                          "input for forward")
    clash = sorted(set(d.params) & RESERVED) or sorted(
        n for n in d.params if n.startswith("d") and n[1:] in params)
    if clash:
        raise DeriveError(f"formula: the name '{clash[0]}' is used by the generated layer class "
                          "itself, rename it in the formula")


def _dimension(dim) -> int | str:
    """A matrix dimension as `--shape` takes it: a number or a name."""
    return int(dim) if getattr(dim, "is_Integer", False) or isinstance(dim, int) else str(dim)


def _shown_gradient(d, name: str):
    form = d.backward_form(name) if hasattr(d, "backward_form") else d.saved_form.get(name)
    return form if form is not None else d.gradients[name]


def _names_backward_needs(d) -> set[str]:
    """The formula names whose values the gradients use (in their saved forms, if any); of
    the other names backward reads only the shapes and dtypes (an index formula's: all)."""
    if _is_index(d):
        return set(d.params)
    names = set()
    for n in d.inputs:
        forms = [_shown_gradient(d, n)]
        if getattr(d, "intermediates", None):  # backward computes mu, xhat from the inputs
            forms.append(d.gradients[n])
        for form in forms:
            names |= {str(s) for s in form.free_symbols} & set(d.params)
    return names


def _scalar_output(d) -> bool:
    """True when the forward output is a single number (a loss): backward's dout defaults to 1."""
    forward, _ = d.functions()
    with np.errstate(all="ignore"):
        return np.ndim(forward(**d.sample(np.random.default_rng(0)))) == 0


def _summary(d, name: str) -> str:
    if _is_index(d):
        return docstring_text(f"{class_name(name)}: {_one_line(d.formula)}")
    return docstring_text(f"{class_name(name)}: out = {_one_line(expr_text(d.expr))}")


def _protocol(d, params) -> str:
    args = ", ".join(n for n in d.params if n not in params and n not in _integer_constants(d))
    returned = [f"d{n}" for n in d.inputs if n not in params]
    text = (f"forward({args}) returns out; backward(dout) returns "
            f"{returned[0] if len(returned) == 1 else '(' + ', '.join(returned) + ')'}")
    stored = [f"self.d{p}" for p in params if p in d.inputs]
    if stored:
        text += f" and sets {', '.join(stored)}"
    return docstring_text(text + ".")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _embedded_functions(forward_source: str, backward_source: str) -> str:
    """The imports and functions of both generated sources, `forward`/`backward` renamed to
    `_forward`/`_backward`; a helper defined differently in both gets a distinct name."""
    imports: dict[str, None] = {}
    defined: dict[str, str] = {}
    functions = []
    for source, public in ((forward_source, "forward"), (backward_source, "backward")):
        tree = ast.parse(source)
        renames = {public: f"_{public}", "forward_saved": "_forward_saved"}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name != public:
                text = ast.unparse(node)
                if node.name in defined and defined[node.name] != text:
                    renames[node.name] = f"{node.name}_{public}"
        _Rename(renames).visit(tree)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                _check_import(node)
                imports[ast.unparse(node)] = None
            elif isinstance(node, ast.FunctionDef):
                text = ast.unparse(node)
                if defined.get(node.name) != text:
                    defined[node.name] = text
                    functions.append(text)
            elif not _is_docstring(node):
                functions.append(ast.unparse(node))
    return "\n".join(sorted(imports)) + "\n\n\n" + "\n\n\n".join(functions) + "\n"


class _Rename(ast.NodeTransformer):
    def __init__(self, renames: dict[str, str]):
        self.renames = renames

    def visit_FunctionDef(self, node):
        node.name = self.renames.get(node.name, node.name)
        return self.generic_visit(node)

    def visit_Name(self, node):
        node.id = self.renames.get(node.id, node.id)
        return node


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant)


def _check_import(node) -> None:
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for module in modules:
        if re.split(r"\.", module)[0] not in ALLOWED_IMPORTS:
            raise DeriveError(f"derive new: the generated code imports '{module}', so the layer "
                              "would not be self-contained; report this formula as a bug")
