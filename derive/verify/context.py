"""What every check needs: the adapter, the chosen variant, seeded cases, tolerances and the
shared ways of running the user's code and describing a mismatch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from derive.verify.blame import describe, user_line
from derive.verify.compare import (
    as_float,
    index_text,
    number,
    relative_error,
    worst_entry,
)
from derive.verify.conventions import Case, Variant
from derive.verify.diagnosis import guess_cause
from derive.verify.hints import mistake_hints
from derive.verify.limits import TimeLimit
from derive.verify.modes import usual_values
from derive.verify.protocols import ForwardOnly, NotImplementedLayer, ProtocolError
from derive.verify.results import Check
from derive.verify.sampling import fixed_sizes


class CheckFailed(Exception):
    """Raised inside a check to end it with a verdict (status, message)."""

    def __init__(self, status: str, message: str, counterexample=None):
        super().__init__(message)
        self.status, self.message, self.counterexample = status, message, counterexample


@dataclass
class Context:
    adapter: object
    variant: Variant
    seed: int
    strict: bool = False
    passed: set = field(default_factory=set)   # the checks that passed so far on this layer
    usual_values: dict | None = None  # constants the layer hard-codes, as found (eps)
    notes: list = field(default_factory=list)  # conventions a check found (inverted dropout)

    @property
    def derivation(self):
        return self.variant.derivation

    def rng(self, k: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, k])

    def __post_init__(self):
        # matrix dimensions stay the same across the checks of one verification
        self.sizes_of_dims = fixed_sizes(self.derivation, self.rng(999))

    def case(self, k: int) -> Case:
        return self.case_at(self.rng(k), self.sizes_of_dims)

    def case_at(self, rng, sizes) -> Case:
        """A case drawn with `rng` at `sizes`, with the constants the layer hard-codes (the
        book's eps) set to the values found for it."""
        case = self.variant.case(rng, sizes)
        if getattr(self.adapter, "protocol", {}).get("usual"):
            if self.usual_values is None:
                self.usual_values = usual_values(self, case)
            for name, value in self.usual_values.items():
                case.layer[name] = case.reference[name] = np.asarray(value)
        return case

    def dout(self, out, rng) -> np.ndarray | float:
        """1.0 for a scalar (loss) output, else a random array shaped like out."""
        if np.ndim(out) == 0:
            return 1.0
        return rng.standard_normal(np.shape(out))

    def run(self, values: dict, copy: bool = True, warmup: dict | None = None, layer=None):
        """The user's forward on a fresh layer (or on `layer`, a class-style layer used
        before); errors become CheckFailed verdicts."""
        return call_user(lambda: self.adapter.start(values, copy=copy, warmup=warmup,
                                                    layer=layer), "forward", layer)

    def backward(self, run, dout, copy: bool = True) -> dict:
        """The user's backward, on its own copy of dout unless `copy` is False: a layer that
        writes into dout (a side effect, reported by check_side_effects) must not change what
        its gradients are compared with."""
        given = np.array(dout, copy=True) if copy and isinstance(dout, np.ndarray) else dout
        return call_user(lambda: run.backward(given), "backward", getattr(run, "layer", None))

    def label(self, name: str) -> str:
        """The gradient for `name` as the layer's code calls it (dx, dw), else d + name."""
        return getattr(self.adapter, "labels", {}).get(name, f"d{name}")

    def input_name(self, name: str) -> str:
        """The input `name` as the layer's code calls it (x for the catalog's X)."""
        return getattr(self.adapter, "spelled", {}).get(name, name)

    def sizes(self, values: dict) -> set:
        sizes = Sizes()
        for v in values.values():
            sizes.update(np.shape(v))
            sizes.add(np.size(v))
        sizes.blocks = self.block_sizes()
        return sizes

    def block_sizes(self) -> tuple:
        """The sizes X of axes an index operator declares as whole multiples k*X (an LSTM's
        4*H gate columns: blocks of H), at the sizes it is judged at."""
        program = getattr(self.derivation, "program", None)
        judged = (self.sizes_of_dims or {}).get("sizes", {}) if program is not None else {}
        found = []
        for dims in getattr(program, "shapes", {}).values():
            for d in dims:
                symbols = [str(s) for s in getattr(d, "free_symbols", ())]
                if getattr(d, "is_Mul", False) and len(symbols) == 1 and symbols[0] in judged:
                    found.append(judged[symbols[0]])
        return tuple(dict.fromkeys(found))


class Sizes(set):
    """The sizes of a case's arrays; `blocks`: the block sizes its operator declares."""

    blocks: tuple = ()


def call_user(thunk, what: str, layer=None):
    try:
        return thunk()
    except ForwardOnly:
        raise  # not a layer at all: the runner skips it
    except NotImplementedLayer as exc:
        raise CheckFailed("fail", f"not implemented: {exc}") from None
    except ProtocolError as exc:
        raise CheckFailed("fail", str(exc)) from None
    except NotImplementedError as exc:  # an unfilled exercise: raise NotImplementedError
        raise CheckFailed("fail", f"not implemented: {what} raises NotImplementedError"
                          f"{user_line(exc)}") from None
    except TimeLimit:
        raise
    except BaseException as exc:  # noqa: BLE001  (sys.exit(), GeneratorExit: still a verdict)
        raise CheckFailed("error", raised_message(exc, what, layer)) from None


def raised_message(exc: BaseException, what: str, layer=None) -> str:
    text = describe(exc, what)
    layer = layer if layer is not None else getattr(exc, "derive_layer", None)
    name = getattr(exc, "name", None)
    if isinstance(exc, NameError) and name and layer is not None and hasattr(layer, name):
        text += f"; the layer has self.{name} (did you mean self.{name}?)"
    return text


def mismatch(label: str, found, expected, tol: float, *, values=None, dout=None, fd=None,
             hints=None, sizes=()) -> tuple[float, str | None]:
    """(relative error, message or None when within tolerance) for one tensor."""
    found_arr = np.asarray(found) if found is not None else None
    if found_arr is None or found_arr.dtype == object:
        return float("inf"), f"{label} is {short_repr(found)}, not an array"
    kind = number_kind(found_arr)
    if kind:
        return float("inf"), f"{label} {kind}"
    err = relative_error(found_arr, expected)
    if err <= tol:
        return err, None
    hints = hints() if callable(hints) else hints  # built only when something is wrong
    cause = guess_cause(found_arr, expected, sizes, hints, tol)
    if found_arr.shape != np.shape(expected):
        text = f"{label}: {cause}"
        if found_arr.ndim == 2 and found_arr.T.shape == np.shape(expected):
            index, f, e = worst_entry(found_arr.T, expected)
            if relative_error(found_arr.T, expected) <= tol:
                index = np.unravel_index(np.argmax(np.abs(as_float(expected))), np.shape(expected))
                e = as_float(expected)[index]
                text += (f"; e.g. expected {label}{index_text(index)} = {number(e)} (derived), "
                         f"found at {label}{index_text(index[::-1])}")
            else:
                text += (f"; worst entry of {label}.T {index_text(index)}: expected {number(e)} "
                         f"(derived), found {number(f)}")
        return err, text
    index, f, e = worst_entry(found_arr, expected)
    text = (f"{label}: worst entry {index_text(index)}: expected {number(e)} (derived), "
            f"found {number(f)}")
    if fd is not None:
        fd_value = fd(index)
        if fd_value is not None:
            text += f", finite difference {number(fd_value)}"
    text += f"; relative error {err:.2e}"
    return err, text + (f"; likely cause: {cause}" if cause else "")


def number_kind(found: np.ndarray) -> str:
    """Why an array of this dtype cannot stand for real floating-point values ('' if it can)."""
    if np.issubdtype(found.dtype, np.complexfloating):
        imag = float(np.max(np.abs(found.imag), initial=0))
        return (f"has complex dtype {found.dtype} (largest imaginary part {number(imag)}) where "
                "real numbers are expected: a complex constant or np.emath/np.lib.scimath "
                "function? Keep the computation real")
    if found.dtype.kind in "biu":
        return (f"has dtype {found.dtype} where real floating-point numbers are expected: the "
                "values are truncated (an integer array such as np.zeros_like of an integer "
                "input, or a comparison returned as is?)")
    if not np.issubdtype(found.dtype, np.floating):
        return f"has dtype {found.dtype}, not a floating-point array"
    return ""


def short_repr(value, limit: int = 80) -> str:
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001  (a user's __repr__ may raise)
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[:limit] + "…"


def compare_all(name: str, items: list, tol: float, counterexample=None) -> Check:
    """A Check from (label, found, expected, extra kwargs for mismatch) items."""
    worst, messages, failed = 0.0, [], []
    for label, found, expected, extra in items:
        err, message = mismatch(label, found, expected, tol, **extra)
        worst = max(worst, err)
        if message:
            messages.append(message)
            failed.append(label)
    if messages:
        return Check(name, "fail", "; ".join(messages), worst, counterexample, tuple(failed))
    labels = ", ".join(label for label, *_ in items)
    return Check(name, "pass", f"{labels} agree within {tol:.0e}", worst)


def gradient_hints(ctx: Context, name: str, case: Case, dout, out) -> dict:
    hints = mistake_hints(ctx.variant, name, case.reference, dout, out)
    return {cause: ctx.variant.layer_value(name, value) for cause, value in hints.items()}


def entry_fd(ctx: Context, case: Case, name: str, dout):
    """f(index) → central difference of ⟨dout, forward⟩ in one entry of input `name`."""
    def at(index):
        values = case.layer
        x = as_float(values[name])
        h = np.finfo(float).eps ** (1 / 3) * max(1.0, float(np.max(np.abs(x)) if x.size else 1))
        try:
            total = []
            for sign in (1, -1):
                moved = np.array(x, copy=True)
                moved[index] += sign * h
                out = ctx.adapter.start({**values, name: moved}).out
                total.append(float(np.sum(as_float(dout) * as_float(out))))
            return (total[0] - total[1]) / (2 * h)
        except Exception:  # the number is only an illustration; the checks decide
            return None
    return at


def as_list(values: dict) -> dict:
    return {k: np.asarray(v).tolist() for k, v in values.items()}
