"""Load verify TARGETs into namespaces: `module:Name`, `path/file.py:Name`, a module, a `.py`
file, or a Markdown tutorial (its python code blocks run in order in one namespace).

Anything that cannot be loaded is a DeriveError (exit code 2) raised before any check runs.
"""

from __future__ import annotations

import doctest
import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from derive import workers
from derive.errors import DeriveError
from derive.verify.blame import describe
from derive.verify.limits import quiet, time_limit

OPENING = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^`\n]*)$")
# info strings: python, py, Python3, ipython, {python} (R Markdown), {.python} (pandoc),
# python:common/layers.py (Qiita)
PYTHON_INFO = re.compile(r"^[{.\s]*(i?python3?|py3?)(?![\w+-])", re.IGNORECASE)
DEFINES = re.compile(r"^(class|def)\s", re.MULTILINE)
BLOCK_SECONDS = 10.0
# tutorials come as .md, and as text files such as the seed tutorial (.txt)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mdx", ".qmd", ".rmd", ".txt")
MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)  # IPython magics and shell lines


@dataclass
class Loaded:
    """A loaded target: where names live, which name was asked for, failed Markdown blocks."""

    label: str
    namespace: dict
    module_name: str
    name: str | None = None
    failed_blocks: list[dict] = field(default_factory=list)


def readable_targets(text: str) -> list[str]:
    """The targets TARGET stands for — itself, or each Python file of a folder — checked to be
    readable without running any of its code; DeriveError (exit code 2) when it is not."""
    where, _, name = text.rpartition(":") if _has_name(text) else (text, "", "")
    where = where or text
    path = Path(where)
    folder = path.is_dir() and (os.sep in where or "/" in where
                                or not (path / "__init__.py").is_file())
    if folder:
        if name:
            raise DeriveError(f"verify target '{text}': {path} is a folder, give a file in it "
                              "with ':Name', or the folder alone")
        return [str(p) for p in sorted(path.rglob("*.py")) if not _hidden(p.relative_to(path))]
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES or suffix == ".ipynb":
        if name:
            raise DeriveError(f"verify target '{text}': a Markdown file or notebook is verified "
                              "as a whole, drop the ':Name'")
        source = _read(path, text, "notebook" if suffix == ".ipynb" else "Markdown file")
        if suffix == ".ipynb" and not notebook_cells(source, text):
            raise DeriveError(f"verify target '{text}': {path} has no code cells, give a "
                              "notebook with code, a .py file or a module")
        if suffix != ".ipynb" and not python_blocks(source):
            raise DeriveError(f"verify target '{text}': {path} has no Python code blocks "
                              "(```python fences), give a tutorial with code, a .py file or a "
                              "module")
    elif path.suffix == ".py" or os.sep in where or "/" in where:
        source = _read(path, text, "Python file")
        try:
            compile(source, str(path), "exec")
        except (SyntaxError, ValueError) as exc:
            line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
            raise DeriveError(f"verify target '{text}': {path} is not valid Python{line}: "
                              f"{getattr(exc, 'msg', exc)}; fix it or give another file") from None
    return [text]


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "__pycache__")) or part in ("site-packages", "node_modules")
               for part in relative.parts)


def load_target(text: str, skip_blocks: dict | None = None) -> Loaded:
    """Load one TARGET string; DeriveError naming the target when that is impossible.
    `skip_blocks` maps the numbers of Markdown/notebook blocks not to run to the reason."""
    where, _, name = text.rpartition(":") if _has_name(text) else (text, "", "")
    where = where or text
    path = Path(where)
    if path.suffix.lower() in MARKDOWN_SUFFIXES or path.suffix.lower() == ".ipynb":
        if name:
            raise DeriveError(f"verify target '{text}': a Markdown file or notebook is verified "
                              "as a whole, drop the ':Name'")
        if path.suffix.lower() == ".ipynb":
            return _load_notebook(path, text, skip_blocks or {})
        return _load_markdown(path, text, skip_blocks or {})
    if path.suffix == ".py" or os.sep in where or "/" in where:
        loaded = _load_file(path, text)
    else:
        loaded = _load_module(where, text)
    if name:
        if name not in loaded.namespace and f"{name}_forward" not in loaded.namespace:
            raise DeriveError(f"verify target '{text}': no name '{name}' in {where}, "
                              "check the spelling (names are case-sensitive)")
        loaded.name = name
        loaded.label = text
    return loaded


def _has_name(text: str) -> bool:
    head, sep, tail = text.rpartition(":")
    return bool(sep) and bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tail)) and len(head) > 1


def _load_module(name: str, text: str) -> Loaded:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        with quiet():
            module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not name.startswith(exc.name):
            raise DeriveError(f"verify target '{text}': {describe(exc, 'importing it')}, "
                              "fix the module first") from None
        raise DeriveError(f"verify target '{text}': no module named '{exc.name}', give a module "
                          "importable from here, a .py file or a .md file") from None
    except BaseException as exc:  # noqa: BLE001  (sys.exit() at import is the module's error)
        raise DeriveError(f"verify target '{text}': {describe(exc, 'importing it')}, fix the "
                          "module first") from None
    return Loaded(text, _module_namespace(module), module.__name__)


def _module_namespace(module) -> dict:
    namespace = dict(vars(module))
    if hasattr(module, "__path__"):  # a package: its submodules' names count too
        for sub in list(sys.modules.values()):
            if getattr(sub, "__name__", "").startswith(module.__name__ + "."):
                for key, value in vars(sub).items():
                    namespace.setdefault(key, value)
    return namespace


