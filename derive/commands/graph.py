"""`derive graph EXPR --at NAME=VALUE,... [--format text|pdf|tex] [--out DIR]`: the tutorial's
supermarket figure for any scalar formula — forward value on every arrow, backward under it."""

from __future__ import annotations

import math

from derive.commands.inputs import add_budget_argument
from derive.errors import DeriveError

FORMATS = ("text", "json", "pdf", "tex", "md")


def add_arguments(parser):
    parser.add_argument("expr", metavar="EXPR", help="a scalar formula in SymPy/NumPy syntax")
    parser.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                        help="the value of every name in EXPR, such as --at x=2.6,n=10")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text: a table in the terminal (default); json: the same numbers "
                        "as one JSON object; tex or pdf: a drawn graph; md: Markdown with a Mermaid "
                        "chart")
    parser.add_argument("--json", action="store_const", const="json", dest="format",
                        help="same as --format json")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="folder for graph.tex / graph.pdf (default: the current folder)")
    parser.add_argument("--force", action="store_true",
                        help="replace a graph file derive did not write, or that was edited")
    add_budget_argument(parser)


def run(args) -> int:
    from derive.cache import cached_derive
    from derive.numbers import graph_numbers
    from reports.graph_values import graph_values

    if not args.at:
        raise DeriveError("derive graph: --at NAME=VALUE,... is needed, with a value for every "
                          "name in the formula")
    derivation = cached_derive(formula=args.expr)
    point = parse_point(args.at, derivation.params)
    values = graph_values(derivation, graph_numbers(derivation, point))
    if args.format == "text":
        _print_table(values)
        return 0
    if args.format == "json":
        _print_json(values, derivation, point)
        return 0
    from pathlib import Path

    from derive.outputs import Outputs
    from reports.write import report_file, write_graph

    with Outputs(Path(args.out), args.out, args.force) as outputs:
        outputs.check([report_file("graph", args.format)])
        (path,) = outputs.commit([write_graph(values, args.format, outputs.path).name])
    print(f"wrote {path}")
    return 0


def _print_table(values) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    point = ", ".join(f"{n}={v}" for n, v in values.point)
    table = Table(title=escape(f"{values.typed}   at {point}"))
    table.add_column("arrow")
    table.add_column("forward (above the arrow)", justify="right")
    table.add_column("backward (below the arrow)", justify="right", style="red")
    for arrow in values.arrows:
        table.add_row(escape(f"{arrow.source} → {arrow.target}"), arrow.forward,
                      arrow.backward or "—")
    console.print(table)
    console.print(f"output = {values.output}")
    console.print("gradients of the output (dout = 1):")
    for name, _, value in values.gradients:
        console.print(escape(f"  d/d{name} = {value}"))


def _print_json(values, derivation, point: dict) -> None:
    """The numbers at full precision from the compiled code; the arrows as in the table."""
    import json

    point = {name: float(point[name]) for name in derivation.params}
    forward, backward = derivation.functions()
    gradients = backward(1.0, **point)
    print(json.dumps({
        "formula": values.typed,
        "at": point,
        "output": float(forward(**point)),
        "gradients": {name: float(gradients[name]) for name in derivation.inputs},
        "arrows": [{"from": a.source, "to": a.target, "forward": a.forward,
                    "backward": a.backward or None} for a in values.arrows],
    }, indent=2, ensure_ascii=False))


def parse_point(items: list[str], names: list[str]) -> dict[str, float]:
    """--at NAME=VALUE,... (one or more options) as {name: float}; every name needs a value."""
    point: dict[str, float] = {}
    for item in ",".join(items).split(","):
        if not item.strip():
            continue
        name, sep, text = (p.strip() for p in item.partition("="))
        try:
            value = float(text) if sep and name else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DeriveError(f"derive graph --at {item.strip()}: expected NAME=VALUE with a "
                              "finite number, such as x=2.5")
        if name not in names:
            raise DeriveError(f"derive graph --at {name}: '{name}' does not occur in the formula "
                              f"(its names: {', '.join(names)})")
        point[name] = value
    missing = [n for n in names if n not in point]
    if missing:
        raise DeriveError(f"derive graph --at: no value for {', '.join(missing)}; give every "
                          f"name a value, such as --at {','.join(f'{n}=1' for n in names)}")
    return point
