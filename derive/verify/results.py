"""Verification results as plain data: one Check per named check, one Result per target."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from derive.richdisplay import RichDisplay

STATUSES = ("pass", "warn", "fail", "error")
MESSAGE_LIMIT = 2000
# terminal control sequences (CSI, OSC) and other control characters a layer's text may carry
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text) -> str:
    """`text` fit for a terminal and for JSON: escape sequences and control characters
    removed, line breaks as spaces, at most MESSAGE_LIMIT characters."""
    if not isinstance(text, str):
        return text
    text = _CONTROL.sub("", _ESCAPES.sub("", text)).replace("\n", " ").replace("\t", " ")
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + f"… [{len(text) - MESSAGE_LIMIT} more characters]"
    return text


def clean_result(result: "Result") -> "Result":
    result.target, result.message = clean(result.target), clean(result.message)
    result.convention = clean(result.convention)
    for check in result.checks:
        check.message = clean(check.message)
    return result


@dataclass
class Check:
    """The outcome of one named check (`forward`, `backward`, `side_effects`, ...)."""

    name: str
    status: str
    message: str = ""
    max_rel_err: float | None = None
    counterexample: dict | None = None
    failed: tuple = ()   # the tensors that disagreed (dW, db), when the check compares tensors

    def to_json(self) -> dict:
        err = self.max_rel_err
        finite = err is not None and math.isfinite(err)
        return {"name": self.name, "status": self.status,
                "max_rel_err": float(err) if finite else None,  # JSON has no Infinity
                "message": self.message, "counterexample": self.counterexample}


@dataclass
class Result:
    """The verdict on one target (a class, a function pair or a loss function)."""

    target: str
    op: str | None
    status: str
    convention: str | None = None
    checks: list[Check] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict:
        data = {"target": self.target, "op": self.op, "status": self.status,
                "convention": self.convention, "checks": [c.to_json() for c in self.checks]}
        if self.message:
            data["message"] = self.message
        return data


@dataclass
class Report(RichDisplay):
    """Everything one `derive verify` run found, plus what it could not check and why."""

    results: list[Result]
    seed: int
    skipped: list[dict] = field(default_factory=list)   # layer-like, not bound: why
    blocks: list[dict] = field(default_factory=list)
    rerun: str = ""
    nothing: list[dict] = field(default_factory=list)   # targets with nothing layer-like

    @property
    def ok(self) -> bool:
        """At least one layer judged, and every judged layer passed."""
        return bool(self.results) and all(r.status == "pass" for r in self.results)

    def nothing_judged(self) -> str:
        """Why nothing was verified ('' when something was)."""
        if self.results:
            return ""
        found = [f"{n['target']}: {n['reason']}" for n in self.nothing]
        if self.skipped:
            found.append(f"{len(self.skipped)} layer-like class(es) or function(s) could not "
                         "be bound (listed above)")
        return "nothing was verified: " + ("; ".join(found) or "no target held a layer")

    def summary(self) -> dict:
        counts = {s: sum(r.status == s for r in self.results) for s in ("pass", "fail", "error")}
        return {"targets": len(self.results), **counts,
                "warnings": sum(c.status == "warn" for r in self.results for c in r.checks),
                "skipped": self.skipped, "unbound": len(self.skipped),
                "nothing_found": self.nothing, "nothing_judged": self.nothing_judged(),
                "failed_blocks": self.blocks, "seed": self.seed, "rerun": self.rerun}

    def to_json(self) -> dict:
        return {"results": [r.to_json() for r in self.results], "summary": self.summary()}


def verdict(checks: list[Check], strict: bool) -> str:
    """pass | fail | error for a list of checks (a warn counts as a fail under --strict)."""
    if strict:
        for check in checks:
            if check.status == "warn":
                check.status = "fail"
                check.message = f"{check.message} (a failure under --strict)"
    statuses = {c.status for c in checks}
    if "fail" in statuses:
        return "fail"
    if "error" in statuses:
        return "error"
    return "pass"