def _load_file(path: Path, text: str) -> Loaded:
    if path.is_dir():
        raise DeriveError(f"verify target '{text}': {path} is a directory, give a module name, "
                          "a .py file or a .md file")
    if not path.is_file():
        raise DeriveError(f"verify target '{text}': file {path} does not exist, check the path")
    dotted = _package_module(path)
    if dotted is not None:  # a file inside a package: import it as such (relative imports work)
        return _load_module(dotted, text)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    module_name = f"derive_verify_{_identifier(path.stem)}_{digest}"
    # any file name is Python here (a script without .py too): load it as source
    loader = importlib.machinery.SourceFileLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with quiet(), time_limit(BLOCK_SECONDS):
            spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001  (sys.exit() at import is the file's error)
        raise DeriveError(f"verify target '{text}': {describe(exc, f'running {path}')}, fix "
                          "the file first") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return Loaded(str(path), vars(module), module_name)


def _package_module(path: Path) -> str | None:
    """`pkg.sub.mod` for a file in a package below the current directory, else None."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return None
    parts = relative.with_suffix("").parts
    if len(parts) < 2 or not all((Path.cwd() / Path(*parts[:i]) / "__init__.py").is_file()
                                 for i in range(1, len(parts))):
        return None
    return ".".join(parts)


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text)


def python_blocks(markdown: str) -> list[tuple[int, str]]:
    """(line number, dedented code) of every python code block, in order.

    A fence without a language counts when its code compiles and defines a class or function
    (tutorials often leave the language off); fences of any other language never do."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    blocks, i = [], 0
    while i < len(lines):
        opening = OPENING.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2).strip()
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
        code = _session_source(textwrap.dedent("\n".join(lines[i + 1:end]) + "\n"))
        if PYTHON_INFO.match(info) or (not info and _plain_python(code)):
            blocks.append((i + 2, code))
        i = end + 1
    return blocks


def _session_source(code: str) -> str:
    """The code typed in an interactive session (`>>> ` and `... ` lines), without its output;
    other code as it is."""
    if not code.lstrip().startswith(">>>"):
        return code
    try:
        examples = doctest.DocTestParser().get_examples(code)
    except ValueError:  # a prompt without its space: leave it to fail as written
        return code
    return "".join(example.source for example in examples)


def _plain_python(code: str) -> bool:
    if not DEFINES.search(code):
        return False
    try:
        compile(code, "<markdown>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _read(path: Path, text: str, what: str) -> str:
    if not path.is_file():
        raise DeriveError(f"verify target '{text}': file {path} does not exist, check the path")
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark is not text
    except (OSError, UnicodeDecodeError) as exc:
        raise DeriveError(f"verify target '{text}': cannot read {path} ({exc}), "
                          f"give a UTF-8 {what}") from None


def _load_markdown(path: Path, text: str, skip: dict) -> Loaded:
    blocks = python_blocks(_read(path, text, "Markdown file"))
    if not blocks:
        raise DeriveError(f"verify target '{text}': {path} has no Python code blocks (```python "
                          "fences), give a tutorial with code, a .py file or a module")
    return _run_blocks(path, blocks, skip)


def notebook_cells(source: str, where: str) -> list[tuple[int, str]]:
    """(cell number, code) of every code cell of a Jupyter notebook, magics blanked out."""
    try:
        cells = json.loads(source)["cells"]
        codes = [(number, c["source"]) for number, c in enumerate(cells, start=1)
                 if c.get("cell_type") == "code"]
        codes = [(n, "".join(code) if isinstance(code, list) else code) for n, code in codes]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DeriveError(f"verify target '{where}': not a Jupyter notebook (no list of cells), "
                          "give an .ipynb file saved by Jupyter") from None
    return [(number, MAGIC.sub("# ", code)) for number, code in codes if isinstance(code, str)]


def _load_notebook(path: Path, text: str, skip: dict) -> Loaded:
    cells = notebook_cells(_read(path, text, "notebook"), text)
    if not cells:
        raise DeriveError(f"verify target '{text}': {path} has no code cells, give a notebook "
                          "with code, a .py file or a module")
    return _run_blocks(path, [(1, code) for _, code in cells], skip)


def _run_blocks(path: Path, blocks: list[tuple[int, str]], skip: dict) -> Loaded:
    """Run code blocks in order in one namespace (numpy imported); failures are recorded,
    and the blocks in `skip` (number → why) are recorded as failed without running."""
    module_name = f"derive_markdown_{_identifier(path.stem)}"
    namespace = {"__name__": module_name, "np": np, "numpy": np}
    failed = []
    for number, (line, code) in enumerate(blocks, start=1):
        if number in skip:
            failed.append({"block": number, "line": line, "error": skip[number]})
            continue
        workers.send(("block", number, line))  # a block that ends the process is named
        try:
            # leading newlines make tracebacks give the line number in the Markdown file
            compiled = compile("\n" * (line - 1) + code, str(path), "exec")
            with quiet(), time_limit(BLOCK_SECONDS):
                exec(compiled, namespace)  # noqa: S102  (the user asked to run this file's code)
        except BaseException as exc:  # noqa: BLE001  (sys.exit() in a block ends only the block)
            failed.append({"block": number, "line": line,
                           "error": describe(exc, "it").removeprefix("it raised ")})
    return Loaded(str(path), namespace, module_name, failed_blocks=failed)
