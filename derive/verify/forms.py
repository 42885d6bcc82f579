"""The other form of the targets: a loss layer that passes with one-hot targets is also run
with integer labels, and the reverse, as the book's SoftmaxWithLoss accepts both."""

from __future__ import annotations

import dataclasses

from derive.verify.context import CheckFailed, Context
from derive.verify.limits import TimeLimit, time_limit
from derive.verify.results import Check


def other_target_form(ctx: Context, found: list[Check], value_checks: list) -> str:
    """A layer that passes with one-hot targets is also tried with integer labels (and the
    reverse): one that accepts the other form too is named; one that runs but computes it
    wrong gets a failed `targets` check (a form it refuses, by raising, is simply not its own)."""
    variant = ctx.variant
    if not variant.targets or any(c.status in ("fail", "error") for c in found):
        return ""
    kind, axis = variant.targets
    other = dataclasses.replace(variant, targets=("labels" if kind == "onehot" else "onehot", axis))
    wording = other.describe().rpartition(" with ")[2].split(", ")[-1]
    try:
        with time_limit():
            checked = [check(Context(ctx.adapter, other, ctx.seed)) for check in value_checks]
    except (CheckFailed, TimeLimit):
        return ""
    except Exception:  # the other form is only a courtesy; a verifier bug must not cost a verdict
        return ""
    wrong = [c for c in checked if c.status == "fail"]
    if wrong:
        found.append(Check("targets", "fail", f"with {wording} the layer runs but computes "
                           f"wrong values: {wrong[0].message}", wrong[0].max_rel_err))
        return ""
    return wording
