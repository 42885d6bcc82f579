"""pytest plugin: `pytest --derive-verify TARGET` adds one test per verified layer.

Registered as the `derive` entry point in the `pytest11` group. It imports nothing heavy until
the option is used, and a TARGET that cannot be loaded becomes one failing test, never a crash
of pytest itself.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("derive", "verify hand-written layers with derive")
    group.addoption("--derive-verify", action="append", default=[], metavar="TARGET",
                    help="verify the layers in TARGET (module, module:Name, file.py, file.md)")
    group.addoption("--derive-seed", type=int, default=0, metavar="N",
                    help="seed for derive's random inputs (default 0)")
    group.addoption("--derive-strict", action="store_true",
                    help="treat derive's warnings as failures")
    group.addoption("--derive-timeout", type=float, default=None, metavar="SECONDS",
                    help="wall-clock limit for each layer (default: derive verify's)")


def pytest_collection_modifyitems(session, config, items):
    targets = config.getoption("--derive-verify", default=[])
    if not targets:
        return
    for target in targets:
        items.append(DeriveItem.from_parent(session, name=f"derive-verify[{target}]",
                                            target=target))


class DeriveItem(pytest.Item):
    """One TARGET; fails with every finding of derive verify."""

    def __init__(self, *, target: str, **kwargs):
        super().__init__(**kwargs)
        self.target = target

    def runtest(self):
        from derive.errors import DeriveError
        from derive.verify import verify
        from derive.verify.session import DEFAULT_TIMEOUT

        config = self.config
        try:
            report = verify([self.target], seed=config.getoption("--derive-seed"),
                            strict=config.getoption("--derive-strict"),
                            timeout=config.getoption("--derive-timeout") or DEFAULT_TIMEOUT)
        except DeriveError as exc:
            raise DeriveVerifyFailure(str(exc)) from None
        lines = [report.nothing_judged()] if not report.results else []
        for result in report.results:
            if result.status != "pass":
                lines.append(f"{result.target} ({result.op}): {result.status} {result.message}")
                lines += [f"  {c.name} ({c.status}): {c.message}" for c in result.checks
                          if c.status != "pass"]
        if lines:
            raise DeriveVerifyFailure("\n".join(lines))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DeriveVerifyFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"derive verify {self.target}"


class DeriveVerifyFailure(Exception):
    """The layers in a TARGET did not pass (the message lists the findings)."""
