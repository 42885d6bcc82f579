"""`derive new NAME (--formula EXPR | --latex TEX) [--shape ..] [--const ..] [--param ..]
[--out DIR] [--format pdf|tex|md] [--seed N]`: write a generated layer class `NAME.py`, its
report and its verification result `NAME.verify.json`.

Everything is built in a staging folder beside --out and moved in only when all of it is there
(derive.outputs), so a failure leaves the folder as it was; a file derive did not write, or one
edited since, is not replaced without --force. A layer that fails its own verification is not
written at all (exit code 1), or with --keep as NAME.failed.*. Exit code 0 when the generated
layer passes the verifier, 1 when it does not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import keyword
import re
import shlex
import sys
from pathlib import Path

from derive.commands.inputs import add_formula_arguments

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
SHADOWED = {"numpy", "scipy", "derive", "reports", "layers"} | set(sys.stdlib_module_names)


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
    parser.add_argument("--force", action="store_true",
                        help="replace files derive did not write, or that were edited since")
    parser.add_argument("--keep", action="store_true",
                        help="write a layer that fails its verification, as NAME.failed.*")
    parser.add_argument("--add-to", metavar="FILE", dest="add_to",
                        help="append the operator to the user catalog FILE (created if missing) "
                        "once its layer passes verification")


def run(args) -> int:
    import json

    from derive.errors import DeriveError
    from derive.layergen import class_name
    from derive.outputs import Outputs

    check_name(args.name, Path(args.out))
    if args.add_to:
        check_catalog_name(args.name, Path(args.add_to))
    if (args.formula is None) == (args.latex is None):
        raise DeriveError("derive new: give exactly one of --formula EXPR or --latex TEX")
    out = Path(args.out)
    cls = class_name(args.name)
    with Outputs(out, args.out, args.force) as outputs:
        outputs.check(file_names(args.name, args.format, failed=args.keep))
        derivation = _derive(args)
        layer, report, verification = _build(derivation, args, cls, outputs.path)
        passed = verified(verification)
        stem = args.name if passed else f"{args.name}.failed"
        verification.rerun = rerun_command(args)
        for result in verification.results:  # name the file where it will be, not the staging copy
            result.target = f"{out / stem}.py:{cls}"
        (outputs.path / f"{stem}.verify.json").write_text(
            json.dumps(verification.to_json(), indent=2, ensure_ascii=False, default=float) + "\n",
            encoding="utf-8")
        written = []
        if passed or args.keep:
            names = file_names(args.name, args.format, failed=not passed)
            for staged, name in zip((layer, report), names):
                staged.rename(outputs.path / name)
            written = outputs.commit(names)
    for path in written:
        print(f"wrote {path}")
    print(summary_line(cls, derivation, verification))
    if not (passed or args.keep):
        print(f"no files written: the generated layer failed its own verification (--keep "
              f"writes them as {args.name}.failed.*)")
    if passed and args.add_to:
        add_to_catalog(Path(args.add_to), derivation, args, cls)
        print(f"added {args.name} to {args.add_to}")
    return 0 if passed else 1


def file_names(name: str, fmt: str, failed: bool = False) -> list[str]:
    """The layer, its report and its verification result (NAME.failed.* when it failed)."""
    stem = f"{name}.failed" if failed else name
    return [f"{stem}.py", f"{stem}.{fmt}", f"{stem}.verify.json"]


def check_catalog_name(name: str, path) -> None:
    """Refuse early a NAME that the built-ins or the user's catalog `path` already have."""
    from derive import catalog
    from derive.errors import DeriveError

    if name in catalog.load():
        where = "built-in operator" if name in catalog.builtin() else "operator in the catalog"
        raise DeriveError(f"derive new --add-to {path}: '{name}' is already a {where}; "
                          "choose another name")
    if path.exists():
        from derive.usercatalog import read_user_catalog

        if name in read_user_catalog(path, catalog.builtin()):
            raise DeriveError(f"derive new --add-to {path}: '{name}' is already declared "
                              "there; choose another name")


def add_to_catalog(path, derivation, args, cls) -> None:
    """Append the operator's catalog entry to the user's catalog `path`."""
    from derive.layergen import formula_text
    from derive.usercatalog import append_entry

    append_entry(path, {
        "name": args.name, "formula": formula_text(derivation),
        "inputs": list(derivation.inputs), "constants": list(derivation.constants),
        "shapes": {k: [str(d) for d in v] for k, v in derivation.shapes.items()},
        "layer": cls, "description": f"added by: {rerun_command(args)}"})


def verified(verification) -> bool:
    """True when the generated class was verified and nothing failed."""
    return bool(verification.results) and verification.ok


def check_name(name: str, out=None) -> None:
    """Refuse a NAME that cannot name both a file `NAME.py` and a class, or whose file would
    hide an installed module (rich.py in a folder breaks `import rich` there)."""
    from derive.errors import DeriveError
    from derive.layergen import class_name

    if not NAME.match(name):
        raise DeriveError(f"derive new NAME '{name}': use a letter, then letters, digits and _ "
                          "(at most 64 characters), such as mish or leaky_relu2")
    if keyword.iskeyword(class_name(name)) or keyword.iskeyword(name) or shadows_module(name,
                                                                                       out):
        raise DeriveError(f"derive new NAME '{name}': {name}.py or class {class_name(name)} "
                          "would clash with Python or an installed module of that name, pick "
                          "another name")


def shadows_module(name: str, out=None) -> bool:
    """True if `import NAME` finds a module other than a file in the current folder or --out."""
    import importlib.util
    import os
    from pathlib import Path

    if name in SHADOWED or name in sys.builtin_module_names:
        return True
    mine = {Path.cwd().resolve(), *([Path(out).resolve()] if out is not None else [])}
    saved = sys.path[:]
    sys.path[:] = [p for p in saved if p not in ("", ".")
                   and Path(os.path.abspath(p)).resolve() not in mine]
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return True
    finally:
        sys.path[:] = saved


def _derive(args):
    """The derivation of --formula/--latex (an index formula reads its own --shape/--const)."""
    from derive.commands.inputs import derivation_from_args
    from derive.errors import DeriveError

    derivation = derivation_from_args(argparse.Namespace(
        op=None, formula=args.formula, latex=args.latex, shape=args.shape, const=args.const,
        log10=args.log10, name=args.name))
    if len(getattr(derivation, "outputs", ())) > 1:
        raise DeriveError(f"derive new: the formula has several outputs "
                          f"({', '.join(derivation.outputs)}); a generated layer class has one")
    return derivation


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
