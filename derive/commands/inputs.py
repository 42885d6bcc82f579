"""Options shared by the commands that take a formula: OP | --formula | --latex, --shape, --const."""

from __future__ import annotations

from derive.errors import DeriveError
from derive.read.shapes import parse_shapes


def add_formula_arguments(parser, op_nargs="?", with_op: bool = True):
    """OP (unless with_op is False), --formula, --latex, --log10, --shape and --const."""
    if with_op:
        parser.add_argument("op", nargs=op_nargs, metavar="OP",
                            help="a catalog operator (see derive list)")
    parser.add_argument("--formula", metavar="EXPR", help="a formula in SymPy/NumPy syntax")
    parser.add_argument("--latex", metavar="TEX", help="a formula in LaTeX (\\log is natural log)")
    parser.add_argument("--log10", action="store_true",
                        help="read \\log in --latex as the base-10 logarithm (default: natural)")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=D1,D2",
                        help="declare NAME a matrix of shape D1×D2 (numbers or symbols)")
    parser.add_argument("--const", action="append", default=[], metavar="NAME",
                        help="a name that is not differentiated (such as targets t)")
    add_budget_argument(parser)


def add_budget_argument(parser):
    """--max-nodes N: the expression budget of derive.budget."""
    parser.add_argument("--max-nodes", type=int, metavar="N",
                        help="the largest expression derived, in nodes (default 20000, or "
                        "DERIVE_MAX_NODES)")


def derivation_from_args(args):
    """Run the derivation the options ask for (from the cache when it is there)."""
    from derive.cache import cached_derive

    given = [x for x in (args.op, args.formula, args.latex) if x is not None]
    if len(given) != 1:
        raise DeriveError("give exactly one of OP, --formula EXPR or --latex TEX")
    from derive.index import is_index_formula
    from derive.read.latex.index import is_index_latex

    name = {"name": args.name} if getattr(args, "name", None) else {}
    extra = {"log_base": 10} if getattr(args, "log10", False) else {}
    if is_index_formula(args.formula) or is_index_latex(args.latex):
        # index notation reads its own --shape/--const
        return cached_derive(formula=args.formula, latex=args.latex, shapes=args.shape,
                             constants=tuple(args.const), **name, **extra)
    shapes = parse_shapes(args.shape)
    if args.op is not None and (shapes or args.const):
        raise DeriveError("--shape and --const apply to --formula or --latex, not to a catalog OP")
    return cached_derive(op=args.op, formula=args.formula, latex=args.latex, shapes=shapes,
                         constants=tuple(args.const), **extra, **name)
