"""`derive report OP...|--all|--formula EXPR|--latex TEX [--format pdf|tex|md] [--out DIR]`:
one step-by-step derivation document per operator; `--all` adds an index and builds the
catalog in parallel (two processes) with a progress bar."""

from __future__ import annotations

from derive.commands.inputs import add_formula_arguments

WORKERS = 2


def add_arguments(parser):
    add_formula_arguments(parser, op_nargs="*")
    parser.add_argument("--all", action="store_true",
                        help="every catalog operator, plus an index document")
    parser.add_argument("--name", metavar="NAME", help="the report's name for --formula/--latex")
    parser.add_argument("--format", choices=("pdf", "tex", "md"), default="pdf",
                        help="pdf (default; needs TeX Live), tex or md")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="folder for the documents (default: the current folder)")


def run(args) -> int:
    from pathlib import Path

    from derive import catalog
    from derive.errors import DeriveError

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise DeriveError(f"--out {args.out}: not a folder; give a folder for the documents")
    formula = args.formula is not None or args.latex is not None
    if sum([bool(args.op), args.all, formula]) != 1:
        raise DeriveError("derive report: give operator names, --all, or one --formula/--latex")
    if args.formula is not None and args.latex is not None:
        raise DeriveError("derive report: give either --formula or --latex, not both")
    if formula:
        return _report_formula(args, out)
    if args.shape or args.const or args.name:
        raise DeriveError("--shape, --const and --name apply to --formula or --latex")
    from derive.index import is_index_formula

    known = catalog.load()
    ops = list(known) if args.all else list(dict.fromkeys(args.op))
    unknown = [op for op in ops if op not in known]
    if unknown:
        raise DeriveError(f"derive report: unknown operator {', '.join(unknown)} "
                          "(see derive list for the catalog)")
    indexed = [op for op in ops if is_index_formula(known[op].formula)]
    if indexed and not args.all:
        raise DeriveError(f"derive report: {indexed[0]} is in index notation, for which reports "
                          f"are not written yet; derive show {indexed[0]} gives its derivation")
    ops = [op for op in ops if op not in indexed]
    entries = _build_many(ops, args.format, out, parallel=args.all)
    for _, path in entries:
        print(f"wrote {path}")
    if args.all:
        from reports.write import write_index

        print(f"wrote {write_index(entries, args.format, out)}  (index of {len(entries)} reports)")
    return 0


def _report_formula(args, out) -> int:
    from derive.commands.inputs import derivation_from_args
    from reports.write import write_report

    args.op = None
    derivation = derivation_from_args(args)
    if hasattr(derivation, "program"):
        from derive.errors import DeriveError

        raise DeriveError("derive report: reports for index-notation formulas are not written "
                          "yet; derive show --formula gives the derivation")
    if args.name:
        derivation.name = args.name
    _, path = write_report(derivation, args.format, out)
    print(f"wrote {path}")
    return 0


def _build_many(ops, fmt, out, parallel: bool):
    """[(Report, path)] in the order of `ops`, built in a pool of two processes if asked."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from rich.console import Console
    from rich.progress import Progress

    from derive.commands.report_jobs import catalog_report

    results = {}
    with Progress(console=Console(stderr=True), transient=True,
                  disable=len(ops) < 2) as progress:
        task = progress.add_task(f"building {len(ops)} {fmt} reports", total=len(ops))
        if parallel and len(ops) > 1:
            with ProcessPoolExecutor(max_workers=WORKERS) as pool:
                futures = {pool.submit(catalog_report, op, fmt, str(out)): op for op in ops}
                try:
                    for future in as_completed(futures):
                        results[futures[future]] = future.result()
                        progress.advance(task)
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        else:
            for op in ops:
                results[op] = catalog_report(op, fmt, str(out))
                progress.advance(task)
    return [results[op] for op in ops]
