"""Run every check on every target: bind, pick the convention, check, and give a verdict.

Each check runs under a time limit, with the user's printing swallowed; a layer that raises,
hangs or breaks its protocol gets a verdict with the reason and the run goes on.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from derive import catalog
from derive.errors import DeriveError
from derive.verify import (
    checks,
    checks_dtype,
    checks_extreme,
    checks_modes,
    checks_more,
    checks_nd,
    checks_state,
)
from derive.verify.binding import Candidate, Unbound, bind, declared_formula
from derive.verify.constant_blame import attach_constant_blame
from derive.verify.context import CheckFailed, Context
from derive.verify.conventions import related_ops, variants
from derive.verify.forms import other_target_form
from derive.verify.limits import TimeLimit, quiet, time_limit
from derive.verify.loss_adapter import LossFunctionAdapter
from derive.verify.modes import layer_protocol
from derive.verify.outputs import describe as describe_outputs
from derive.verify.protocols import (
    ClassAdapter,
    ForwardOnly,
    PairAdapter,
    ProtocolError,
)
from derive.verify.results import Check, Result, verdict
from derive.verify.search import smallest_counterexample
from derive.verify.values import ValueAdapter

CHECKS = [
    ("forward", checks.check_forward),
    ("backward", checks.check_backward),
    ("param_gradients", checks.check_param_gradients),
    ("finite_difference", checks.check_finite_difference),
    ("side_effects", checks_more.check_side_effects),
    ("extreme_inputs", checks_extreme.check_extreme_inputs),
    ("dtype_shape", checks_dtype.check_dtype_shape),
    ("linearity", checks_more.check_linearity),
    ("state", checks_state.check_state),
    ("kink_convention", checks_more.check_kink_convention),
    ("nd_input", checks_nd.check_nd_input),
    ("running_stats", checks_modes.check_running_stats),
    ("train_test_scaling", checks_modes.check_train_test_scaling),
    ("mask_reuse", checks_modes.check_mask_reuse),
]
SEARCH_SECONDS = 5.0


def make_adapter(candidate: Candidate, derivation):
    inputs, constants = list(derivation.inputs), list(derivation.constants)
    protocol = layer_protocol(derivation)
    if candidate.kind == "class":
        return ClassAdapter(candidate.objects[0], inputs, constants, protocol,
                            len(getattr(derivation, "outputs", ())) or 1)
    if candidate.kind == "pair":
        return PairAdapter(*candidate.objects, inputs, constants, config_keys(derivation),
                           len(getattr(derivation, "outputs", ())) or 1, protocol)
    if candidate.kind == "value":
        return ValueAdapter(*candidate.objects, inputs, constants)
    return LossFunctionAdapter(candidate.objects[0], inputs, constants)


def config_keys(derivation) -> dict:
    """{integer constant: its key in a cs231n config dict} (the catalog's `config_keys`, else
    the constant's own name: conv_param["stride"])."""
    program = getattr(derivation, "program", None)
    entry = catalog.load().get(derivation.name)
    keys = entry.config_keys if entry is not None else {}
    return {n: keys.get(n, n) for n in (program.integer_constants if program else ())}


@functools.cache
def derivation_of(op: str):
    """The catalog operator's derivation, once per process (and from the disk cache)."""
    from derive.cache import cached_derive

    return cached_derive(op=op)


def formula_derivation(formula: str, shapes: dict, constants: tuple):
    """The derivation of a formula a class declares (from the disk cache when it is there)."""
    from derive.cache import cached_derive

    return cached_derive(formula=formula, shapes=shapes, constants=constants)


def verify_candidate(candidate: Candidate, op=None, seed=0, strict=False,
                     explicit=False, derivation=None) -> Result | str:
    """A Result, or the reason (a string) why a candidate found by scanning was skipped."""
    bound_to = None
    if derivation is None and op is None:
        try:
            request = declared_formula(candidate)
        except Unbound as exc:
            return Result(candidate.label, None, "error", message=str(exc))
        if request is not None:
            bound_to = f"its formula attribute {request['formula']}"
            try:
                derivation = formula_derivation(**request)
            except DeriveError as exc:
                return Result(candidate.label, None, "error",
                              message=f"{bound_to} could not be derived: {exc}")
    if derivation is not None:
        ops, derivations = [derivation.name], [derivation]
    else:
        try:
            ops = bind(candidate, op)
        except Unbound as exc:
            if explicit:
                return Result(candidate.label, None, "error", message=str(exc))
            return str(exc)
    try:
        if derivation is None:
            derivations = [derivation_of(name) for name in ops]
    except DeriveError as exc:
        return Result(candidate.label, ops[0], "error",
                      message=f"the operator could not be derived: {exc}")
    outputs = getattr(derivations[0], "outputs", ())
    if len(outputs) > 1 and candidate.kind not in ("pair", "class"):
        reason = (f"{ops[0]} has several outputs ({', '.join(outputs)}), which derive verify "
                  "judges in classes and cs231n function pairs (forward returning them, "
                  "backward taking one upstream each)")
        return Result(candidate.label, ops[0], "error", message=reason) if explicit else reason
    related = [] if derivation is not None else _with_related(ops)[len(ops):]
    with quiet(), np.errstate(all="ignore"):
        try:
            variant, adapter = _choose_variant(candidate, derivations, related, seed)
        except ForwardOnly as exc:
            if not explicit:
                return str(exc)
            return Result(candidate.label, ops[0], "error", checks=[
                Check("protocol", "error", str(exc))], message=f"protocol: {exc}")
        except (ProtocolError, ScreenTimeout) as exc:
            check = getattr(exc, "check", "protocol")
            return Result(candidate.label, ops[0], "error", checks=[
                Check(check, "error", str(exc))], message=f"{check}: {exc}")
        ctx = Context(adapter, variant, seed, strict)
        found = run_checks(ctx, candidate)
        also = other_target_form(ctx, found, [check for _, check in CHECKS[:2]])
    convention = variant.describe() + "".join(
        f"; {name} = {value:g} as the layer sets it" for name, value in
        (ctx.usual_values or {}).items()) + "".join(f"; {note}" for note in ctx.notes) + (
        f"; {also} also passes" if also else "") + (
        f"; {describe_outputs(outputs)}" if len(outputs) > 1 else "")
    result = Result(candidate.label, variant.op, verdict(found, strict), convention, found)
    if not variant.is_default and result.status == "pass":
        result.message = f"passes as {variant.describe()}"
    elif bound_to is not None and result.status == "pass":
        result.message = f"verified against {bound_to}"
    unfilled = [c.message for c in found if c.message.startswith("not implemented")]
    if unfilled:
        result.message = unfilled[0]
    return result


def _with_related(ops: list[str]) -> list[str]:
    names = list(ops)
    for op in ops:
        names += [n for n in related_ops(op) if n not in names]
    return names


def _related_derivations(names: list[str]) -> list:
    """Derivations of the related layouts (derived only when the bound operator's conventions
    all fail); one that cannot be derived is simply not tried."""
    found = []
    for name in names:
        try:
            found.append(derivation_of(name))
        except DeriveError:
            continue
    return found


def _choose_variant(candidate, derivations, related, seed):
    """The first variant under which forward and backward pass; else the closest one.
    The variants of the bound derivations come first; those of the `related` operators
    (names) are derived and tried only when none of them passes."""
    scalar = _scalar_output(derivations[0])
    best, why = None, ""
    labels_first = candidate.kind == "loss"

    def others():
        for v in variants(derivations + _related_derivations(related), scalar, labels_first):
            if not any(v.derivation is d for d in derivations):
                yield v

    bound = variants(derivations, scalar, labels_first=labels_first)
    for variant in itertools.chain(bound, others() if related else ()):
        try:
            adapter = make_adapter(candidate, variant.derivation)
        except ProtocolError as exc:
            why = why or f": {exc}"
            continue
        score = _screen(Context(adapter, variant, seed))
        if score == 0:
            return variant, adapter
        if best is None or score < best[0]:
            best = (score, variant, adapter)
    if best is None:
        raise ProtocolError(f"{candidate.name} cannot be called as "
                            f"{derivations[0].name}({', '.join(derivations[0].params)}){why}")
    return best[1], best[2]


def _scalar_output(derivation) -> bool:
    from derive.verify.sampling import sample_values

    values = sample_values(derivation, np.random.default_rng(0))
    forward, _ = derivation.functions()
    return np.ndim(forward(**values)) == 0


def _screen(ctx: Context) -> int:
    failures = 0
    for name, check in CHECKS[:3]:
        if name == "param_gradients" and not checks.param_names(ctx):
            continue
        try:
            with time_limit():
                found = check(ctx)
            if found.status not in ("pass", "warn"):
                failures += max(len(found.failed), 1)  # a variant with fewer wrong tensors is closer
        except CheckFailed:
            failures += 2
        except TimeLimit as exc:
            raise ScreenTimeout(name, str(exc)) from None
    return failures


class ScreenTimeout(Exception):
    """The layer hung while the conventions were being tried."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


def run_checks(ctx: Context, candidate: Candidate) -> list[Check]:
    found = []
    for name, check in CHECKS:
        if name == "param_gradients" and not checks.param_names(ctx):
            continue
        if name == "linearity" and ctx.adapter.assumes_unit_dout:
            continue
        if name == "state" and candidate.kind == "loss":
            continue
        try:
            with time_limit():
                result = check(ctx)
        except CheckFailed as exc:
            found.append(Check(name, exc.status, exc.message, counterexample=exc.counterexample))
            if name in ("forward", "backward"):
                break  # the layer cannot be run; every further check would say the same
            continue
        except TimeLimit as exc:
            found.append(Check(name, "error", f"the layer {exc}"))
            break
        except Exception as exc:  # a verifier bug must not hide the other checks
            result = Check(name, "error", f"verifier error {type(exc).__name__}: {exc}")
        if result is None:
            continue
        if result.status == "fail" and name in ("forward", "backward"):
            _attach_search(ctx, result, name)
            attach_constant_blame(ctx, result, check)
        if result.status == "pass":
            ctx.passed.add(name)
        found.append(result)
    return found


def _attach_search(ctx: Context, result: Check, which: str) -> None:
    try:
        with time_limit(SEARCH_SECONDS):
            shrunk = smallest_counterexample(ctx, which)
    except TimeLimit:
        shrunk = None
    if shrunk is not None:
        result.counterexample = shrunk
        result.message += f" (smallest failing input found: {_describe(shrunk, ctx)})"


def _describe(example: dict, ctx: Context) -> str:
    import numpy as np

    parts = []
    for name, value in [*example["inputs"].items(), ("dout", example.get("dout"))]:
        value = np.asarray(value) if value is not None else None
        if value is None or value.dtype == object:
            continue
        name = ctx.input_name(name)
        parts.append(f"{name} = {value.ravel()[0]:.6g}" if value.size == 1
                     else f"{name} of shape {value.shape}")
    return ", ".join(parts)
