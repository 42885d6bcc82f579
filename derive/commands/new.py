"""`derive new NAME (--formula EXPR | --latex TEX) [--shape ..] [--const ..] [--param ..]
[--out DIR] [--format pdf|tex|md] [--seed N]`: write a generated layer class `NAME.py`, its
report and its verification result `NAME.verify.json`.

Everything is built in a temporary folder first and moved into --out only when all of it is
there, so a failure leaves no file behind. Exit code 0 when the generated layer passes the
verifier, 1 when it does not, 2 for bad input.
"""

from __future__ import annotations

import keyword
import re
import shlex
import sys

from derive.commands.inputs import add_formula_arguments

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
SHADOWED = {"numpy", "scipy"} | set(sys.stdlib_module_names)


def add_arguments(parser):
    parser.add_argument("name", metavar="NAME",
                        help="the layer's name: letters, digits and _ (mish → Mish in mish.py)")
    add_formula_arguments(parser, with_op=False)
    parser.add_argument("--param", action="append", default=[], metavar="NAME",
                        help="pass NAME to __init__ (such as W, b); its gradient goes to self.dNAME")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="folder for the three files (default: the current folder)")
    parser.add_argument("--format", choices=("pdf", "tex", "md"), default="pdf",
                        help="the report's format: pdf (default; needs TeX Live), tex or md")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="seed for the verifier's random inputs (default 0)")


def run(args) -> int:
    import json
    import tempfile
    from pathlib import Path

    from derive.commands.inputs import parse_shapes
    from derive.errors import DeriveError
    from derive.layergen import class_name

    check_name(args.name)
    if (args.formula is None) == (args.latex is None):
        raise DeriveError("derive new: give exactly one of --formula EXPR or --latex TEX")
    from derive.index import is_index_formula

    if is_index_formula(args.formula):
        raise DeriveError("derive new: layers from index-notation formulas are not generated "
                          "yet; derive show --formula gives the derivation and its code")
    out = Path(args.out)
    check_out(out, args.out)
    shapes = parse_shapes(args.shape)
    derivation = _derive(args, shapes)
    cls = class_name(args.name)
    with tempfile.TemporaryDirectory(prefix="derive-new-") as staging:
        staging = Path(staging)
        layer, report, verification = _build(derivation, args, cls, staging)
        verification.rerun = rerun_command(args)
        for result in verification.results:  # name the file where it will be, not the staging copy
            result.target = f"{out / args.name}.py:{cls}"
        (staging / f"{args.name}.verify.json").write_text(
            json.dumps(verification.to_json(), indent=2, ensure_ascii=False, default=float) + "\n",
            encoding="utf-8")
        files = [layer, report, staging / f"{args.name}.verify.json"]
        written = move_all(files, out, args.out)
    for path in written:
        print(f"wrote {path}")
    print(summary_line(cls, derivation, verification))
    return 0 if verified(verification) else 1


def verified(verification) -> bool:
    """True when the generated class was verified and nothing failed."""
    return bool(verification.results) and verification.ok


def check_name(name: str) -> None:
    """Refuse a NAME that cannot name both a file `NAME.py` and a class."""
    from derive.errors import DeriveError
    from derive.layergen import class_name

    if not NAME.match(name):
        raise DeriveError(f"derive new NAME '{name}': use a letter, then letters, digits and _ "
                          "(at most 64 characters), such as mish or leaky_relu2")
    if keyword.iskeyword(class_name(name)) or name in SHADOWED:
        raise DeriveError(f"derive new NAME '{name}': {name}.py or class {class_name(name)} "
                          "would clash with Python or a module the layer imports, pick another "
                          "name")


def check_out(out, given: str) -> None:
    """Fail early when --out cannot become a writable folder."""
    import os

    from derive.errors import DeriveError

    if out.exists() and not out.is_dir():
        raise DeriveError(f"--out {given}: not a folder, give a folder for the generated files")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise DeriveError(f"--out {given}: {existing} is not a writable folder, give a folder "
                          "you can write to")


def _derive(args, shapes):
    from derive.cache import cached_derive

    extra = {"log_base": 10} if args.log10 else {}
    return cached_derive(formula=args.formula, latex=args.latex, shapes=shapes,
                         constants=tuple(args.const), name=args.name, **extra)


def _build(derivation, args, cls, staging) -> tuple:
    """Write the layer and its report into `staging`: (layer path, report path, verification)."""
    from derive.layergen import layer_source
    from derive.verify import verify
    from reports.verification import verification_rows
    from reports.write import write_report

    layer = staging / f"{args.name}.py"
    source = layer_source(derivation, args.name, tuple(args.param), formula=args.formula)
    layer.write_text(source, encoding="utf-8")
    verification = verify([f"{layer}:{cls}"], seed=args.seed, derivation=derivation)
    _, report = write_report(derivation, args.format, staging,
                             verification=verification_rows(verification))
    return layer, report, verification


def move_all(files, out, given: str) -> list:
    """Move every staged file into `out` (each atomically); on failure take back what moved."""
    from pathlib import Path

    from derive.errors import DeriveError
    from reports.build import write_atomic

    created = [p for p in [out, *out.parents] if not p.exists()]
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path in files:
            written.append(write_atomic(out / Path(path).name, Path(path).read_bytes()))
    except BaseException as exc:  # an interrupt, too, must not leave some of the files
        for path in written:
            path.unlink(missing_ok=True)
        for folder in created:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise DeriveError(f"--out {given}: cannot write there ({exc.strerror or exc}), "
                              "give a folder you can write to") from None
        raise
    return written


def rerun_command(args) -> str:
    parts = ["derive", "new", args.name]
    parts += ["--formula", args.formula] if args.formula is not None else ["--latex", args.latex]
    parts += ["--log10"] if args.log10 else []
    for option in ("shape", "const", "param"):
        for value in getattr(args, option):
            parts += [f"--{option}", value]
    parts += ["--seed", str(args.seed)]
    return shlex.join(parts)


def summary_line(cls: str, derivation, verification) -> str:
    checks = [c for r in verification.results for c in r.checks]
    passed = sum(c.status == "pass" for c in checks)
    if verified(verification):
        return (f"{cls}: verified against {derivation.text} — {passed} of {len(checks)} "
                f"checks passed (seed {verification.seed})")
    bad = [f"{c.name} ({c.status})" for c in checks if c.status not in ("pass", "warn")]
    messages = [r.message for r in verification.results if r.message]
    return (f"{cls}: verification FAILED against {derivation.text}: "
            f"{', '.join(bad) or '; '.join(messages)} (seed {verification.seed})")
