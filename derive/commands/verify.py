"""`derive verify TARGET... [--op NAME | --formula EXPR | --latex TEX [--shape NAME=D1,D2]
[--const NAME]] [--json] [--seed N] [--strict] [--timeout SECONDS]`: check hand-written layers.

Exit code 0 when at least one layer was judged and none failed; 1 when something failed or
errored, or nothing could be judged; 2 for a usage error or a target that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex


def _seed(text: str) -> int:
    """A non-negative integer (NumPy's generators take no negative seed)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a non-negative integer, "
                                         "give a seed such as --seed 42")
    return value


def _timeout(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number of seconds, "
                                         "give a limit such as --timeout 60")
    return value


def add_arguments(parser):
    parser.add_argument("targets", nargs="+", metavar="TARGET",
                        help="module:Name, path/file.py:Name, a module, a .py file, a Markdown "
                        "tutorial (.md, .txt) or a notebook (.ipynb)")
    parser.add_argument("--op", metavar="NAME", help="verify against this catalog operator")
    parser.add_argument("--formula", metavar="EXPR",
                        help="verify every target against this formula (SymPy/NumPy syntax)")
    parser.add_argument("--latex", metavar="TEX",
                        help="verify every target against this LaTeX formula")
    parser.add_argument("--log10", action="store_true",
                        help="read \\log in --latex as the base-10 logarithm (default: natural)")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=D1,D2",
                        help="with --formula/--latex: NAME is a matrix of shape D1×D2")
    parser.add_argument("--const", action="append", default=[], metavar="NAME",
                        help="with --formula/--latex: a name that is not differentiated")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=_seed, metavar="N",
                        help="seed for the random inputs (default: a fresh one, printed)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (such as a mutated dout) as failures")
    parser.add_argument("--timeout", type=_timeout, metavar="SECONDS",
                        help="wall-clock limit for loading a target and for judging each layer "
                        "(default 60)")


def rerun_command(args, seed: int) -> str:
    parts = ["derive", "verify", *args.targets]
    for path in getattr(args, "catalog", None) or []:
        parts += ["--catalog", path]
    if args.op:
        parts += ["--op", args.op]
    for option in ("formula", "latex"):
        if getattr(args, option, None) is not None:
            parts += [f"--{option}", getattr(args, option)]
    parts += ["--log10"] if getattr(args, "log10", False) else []
    for option in ("shape", "const"):
        for value in getattr(args, option, []):
            parts += [f"--{option}", value]
    parts += ["--seed", str(seed)] + (["--strict"] if args.strict else [])
    if getattr(args, "timeout", None) is not None:
        parts += ["--timeout", f"{args.timeout:g}"]
    return shlex.join(parts)


def typed_derivation(args):
    """The derivation of --formula / --latex (None without them); DeriveError for a misuse."""
    from derive.commands.inputs import derivation_from_args
    from derive.errors import DeriveError

    if args.formula is None and args.latex is None:
        if args.shape or args.const or args.log10:
            raise DeriveError("--shape, --const and --log10 apply to --formula or --latex, "
                              "give one of them (or drop these options)")
        return None
    if args.formula is not None and args.latex is not None:
        raise DeriveError("--formula and --latex both give the formula, give only one")
    if args.op is not None:
        raise DeriveError(f"--op {args.op} and a typed formula both bind the targets, "
                          "give --op or --formula/--latex, not both")
    return derivation_from_args(argparse.Namespace(
        op=None, formula=args.formula, latex=args.latex, shape=args.shape, const=args.const,
        log10=args.log10))


def run(args) -> int:
    from derive.verify import verify
    from derive.verify.session import DEFAULT_TIMEOUT

    derivation = typed_derivation(args)
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    report = verify(args.targets, op=args.op, seed=seed, strict=args.strict,
                    derivation=derivation, timeout=args.timeout or DEFAULT_TIMEOUT)
    report.rerun = rerun_command(args, seed)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=float))
    else:
        from derive.verify.display import print_report

        print_report(report)
    return 0 if report.ok else 1
