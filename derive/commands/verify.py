"""`derive verify TARGET... [--op NAME] [--json] [--seed N] [--strict]`: check hand-written layers.

Exit code 0 when nothing failed, 1 when something failed or errored, 2 for a usage error.
"""

from __future__ import annotations

import json
import secrets
import shlex


def add_arguments(parser):
    parser.add_argument("targets", nargs="+", metavar="TARGET",
                        help="module:Name, path/file.py:Name, a module, a .py file or a .md file")
    parser.add_argument("--op", metavar="NAME", help="verify against this catalog operator")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, metavar="N",
                        help="seed for the random inputs (default: a fresh one, printed)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (such as a mutated dout) as failures")


def rerun_command(args, seed: int) -> str:
    parts = ["derive", "verify", *args.targets]
    if args.op:
        parts += ["--op", args.op]
    parts += ["--seed", str(seed)] + (["--strict"] if args.strict else [])
    return shlex.join(parts)


def run(args) -> int:
    from derive.verify import verify

    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    report = verify(args.targets, op=args.op, seed=seed, strict=args.strict)
    report.rerun = rerun_command(args, seed)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=float))
    else:
        from derive.verify.display import print_report

        print_report(report)
    return 0 if report.ok else 1
