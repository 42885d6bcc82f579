"""User catalogs: operators declared in the user's own TOML file, in catalog.toml's format.

`--catalog FILE` names the file; without it, the first pyproject.toml found from the working
directory upward may name one or more with `[tool.derive] catalog = "ops.toml"` (relative to
that pyproject.toml). Each entry is checked before any command sees it: its keys and their
types, its name, its formula (read by derive's own reader with its shapes) and its inputs. A
malformed entry, or a name, layer or alias that a built-in already has, is refused with the
file, the line and the reason. `append_entry` writes one entry (`derive new --add-to FILE`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from derive import catalog
from derive.errors import DeriveError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
STRINGS = ("inputs", "constants", "conventions", "assumptions", "aliases", "related",
           "identities", "conventions_zh", "assumptions_zh")
TEXT = ("formula", "layer", "description", "description_zh")
TABLES = ("shapes", "domain")
KEYS = ("formula", "inputs", "constants", "shapes", "domain", "layer", "aliases",
        "description", "conventions", "assumptions", "related", "identities",
        "description_zh", "conventions_zh", "assumptions_zh")


def use(paths: list[Path]) -> None:
    """Make every command see the entries of `paths` beside the built-ins."""
    entries: dict = {}
    for path in paths:
        entries.update(read_user_catalog(Path(path), {**catalog.builtin(), **entries}))
    catalog.USER_ENTRIES.clear()
    catalog.USER_ENTRIES.update(entries)
    catalog.load.cache_clear()


def discover(given: list[str] | None, start: Path | None = None) -> list[Path]:
    """The user's catalog files: `--catalog` values, else pyproject.toml's [tool.derive]."""
    if given:
        return [Path(p) for p in given]
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return _from_pyproject(pyproject)
    return []


def _from_pyproject(pyproject: Path) -> list[Path]:
    text = _read(pyproject)
    try:
        tool = tomllib.loads(text).get("tool", {}).get("derive", {})
    except tomllib.TOMLDecodeError as exc:
        raise DeriveError(f"{pyproject}:{_toml_line(exc)}: not valid TOML ({_reason(exc)})") from None
    value = tool.get("catalog") if isinstance(tool, dict) else None
    if value is None:
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DeriveError(f"{pyproject}:{_line_of(text, 'catalog')}: [tool.derive] catalog "
                          "must be a file name or a list of file names")
    return [pyproject.parent / n for n in names]


def read_user_catalog(path: Path, known: dict) -> dict:
    """The checked entries of the user's catalog at `path`; DeriveError naming the file,
    line and reason for the first entry that is malformed or clashes with `known`."""
    text = _read(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeriveError(f"{path}:{_toml_line(exc)}: not valid TOML ({_reason(exc)})") from None
    builtin = catalog.builtin()
    taken = {_key(n): n for n in builtin}
    for entry in builtin.values():
        for other in (entry.layer, *entry.aliases):
            if other:
                taken.setdefault(_key(other), entry.name)
    for name, item in raw.items():
        _check(path, text, name, item, taken, known)
    entries = catalog.entries_of(raw)
    for name, entry in entries.items():
        _check_formula(path, text, entry)
    return entries


def _check(path, text, name, item, taken, known) -> None:
    line = _header_line(text, name)

    def fail(reason, key=None):
        at = _line_of(text, key, line) if key else line
        raise DeriveError(f"{path}:{at}: operator '{name}': {reason}")

    if not isinstance(item, dict):
        fail("give a table [NAME] with formula = ... and inputs = [...]")
    if not NAME.match(name):
        fail("a name is a letter, then letters, digits and _")
    if name in catalog.builtin():
        fail("clashes with the built-in operator of that name; choose another name")
    if name in known:
        fail("is already declared in another user catalog")
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        fail(f"unknown key '{unknown[0]}' (known keys: {', '.join(KEYS)})", unknown[0])
    for key in ("formula", "inputs"):
        if key not in item:
            fail(f"'{key}' is missing")
    for key in TEXT:
        if key in item and not isinstance(item[key], str):
            fail(f"'{key}' must be a string", key)
    for key in STRINGS:
        if key in item and not (isinstance(item[key], list)
                                and all(isinstance(v, str) for v in item[key])):
            fail(f"'{key}' must be a list of strings", key)
    for key in TABLES:
        if key in item and not (isinstance(item[key], dict) and all(
                isinstance(v, list) for v in item[key].values())):
            fail(f"'{key}' must be a table NAME = [...]", key)
    for low_high in item.get("domain", {}).values():
        if (len(low_high) != 2 or not all(isinstance(v, (int, float)) for v in low_high)
                or not low_high[0] < low_high[1]):
            fail("each domain is [low, high] with numbers low < high", "domain")
    for other in (item.get("layer"), *item.get("aliases", ())):
        if other and _key(other) in taken:
            fail(f"layer name '{other}' already binds the built-in operator "
                 f"'{taken[_key(other)]}'", "layer" if other == item.get("layer") else "aliases")


def _check_formula(path, text, entry) -> None:
    from derive.index import is_index_formula
    from derive.read.formula import parse_formula

    line = _header_line(text, entry.name)
    where = f"{path}:{_line_of(text, 'formula', line)}: operator '{entry.name}'"
    if is_index_formula(entry.formula):
        return  # read by the index-notation reader when derived
    try:
        names = parse_formula(entry.formula, entry.shapes, where=where).names
    except DeriveError as exc:
        raise DeriveError(str(exc)) from None
    missing = [n for n in entry.inputs if n not in names]
    if missing:
        raise DeriveError(f"{path}:{_line_of(text, 'inputs', line)}: operator '{entry.name}': "
                          f"input '{missing[0]}' does not occur in its formula")
    extra = [n for n in names if n not in entry.inputs and n not in entry.constants]
    if extra:
        raise DeriveError(f"{path}:{_line_of(text, 'inputs', line)}: operator '{entry.name}': "
                          f"'{extra[0]}' occurs in the formula but is neither an input nor a "
                          "constant")


def append_entry(path: Path, entry: dict) -> None:
    """Append the table `entry` (with `name`) to the user's catalog `path`, creating it;
    DeriveError if the name clashes with a built-in or with an entry already there."""
    name = entry["name"]
    if name in catalog.builtin():
        raise DeriveError(f"--add-to {path}: '{name}' clashes with the built-in operator of "
                          "that name; choose another name")
    text = _read(path) if path.exists() else ""
    if text:
        existing = read_user_catalog(path, catalog.builtin())
        if name in existing:
            raise DeriveError(f"--add-to {path}:{_header_line(text, name)}: an operator "
                              f"'{name}' is already declared there")
    lines = [f"[{name}]"]
    for key in KEYS:
        value = entry.get(key)
        if value:
            lines.append(f"{key} = {_toml_value(value)}")
    block = "\n".join(lines) + "\n"
    separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    from reports.build import write_atomic

    write_atomic(path, (text + separator + block).encode("utf-8"))


def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeriveError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise DeriveError(f"{path}: cannot read the catalog ({exc.strerror or exc})") from None


def _key(name: str) -> str:
    return name.lower().removesuffix("layer")


def _reason(exc) -> str:
    return re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))


def _toml_line(exc) -> int:
    found = re.search(r"at line (\d+)", str(exc))
    return int(found.group(1)) if found else 1


def _header_line(text: str, name: str) -> int:
    pattern = re.compile(rf"^\s*\[\s*(\"{re.escape(name)}\"|'{re.escape(name)}'|"
                         rf"{re.escape(name)})\s*\]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return 1


def _line_of(text: str, key: str, start: int = 1) -> int:
    """The line of `key = ...` at or after line `start` (before the next table), else start."""
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and line.lstrip().startswith("["):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return start
