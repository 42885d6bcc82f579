"""Which integer constant (a stride, a padding) a wrong backward mishandles: the layer is
judged again with that one constant at its neutral value (stride 1, pad 0); if it passes
there, the finding names the constant. A recurrence over time is judged again with one time
step: right there, the slip is in how gradients go back through time; wrong there too, the
step itself is wrong, and what that one step's finding says (gates mixed up) is named."""

from __future__ import annotations

from derive.errors import DeriveError
from derive.index.sampling import neutral_constants
from derive.verify.context import CheckFailed, Context
from derive.verify.limits import TimeLimit, time_limit
from derive.verify.results import Check

SECONDS = 5.0


def attach_constant_blame(ctx: Context, result: Check, check) -> None:
    """For an index operator: name the integer constant (stride, pad) that is mishandled,
    by judging again with that constant at its neutral value."""
    judged = (ctx.sizes_of_dims or {}).get("constants")
    result.message += _time_blame(ctx, check)
    if not judged:
        return

    def passes(constants: dict) -> bool:
        other = Context(ctx.adapter, ctx.variant, ctx.seed, ctx.strict)
        other.sizes_of_dims = ctx.derivation.judging_point(ctx.rng(998), constants)
        try:
            with time_limit(SECONDS):
                return check(other).status == "pass"
        except (CheckFailed, TimeLimit, DeriveError):
            return False

    result.message += constant_blame(ctx.derivation, judged, passes)


def _time_blame(ctx: Context, check) -> str:
    length = getattr(getattr(ctx.derivation, "recurrence", None), "length", None)
    point = ctx.sizes_of_dims or {}
    if length is None or point.get("sizes", {}).get(str(length), 1) == 1:
        return ""
    other = Context(ctx.adapter, ctx.variant, ctx.seed, ctx.strict)
    other.sizes_of_dims = {**point, "sizes": {**point["sizes"], str(length): 1}}
    try:
        with time_limit(SECONDS):
            found = check(other)
    except (CheckFailed, TimeLimit, DeriveError):
        return ""
    if found.status == "pass":
        return (f"; with one time step ({length} = 1) it is right: the step is right and the "
                "slip is in how the gradients go back through time")
    causes = [part.partition("likely cause: ")[2] for part in found.message.split("; d")]
    causes = [c for c in causes if c]
    if causes and causes[0] in getattr(ctx.derivation, "slip_sources", {}):
        return f"; with one time step ({length} = 1) it is wrong too: {causes[0]}"
    return (f"; with one time step ({length} = 1) it is wrong too, so the step itself is "
            "wrong" + (f": {causes[0]}" if causes else ""))


def constant_blame(derivation, judged: dict, passes) -> str:
    """Which integer constant a wrong backward mishandles: ' (right at stride = 1, wrong at
    stride = 2: ...)' when `passes(constants)` holds with that one constant at its neutral
    value; '' when none or every such change passes."""
    blamed = []
    for name, neutral in neutral_constants(derivation.program).items():
        if judged.get(name) not in (None, neutral) and passes({**judged, name: neutral}):
            blamed.append((name, neutral))
    if len(blamed) != 1:
        return ""
    name, neutral = blamed[0]
    return (f"; it is right at {name} = {neutral} and wrong at {name} = {judged[name]}: the "
            f"backward ignores or misapplies {name} (the window of out[i] starts at "
            f"{name}·i in the forward, so it must in the backward too)"
            if neutral == 1 else
            f"; it is right at {name} = {neutral} and wrong at {name} = {judged[name]}: the "
            f"backward mishandles {name} (pad dx like x, then crop {name} from each side)")
