"""A pytest helper: `assert_layer_correct(MyLayer, "sigmoid")` fails the test with the
verifier's findings when a hand-written layer disagrees with the derived backward pass."""

from __future__ import annotations


def layer_report(layer, op: str | None = None, seed: int = 0, strict: bool = False,
                 derivation=None, timeout: float | None = None):
    """Verify one class (or a `(op_forward, op_backward)` pair, or an `op_loss` function)
    against a catalog operator (or a given Derivation), in a worker process limited to
    `timeout` seconds (default: derive verify's); returns the Result."""
    from derive.verify.binding import Candidate
    from derive.verify.results import Result
    from derive.verify.session import DEFAULT_TIMEOUT, Settings, judge_one

    if isinstance(layer, tuple):
        name = layer[0].__name__.removesuffix("_forward")
        candidate = Candidate(name, "pair", tuple(layer), name)
    elif isinstance(layer, type):
        candidate = Candidate(layer.__name__, "class", (layer,), layer.__name__)
    else:
        name = layer.__name__.removesuffix("_loss")
        candidate = Candidate(layer.__name__, "loss", (layer,), name)
    # in a worker process: a layer that calls sys.exit() or hangs cannot take the tests down
    result = judge_one(candidate, Settings(op, seed, strict, derivation,
                                           timeout or DEFAULT_TIMEOUT))
    assert isinstance(result, Result)
    return result


def assert_layer_correct(layer, op: str | None = None, *, seed: int = 0,
                         strict: bool = False) -> None:
    """Raise AssertionError listing every finding unless the layer passes every check."""
    result = layer_report(layer, op, seed, strict)
    if result.status != "pass":
        findings = [f"  {c.name} ({c.status}): {c.message}" for c in result.checks
                    if c.status != "pass"]
        if result.message:
            findings.insert(0, f"  {result.message}")
        raise AssertionError(f"{result.target} is not a correct {result.op or op} layer "
                             f"(seed {seed}):\n" + "\n".join(findings))
