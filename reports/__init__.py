"""Reports: derivations as step-by-step documents (LaTeX, Markdown, PDF) with drawn graphs.

Architecture (like pdoc): `model` gathers a Derivation into plain data; `render` (LaTeX) and
`markdown` turn that data into documents through the Jinja2 templates in `templates/`;
`build` compiles LaTeX into PDF in a separate, sandboxed step; `write` ties them together.
"""

from reports.model import Report, build_report

__all__ = ["Report", "build_report"]
