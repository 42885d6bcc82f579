"""`derive report OP...|--all|--tutorial|--formula EXPR|--latex TEX [--format pdf|tex|md|html]
[--lang en|zh] [--out DIR] [--name NAME] [--force]`: one step-by-step derivation document per
operator; `--all` adds an index and builds the catalog in one worker process per core
(derive.workers) with a progress bar; `--tutorial` regenerates the seed tutorial's chapter.

All documents of one command appear in --out together or not at all (derive.outputs); a file
derive did not write, or one edited since, is not replaced without --force. A formula's report
is named after the formula (its text and a short hash of the request) or `--name`.
"""

from __future__ import annotations

import os
import re

from derive.commands.inputs import add_formula_arguments

WORKERS = os.cpu_count() or 2  # one worker per core: each derives, then runs its TeX
WORKER_TIMEOUT = 900  # seconds for one operator's derivation and document
# what a report job imports on first use (lambdify's SciPy, SymPy's printers and units)
PRELOADED = ("derive.commands.report_jobs", "derive.cache", "derive.pipeline", "derive.verify",
             "derive.index.derivation", "derive.index.worked", "reports.write",
             "reports.index_report", "reports.graph_values", "reports.verification",
             "scipy.special", "sympy.physics.units", "sympy.combinatorics", "sympy.tensor.tensor")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def add_arguments(parser):
    add_formula_arguments(parser, op_nargs="*")
    parser.add_argument("--all", action="store_true",
                        help="every catalog operator, plus an index document")
    parser.add_argument("--name", metavar="NAME",
                        help="the report's file name for --formula/--latex (default: from the "
                        "formula)")
    parser.add_argument("--format", choices=("pdf", "tex", "md", "html"), default="pdf",
                        help="pdf (default; needs TeX Live), tex, md or html (one self-contained "
                             "page: MathML, SVG)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="the documents' language: en (default) or zh (Chinese, xelatex)")
    parser.add_argument("--tutorial", action="store_true",
                        help="the seed tutorial's chapter regenerated from its formulas")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="folder for the documents (default: the current folder)")
    parser.add_argument("--force", action="store_true",
                        help="replace files derive did not write, or that were edited since")


def run(args) -> int:
    from pathlib import Path

    from derive import catalog
    from derive.errors import DeriveError
    from derive.index import is_index_formula
    from derive.outputs import Outputs

    formula = args.formula is not None or args.latex is not None
    if sum([bool(args.op), args.all, formula, args.tutorial]) != 1:
        raise DeriveError("derive report: give operator names, --all, --tutorial, or one "
                          "--formula/--latex")
    if args.formula is not None and args.latex is not None:
        raise DeriveError("derive report: give either --formula or --latex, not both")
    if args.tutorial:
        return _report_tutorial(args)
    if not formula and (args.shape or args.const or args.name):
        raise DeriveError("--shape, --const and --name apply to --formula or --latex")
    if args.name is not None and not NAME.match(args.name):
        raise DeriveError(f"--name {args.name}: use letters, digits, _, - and . (not first), "
                          "at most 64 characters")
    known = {} if formula else catalog.load()
    ops = list(known) if args.all else list(dict.fromkeys(args.op or ()))
    unknown = [op for op in ops if op not in known]
    if unknown:
        raise DeriveError(f"derive report: unknown operator {', '.join(unknown)} "
                          "(see derive list for the catalog)")
    if args.all:  # index-notation operators where the format has their renderer
        from reports.write import INDEX_NOTATION_FORMATS

        ops = [op for op in ops if args.format in INDEX_NOTATION_FORMATS
               or not is_index_formula(known[op].formula)]
    with Outputs(Path(args.out), args.out, args.force) as outputs:
        if formula:
            written = _report_formula(args, outputs)
        else:
            written = _report_catalog(ops, args, outputs)
    for line in written:
        print(line)
    return 0


def _report_tutorial(args) -> int:
    from pathlib import Path

    from derive.outputs import Outputs
    from reports.tutorial import write_tutorial
    from reports.write import report_file

    with Outputs(Path(args.out), args.out, args.force) as outputs:
        outputs.check([report_file("tutorial", args.format)])
        path = write_tutorial(args.format, outputs.path, args.lang)
        written = outputs.commit([path.name])
    for path in written:
        print(f"wrote {path}")
    return 0


