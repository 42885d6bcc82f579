"""Command line: `derive list|show|verify|report|new|graph` (the contract in DESIGN.md).

Each command lives in `derive/commands/<name>.py` with `add_arguments(parser)` and `run(args)`;
those modules import SymPy only inside `run`, so `--help` and `list` start fast. Bad input of
any kind ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys

COMMANDS = {
    "list": "list the catalog's operators",
    "show": "derive an operator or a formula: graph, steps, gradients, NumPy code",
    "verify": "check hand-written layers against the derived backward pass",
    "report": "write step-by-step derivation documents (PDF, LaTeX, Markdown)",
    "new": "generate a layer class, report and verification from a formula",
    "graph": "forward and backward values on every node of a scalar expression",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derive", description="Derive, compile, verify and explain the "
                     "backward pass of neural-network layers.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        _command_module(name).add_arguments(command)
    return parser


def _command_module(name: str):
    return importlib.import_module(f"derive.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    from derive.errors import DeriveError

    command = "derive"
    try:
        parser = build_parser()
        args = parser.parse_args(_formulas_as_values(parser, sys.argv[1:] if argv is None
                                                     else list(argv)))
        if args.command is None:
            print(f"derive: give a command ({', '.join(COMMANDS)}); see derive --help",
                  file=sys.stderr)
            return 2
        command = f"derive {args.command}"
        from derive.budget import max_nodes

        with max_nodes(getattr(args, "max_nodes", None)), _terminate_as_interrupt():
            return _command_module(args.command).run(args)
    except (UsageError, DeriveError) as exc:
        print(_one_line(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path the user gave cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        print(_one_line(f"{command}:{where}: {exc.strerror or exc}; check the path"),
              file=sys.stderr)
        return 2
    except (RecursionError, MemoryError) as exc:
        print(f"{command}: input too large or too deeply nested ({type(exc).__name__})",
              file=sys.stderr)
        return 2
    except Exception as exc:  # a bug in derive: still one line, never a traceback
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(_one_line(f"{command}: internal error ({type(exc).__name__}: {exc}); this is a "
                        "bug in derive, please report it (DERIVE_DEBUG=1 shows the traceback)"),
              file=sys.stderr)
        return 2


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM ends derive the way Ctrl-C does: workers killed, staging folders removed."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _formulas_as_values(parser, argv: list[str]) -> list[str]:
    """argv with formulas that start with '-' (`--formula "-sum(t*log(y))"`) kept as values.

    argparse takes any token starting with '-' for an option. A token after an option that
    takes a value is that value unless it is itself an option, so it is joined to it
    (`--formula=-sum(...)`); a stand-alone token that cannot be an option name (it has
    brackets, operators, spaces) is a formula and gets a leading space, which parsing strips.
    """
    options, valued = _option_strings(parser)
    result = []
    for i, token in enumerate(argv):
        if token == "--":
            return result + argv[i:]
        if result and result[-1] in valued and token.startswith("-") and token not in options:
            result[-1] = f"{result[-1]}={token}"
        elif (token.startswith("-") and token not in options
              and re.search(r"[^A-Za-z0-9_=.-]", token.partition("=")[0])):
            result.append(" " + token)
        else:
            result.append(token)
    return result


def _option_strings(parser) -> tuple[set, set]:
    """(every option string, the options that take a value) of the parser and its commands."""
    options, valued = set(), set()
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            options.update(action.option_strings)
            if action.option_strings and isinstance(action, (argparse._StoreAction,
                                                             argparse._AppendAction)):
                valued.update(action.option_strings)
    return options, valued


def _one_line(message: str) -> str:
    text = " ".join(message.split())
    return text if text.startswith("derive") else f"derive: {text}"


if __name__ == "__main__":
    raise SystemExit(main())
