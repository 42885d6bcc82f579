"""Rich display in Jupyter for derive's results: a Derivation, a verification report, a graph
at a point. A result only says which formats it offers (`RichDisplay`); the renderer lives
in reports/ (reports.notebook) and is installed by the package's façade (derive/__init__.py),
so that nothing in the engine imports the reports.
"""

from __future__ import annotations

_renderer = None


def install(renderer) -> None:
    """Use `renderer(obj, mime) -> str | None` for every rich display."""
    global _renderer
    _renderer = renderer


def rich(obj, mime: str) -> str | None:
    """`obj` as `mime`, or None (IPython then shows the plain text) when no renderer is
    installed or it has no such view."""
    return None if _renderer is None else _renderer(obj, mime)


class RichDisplay:
    """The methods IPython looks for; each asks the installed renderer."""

    def _repr_html_(self):
        return rich(self, "text/html")

    def _repr_latex_(self):
        return rich(self, "text/latex")

    def _repr_markdown_(self):
        return rich(self, "text/markdown")
