"""One `derive verify` run: every target judged in a worker process of its own.

The parent checks that each TARGET can be read at all (DeriveError, exit code 2, otherwise),
then forks one worker per target (derive.workers): the worker loads the target, reports what it
found and judges each candidate, streaming every verdict back. Whatever the user's code does to
its process — sys.exit, os._exit, a hang that ignores every signal, a crash, a thread that never
ends, printing to file descriptor 1 — ends that worker, never derive: the candidate being judged
gets an `error` naming what happened, and a fresh worker goes on with the candidates after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive import workers
from derive.errors import DeriveError
from derive.verify.results import Report, Result, clean, clean_result

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Settings:
    op: str | None
    seed: int
    strict: bool
    derivation: object
    timeout: float


def verify(targets: list[str], op: str | None = None, seed: int = 0, strict: bool = False,
           derivation=None, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Judge every target (DeriveError if one cannot be read); a Report of all verdicts.

    `derivation` (a Derivation, e.g. of a --formula) binds every candidate to it instead of
    to a catalog operator; `timeout` limits the loading of a target and the judging of each
    layer in it (seconds of wall-clock time)."""
    from derive.verify import runner  # noqa: F401  (imported once here, not in every worker)
    from derive.verify.targets import readable_targets

    if op is not None and derivation is None:
        from derive import catalog

        catalog.get(op)
    resolved = [(text, readable_targets(text)) for text in targets]
    settings = Settings(op, seed, strict, derivation, timeout)
    report = Report([], seed)
    for text, files in resolved:
        if not files:
            report.nothing.append({"target": text, "reason": "the folder holds no .py file"})
        for where in files:
            _judge(where, settings, report)
    return report


def judge_one(candidate, settings: Settings, explicit: bool = True):
    """verify_candidate in a worker: a Result (an error one if the worker died), or the reason
    a candidate was skipped."""
    from derive.verify.runner import verify_candidate

    def task():
        return _cleaned(verify_candidate(candidate, settings.op, settings.seed, settings.strict,
                                         explicit=explicit, derivation=settings.derivation))

    outcome = workers.run(task, timeout=settings.timeout)
    if outcome.status == "returned":
        return outcome.value
    return Result(candidate.label, None, "error",
                  message=_ended(outcome, "judging it", settings.timeout))


def _judge(where: str, settings: Settings, report: Report) -> None:
    judged: set[str] = set()
    skip_blocks: dict[int, str] = {}
    first = True
    while True:
        outcome = workers.run(_judge_in_worker, where, settings, frozenset(judged), skip_blocks,
                              timeout=settings.timeout)
        pending, block = None, None
        for kind, *payload in outcome.messages:
            if kind == "block":
                block = payload
            elif kind == "found" and first:
                blocks, unbound, nothing = payload
                report.blocks.extend({"target": where, **b} for b in blocks)
                report.skipped.extend(unbound)
                if nothing:
                    report.nothing.append({"target": where, "reason": nothing})
            elif kind == "start":
                pending = payload[0]
            elif kind == "done":
                label, verdict = payload
                judged.add(label)
                pending = None
                if isinstance(verdict, Result):
                    report.results.append(verdict)
                else:
                    report.skipped.append({"target": label, "reason": verdict})
        loaded = any(m[0] == "found" for m in outcome.messages)
        first = first and not loaded
        if outcome.status == "returned" and outcome.value is not None:
            raise DeriveError(outcome.value)  # the target could not be read after all
        if outcome.status == "returned":
            return
        if pending is None and block and not loaded:  # a Markdown block ended the process:
            skip_blocks[block[0]] = _ended(outcome, "running it", settings.timeout)
            continue  # the block is reported as failed, the others run again without it
        if pending is None:  # it ended while loading the target
            report.results.append(Result(where, None, "error",
                                         message=_ended(outcome, "loading it",
                                                        settings.timeout)))
            return
        report.results.append(Result(pending, None, "error",
                                     message=_ended(outcome, "judging it", settings.timeout)))
        judged.add(pending)


def _judge_in_worker(where: str, settings: Settings, skip: frozenset, skip_blocks: dict):
    """In the worker: load, report what was found, judge each candidate not in `skip`.
    Returns None, or the reason the target cannot be read (a usage error)."""
    from derive.verify.binding import candidates, near_misses, nothing_found
    from derive.verify.runner import verify_candidate
    from derive.verify.targets import load_target

    try:
        loaded = load_target(where, skip_blocks)
        found = candidates(loaded)
    except DeriveError as exc:
        return clean(str(exc))
    unbound = [] if found else near_misses(loaded)
    nothing = "" if found or unbound else nothing_found(loaded)
    workers.send(("found", [{k: clean(str(v)) if k == "error" else v for k, v in b.items()}
                            for b in loaded.failed_blocks], _cleaned(unbound), clean(nothing)))
    for candidate in found:
        if candidate.label in skip:
            continue
        workers.send(("start", candidate.label))
        verdict = verify_candidate(candidate, settings.op, settings.seed, settings.strict,
                                   explicit=loaded.name is not None,
                                   derivation=settings.derivation)
        workers.send(("done", candidate.label, _cleaned(verdict)))
    return None


def _cleaned(verdict):
    if isinstance(verdict, Result):
        return clean_result(verdict)
    if isinstance(verdict, list):
        return [{k: clean(v) for k, v in item.items()} for item in verdict]
    return clean(verdict)


def _ended(outcome: workers.Outcome, stage: str, timeout: float) -> str:
    """Why a worker gave no verdict, in a user's words, with the next step."""
    if outcome.status == "timeout":
        return clean(f"{stage} did not finish within {timeout:g} s (the limit of --timeout "
                     f"{timeout:g}): an endless loop, or code that catches every exception or "
                     "ignores signals? Give --timeout SECONDS if it is only slow")
    if outcome.status == "raised":
        return clean(f"{stage} stopped the verifier: {outcome.error}")
    if outcome.status == "killed":
        return clean(f"the process was killed by {outcome.signal} while {stage}, before a "
                     "verdict (a crash in native code, or the code killed itself)")
    return clean(f"the process ended (exit code {outcome.exit_code}) while {stage}, before a "
                 "verdict: the code calls os._exit() or otherwise exits where Python cannot "
                 "catch it")
