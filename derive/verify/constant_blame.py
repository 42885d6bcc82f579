"""Which integer constant (a stride, a padding) a wrong backward mishandles: the layer is
judged again with that one constant at its neutral value (stride 1, pad 0); if it passes
there, the finding names the constant."""

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
    if not judged:
        return

    def passes(constants: dict) -> bool:
        other = Context(ctx.adapter, ctx.variant, ctx.seed, ctx.strict)
        try:
            other.sizes_of_dims = ctx.derivation.judging_point(ctx.rng(998), constants)
            with time_limit(SECONDS):
                return check(other).status == "pass"
        except (CheckFailed, TimeLimit, DeriveError):
            return False

    result.message += constant_blame(ctx.derivation, judged, passes)


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