def _report_formula(args, outputs) -> list[str]:
    from derive.commands.inputs import derivation_from_args
    from reports.write import report_file, write_report

    args.op = None
    stem = args.name or formula_stem(args)
    outputs.check([report_file(stem, args.format)])
    derivation = derivation_from_args(args)
    if args.name:
        derivation.name = args.name
    _, path = write_report(derivation, args.format, outputs.path, stem=stem, lang=args.lang)
    return [f"wrote {p}" for p in outputs.commit([path.name])]


def formula_stem(args) -> str:
    """A file name for a formula's report: the formula's letters and a hash of the request, so
    two formulas never share a name and the same one always gets the same."""
    import hashlib
    import json

    text = args.formula if args.formula is not None else args.latex
    request = json.dumps([args.formula, args.latex, args.shape, args.const,
                          bool(getattr(args, "log10", False))])
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40].strip("_") or "formula"
    return f"{slug}-{hashlib.sha256(request.encode()).hexdigest()[:8]}"


def _report_catalog(ops, args, outputs) -> list[str]:
    from reports.write import report_file, write_index

    names = [report_file(op, args.format) for op in ops]
    if args.all:
        names.append(report_file("index", args.format))
    outputs.check(names)
    entries = _build_many(ops, args.format, outputs.path, parallel=args.all, lang=args.lang)
    index = write_index(entries, args.format, outputs.path, args.lang) if args.all else None
    paths = outputs.commit([path.name for _, path in entries] + ([index.name] if index else []))
    lines = [f"wrote {p}" for p in paths]
    if index is not None:
        lines[-1] += f"  (index of {len(entries)} reports)"
    return lines


def _build_many(ops, fmt, folder, parallel: bool, lang: str = "en"):
    """[(Report, path)] in the order of `ops`, built in one worker process per core if asked."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from rich.console import Console
    from rich.progress import Progress

    from derive.commands.report_jobs import catalog_report

    results = {}
    console = Console(stderr=True)
    with Progress(console=console, transient=True,
                  disable=len(ops) < 2 or not console.is_terminal) as progress:
        task = progress.add_task(f"building {len(ops)} {fmt} reports", total=len(ops))
        if not (parallel and len(ops) > 1):
            for op in ops:
                results[op] = catalog_report(op, fmt, str(folder), lang)
                progress.advance(task)
            return [results[op] for op in ops]
        _import_for_workers()
        pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(ops)))
        try:
            futures = {pool.submit(_in_worker, op, fmt, str(folder), lang): op for op in ops}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress.advance(task)
        except BaseException:
            for future in futures:
                future.cancel()
            kill_worker_groups()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [results[op] for op in ops]


def _import_for_workers() -> None:
    """Import what report jobs load on first use once, before the workers fork: each then
    starts with SymPy, SciPy, the engine, the verifier and the renderers loaded (about half a
    second of every job)."""
    import importlib

    for module in PRELOADED:
        importlib.import_module(module)


def _in_worker(op: str, fmt: str, folder: str, lang: str):
    """catalog_report(op, ...) in a worker process of its own (derive.workers)."""
    from derive import workers
    from derive.errors import DeriveError

    outcome = workers.run(_catalog_task, op, fmt, folder, lang, timeout=WORKER_TIMEOUT)
    if outcome.status == "returned":
        kind, *value = outcome.value
        if kind == "oserror":
            raise OSError(*value)
        return value[0]
    error = outcome.error.partition(": ")[2] if outcome.status == "raised" else ""
    raise DeriveError(f"report {op}: {error or outcome.describe(WORKER_TIMEOUT)}")


def _catalog_task(op: str, fmt: str, folder: str, lang: str):
    """In the worker: ("ok", (Report, path)), or ("oserror", errno, strerror, filename) so that
    derive can name the real path of a file it could not write."""
    from derive.commands.report_jobs import catalog_report

    try:
        return ("ok", catalog_report(op, fmt, folder, lang))
    except OSError as exc:
        return ("oserror", exc.errno, exc.strerror, exc.filename)


def kill_worker_groups() -> None:
    """Kill every process group led by a child of derive (each worker leads its own)."""
    import contextlib
    import os
    import signal
    from pathlib import Path

    for children in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for pid in children.read_text().split():
                with contextlib.suppress(OSError):
                    if os.getpgid(int(pid)) == int(pid):
                        os.killpg(int(pid), signal.SIGKILL)
