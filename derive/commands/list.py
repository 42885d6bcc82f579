"""`derive list [--json]`: the catalog's operators."""

from __future__ import annotations

import json


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    from derive import catalog

    entries = catalog.load()
    if args.json:
        print(json.dumps({"operators": [
            {"name": e.name, "formula": e.formula, "inputs": list(e.inputs),
             "constants": list(e.constants), "shapes": {k: list(v) for k, v in e.shapes.items()},
             "layer": e.layer, "description": e.description}
            for e in entries.values()]}, indent=2, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="derive catalog")
    table.add_column("operator", no_wrap=True)  # whole names, so `derive list | grep` finds them
    for column in ("formula", "inputs", "layer"):
        table.add_column(column)
    for e in entries.values():
        inputs = ", ".join(e.inputs) + (f" (const {', '.join(e.constants)})" if e.constants else "")
        table.add_row(e.name, e.formula, inputs, e.layer or "")
    Console().print(table)
    return 0
