"""The engine's imports point one way: a walk over every import of the package (function-
local ones included) finds no cycle; reports/ only renders (no SymPy calculus)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("derive", "reports")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _imports(path: Path, modules: dict) -> set[str]:
    """The project modules `path` imports anywhere in it (a `from package import module`
    counts as importing that module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{a.name}" for a in node.names
                          if f"{node.module}.{a.name}" in modules]
            # `from package import module` imports that module; other names, the package
            names = submodules + ([node.module] if len(submodules) < len(node.names) else [])
        else:
            continue
        found.update(n for n in names if n in modules)
    return found


def _cycles(graph: dict) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return result


def import_graph() -> dict:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_the_package_imports_form_no_cycle():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_reports_use_no_sympy_calculus():
    for path in (ROOT / "reports").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("diff", "solve"):
                raise AssertionError(f"{path.name}: calls .{node.attr} (reports only render)")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                    "sympy") and {a.name for a in node.names} & {"diff", "solve"}:
                raise AssertionError(f"{path.name}: imports SymPy's diff/solve")


# The engine's layers, lowest first: a module imports only from its own layer or lower ones.
LAYERS = [
    ("derive.errors", "derive.catalog", "derive.vocab", "derive.budget"),
    ("derive.printers",),
    ("derive.simplify",),
    ("derive.primitives",),
    ("derive.read",),
    ("derive.graph",),
    ("derive.sweep",),
    ("derive.codegen",),
    ("derive.sampling",),
    ("derive.selfcheck",),
    ("derive.derivation", "derive.serialize"),
    ("derive.pipeline",),
    ("derive.cache", "derive.cache_format", "derive.srepr_reader", "derive.outputs",
     "derive.layergen", "derive.terminal", "derive.verify", "derive.testing",
     "derive.pytest_plugin"),
    ("reports",),
    ("derive.commands", "derive.cli", "derive.__main__"),
]


def _layer(module: str):
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return None


def test_engine_imports_point_down_the_pipeline():
    upward = sorted(f"{module} -> {imported}" for module, imports in import_graph().items()
                    for imported in imports
                    if None not in (_layer(module), _layer(imported))
                    and _layer(imported) > _layer(module))
    assert upward == []
