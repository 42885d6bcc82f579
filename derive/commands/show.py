"""`derive show OP | --formula EXPR | --latex TEX [--shape ..] [--const ..] [--json]`."""

from __future__ import annotations

import json

from derive.commands.inputs import add_formula_arguments, derivation_from_args


def add_arguments(parser):
    add_formula_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    derivation = derivation_from_args(args)
    if args.json:
        print(json.dumps(derivation.to_json(), indent=2, ensure_ascii=False))
        return 0
    if hasattr(derivation, "program"):  # an index-notation derivation
        from derive.index.text import print_index_derivation

        print_index_derivation(derivation)
        return 0
    from derive.terminal import print_derivation

    print_derivation(derivation)
    return 0
