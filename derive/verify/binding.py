"""Find what a namespace offers to verify and bind each piece to a catalog operator.

Candidates: classes with `forward` and `backward`, cs231n pairs `op_forward`/`op_backward`
(also `op_forward_naive`/`op_backward_naive`),
loss functions `op_loss`, the operations of a micrograd-style `Value` class (see values.py). Binding, in order: `--op` (or a typed --formula); the class's `op`
attribute; the class's `formula` attribute (see `declared_formula`); the catalog's declared
`layer` name; the name itself (case-insensitive, a `Layer` suffix, a `Layer_` or
`Activation_` prefix and underscores ignored) or a catalog alias (`Dense`, `Linear`);
for pairs and loss functions also catalog operators whose name extends the stem
(`softmax_loss` → `softmax_cross_entropy...`), among which the conventions decide.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from derive import catalog
from derive.index.expressions import MAX_RANK
from derive.read.shapes import DIM
from derive.verify.targets import Loaded
from derive.verify.values import is_value_class, value_operations


@dataclass
class Candidate:
    """Something verifiable: a class, a function pair or a loss function."""

    label: str
    kind: str          # "class" | "pair" | "loss" | "value"
    objects: tuple
    name: str          # class name, or the stem of a function pair / loss function


class Unbound(Exception):
    """No catalog operator fits; the message says why."""


def candidates(loaded: Loaded) -> list[Candidate]:
    """Everything in the loaded namespace that can be verified (only the named one if given)."""
    ns, prefix = loaded.namespace, loaded.label.rpartition(":")[0] or loaded.label
    if loaded.name is not None:
        found = _named(ns, loaded.name, loaded.label)
        return [found] if found is not None else []
    found = []
    for key, value in ns.items():
        if key.startswith("_") or not _defined_in(value, loaded.module_name):
            continue  # a private name is a helper (a generated recurrence's _step_forward)
        if is_value_class(value):  # micrograd: one candidate per operation
            found += [Candidate(f"{prefix}:{key}.{method}", "value", (value, method), op)
                      for method, op in value_operations(value, set(catalog.load()))]
            continue
        candidate = _named(ns, key, f"{prefix}:{key}")
        if candidate is not None:
            found.append(candidate)
    return found


def _defined_in(value, module_name: str) -> bool:
    module = getattr(value, "__module__", None) or ""
    return module == module_name or module.startswith(module_name + ".")


def _named(ns: dict, key: str, label: str) -> Candidate | None:
    value = ns.get(key)
    if inspect.isclass(value):
        if callable(getattr(value, "forward", None)) and callable(getattr(value, "backward", None)):
            return Candidate(label, "class", (value,), key)
        return None
    stem, _, variant = key.partition("_forward")  # conv_forward_naive: a variant suffix
    forward = ns.get(f"{stem}_forward{variant}")
    backward = ns.get(f"{stem}_backward{variant}")
    if stem and (not variant or variant.startswith("_")) and inspect.isfunction(
            forward) and inspect.isfunction(backward):
        return Candidate(label.removesuffix(f"_forward{variant}") + variant, "pair",
                         (forward, backward), stem)
    stem, _, variant = key.partition("_backward")  # batchnorm_backward_alt: a second backward
    forward = ns.get(f"{stem}_forward")
    if stem and variant.startswith("_") and f"{stem}_forward{variant}" not in ns and \
            inspect.isfunction(value) and inspect.isfunction(forward):
        return Candidate(label, "pair", (forward, value), stem)
    if inspect.isfunction(value) and key.endswith("_loss") and len(key) > 5:
        return Candidate(label, "loss", (value,), key[:-len("_loss")])
    return None


LAYER = ("a class with forward and backward, an op_forward/op_backward pair or an op_loss "
         "function")


def near_misses(loaded: Loaded) -> list[dict]:
    """{target, reason} for what looks like a layer but cannot be one: a class with forward
    and no backward (or the reverse), op_forward without op_backward; the named object."""
    ns, prefix = loaded.namespace, loaded.label.rpartition(":")[0] or loaded.label
    if loaded.name is not None:
        reason = _half_layer(ns.get(loaded.name), loaded.name, ns)
        return [{"target": loaded.label, "reason": reason}] if reason else []
    found = []
    for key, value in ns.items():
        if not key.startswith("_") and _defined_in(value, loaded.module_name):
            reason = _half_layer(value, key, ns)
            if reason:
                found.append({"target": f"{prefix}:{key}", "reason": reason})
    return found


def _half_layer(value, key: str, ns: dict) -> str:
    if inspect.isclass(value):
        has = [m for m in ("forward", "backward") if callable(getattr(value, m, None))]
        if len(has) == 1:
            missing = ({"forward", "backward"} - set(has)).pop()
            return f"a class with {has[0]} but no {missing}: nothing to compare"
        return ""
    for mine, other in (("_forward", "_backward"), ("_backward", "_forward")):
        stem = key.removesuffix(mine)
        if key.endswith(mine) and stem and inspect.isfunction(value) and not inspect.isfunction(
                ns.get(stem + other)):
            return f"{key} has no {stem}{other} beside it: nothing to compare"
    return ""


def nothing_found(loaded: Loaded) -> str:
    """What a target holds when nothing in it looks like a layer."""
    ns = loaded.namespace
    if loaded.name is not None:
        value = ns.get(loaded.name)
        what = "a class" if inspect.isclass(value) else f"a {type(value).__name__}"
        return f"{loaded.name} is {what}, not {LAYER}"
    mine = [v for v in ns.values() if _defined_in(v, loaded.module_name)]
    classes = sum(inspect.isclass(v) for v in mine)
    functions = sum(inspect.isfunction(v) for v in mine)
    if not classes and not functions:
        return f"it defines no class or function (nothing to verify; {LAYER} is)"
    return (f"it defines {classes} class(es) and {functions} function(s), none of them {LAYER}")


KIND_PREFIXES = ("layer_", "activation_")  # Layer_Dense, Activation_ReLU (nnfs.io)


def normalise(name: str) -> str:
    text = name.lower()
    for prefix in KIND_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
    text = text.replace("_", "")
    return text[:-len("layer")] if text.endswith("layer") and len(text) > 5 else text


def bind(candidate: Candidate, op: str | None = None) -> list[str]:
    """Catalog operators the candidate may implement, most likely first; Unbound if none."""
    entries = catalog.load()
    if op is not None:
        return [op]
    if candidate.kind == "class":
        declared = getattr(candidate.objects[0], "op", None)
        if isinstance(declared, str):
            if declared in entries:
                return [declared]
            raise Unbound(f"its op attribute names '{declared}', which is not in the catalog "
                          "(see derive list)")
        by_layer = [e.name for e in entries.values() if e.layer == candidate.name]
        if by_layer:
            return by_layer
    key = normalise(candidate.name)
    exact = [n for n, e in entries.items()
             if key in (normalise(n), *(normalise(a) for a in e.aliases))
             and (candidate.kind != "loss" or e.constants)]  # a loss function takes targets
    if exact:
        return exact
    if candidate.kind != "class":
        extended = [n for n in entries if n.startswith(candidate.name + "_")]
        steps = [n for n in extended if n.endswith("_step")]
        if steps and len(steps) == len(extended):  # rnn_forward: rnn_step over a sequence
            raise Unbound(f"not verified: {candidate.name} runs {steps[0]} over a sequence, and "
                          "the catalog has no recurrence of that name: give its formula with an "
                          "initial clause (--formula 'h[n,-1,k] = h0[n,k]; h[n,t,k] = ...')")
        if extended:
            return extended
    parts = _composed_of(candidate.name, entries)
    if len(parts) >= 2:
        raise Unbound(f"{candidate.name} composes {', then '.join(parts)} (a sandwich layer, as "
                      "cs231n's layer_utils): derive judges each part's own functions, not "
                      "their composition; to judge it whole give its formula (--formula EXPR)")
    raise Unbound(f"no catalog operator is named like '{candidate.name}' (see derive list): "
                  "if it implements one, give --op NAME; otherwise give its formula "
                  "(--formula EXPR, or a formula attribute on the class)")


def _composed_of(name: str, entries: dict) -> list[str]:
    """The catalog operators named one after another in `name` (conv_relu_pool: conv2d,
    relu), each the longest run of its words that names an operator or an alias."""
    names = {}
    for n, e in entries.items():
        for spelling in (n, *e.aliases):
            names.setdefault(normalise(spelling), n)
    words, found, i = name.lower().split("_"), [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            op = names.get("".join(words[i:j]))
            if op is not None:
                found.append(op)
                i = j
                break
        else:
            i += 1
    return found


def declared_formula(candidate: Candidate) -> dict | None:
    """The derive() request a class declares with a `formula` attribute, or None.

    Any class counts (not only those `derive new` writes): `formula` is a string in derive's
    formula syntax, optional `shapes` maps a name to its dimensions (numbers or names) and
    optional `constants` lists names that are not differentiated. A class whose `op`
    attribute names an operator is bound to that instead. A malformed declaration is Unbound.
    """
    if candidate.kind != "class":
        return None
    cls = candidate.objects[0]
    formula = inspect.getattr_static(cls, "formula", None)
    if formula is None or callable(formula) or isinstance(formula, (property, staticmethod,
                                                                    classmethod)):
        return None  # no declaration (a method named formula is none either)
    if isinstance(getattr(cls, "op", None), str):
        return None
    if not isinstance(formula, str) or not formula.strip():
        raise Unbound(f"its formula attribute is {formula!r}, give a formula in derive's "
                      "syntax as a string, such as formula = \"x*tanh(softplus(x))\"")
    return {"formula": formula, "shapes": _declared_shapes(getattr(cls, "shapes", None)),
            "constants": _declared_constants(getattr(cls, "constants", None))}


def _declared_shapes(shapes) -> dict:
    if shapes is None:
        return {}
    example = "such as shapes = {\"W\": (\"n\", \"m\"), \"x\": (\"m\", 1)}"
    if not isinstance(shapes, dict):
        raise Unbound(f"its shapes attribute is {type(shapes).__name__}, give a dict "
                      f"NAME -> dimensions, {example}")
    checked = {}
    for name, dims in shapes.items():
        dims = (dims,) if isinstance(dims, (int, str)) else dims
        if (not isinstance(name, str) or not isinstance(dims, (tuple, list))
                or not 1 <= len(dims) <= MAX_RANK or not all(_dimension(d) for d in dims)):
            raise Unbound(f"its shapes attribute maps {name!r} to {dims!r}: give 1 to "
                          f"{MAX_RANK} dimensions (2 for a matrix formula) that are positive "
                          f"numbers or names, {example}")
        checked[name] = tuple(dims)
    return checked


def _dimension(d) -> bool:
    if isinstance(d, bool):
        return False
    return DIM.match(str(d)) is not None if isinstance(d, (int, str)) else False


def _declared_constants(constants) -> tuple:
    if constants is None:
        return ()
    if isinstance(constants, str) or not isinstance(constants, (tuple, list)) \
            or not all(isinstance(c, str) for c in constants):
        raise Unbound(f"its constants attribute is {constants!r}, give a tuple of names, "
                      "such as constants = (\"t\",)")
    return tuple(constants)
