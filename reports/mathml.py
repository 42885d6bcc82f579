"""LaTeX math (the `_tex` fields of the model, the templates' prose) as MathML for the HTML
documents, through latex2mathml: the browser lays the maths out itself, with no script, font
or style sheet fetched.

The LaTeX here is what derive's printers and templates write (never user text: symbol names
beyond identifiers arrive through `\\text{...}`, which latex2mathml escapes), so only the few
commands latex2mathml reads differently from TeX are rewritten first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

from latex2mathml.converter import convert
from markupsafe import Markup

# commands latex2mathml does not know, or reads differently, as the ones it reads the same way
REWRITES = (
    (re.compile(r"\\(?:displaystyle|fitmath)\b"), ""),
    (re.compile(r"\\tag\*\{.*\}$"), ""),
)
# latex2mathml writes \mathrm{d} as a bare <mi>, which browsers set in italics
ROMAN_D = ("<mi>&#x00064;</mi>", '<mi mathvariant="normal">d</mi>')
# and \mathrel{+}= (an index report's "adds to") as a relation nested in an operator
PLUS_EQUALS = ("<mo><mrow><mo>&#x0002B;</mo></mrow></mo><mo>&#x0003D;</mo>", "<mo>+=</mo>")
NS = "http://www.w3.org/1998/Math/MathML"
TALL = {f"{{{NS}}}{tag}" for tag in ("mfrac", "mtable", "munder", "munderover", "msqrt",
                                      "mroot", "menclose")}
MO = f"{{{NS}}}mo"
SIGNS = ("−", "+", "-")
CLOSING = (")", "]", "|", "}", "⌋", "⌉")
ET.register_namespace("", NS)

STYLES = {"textbf": "strong", "emph": "em", "texttt": "code"}


def math_ml(tex: str, display: bool = False) -> Markup:
    """`tex` as a <math> element (block-level when `display`)."""
    source = str(tex)
    for pattern, replacement in REWRITES:
        source = pattern.sub(replacement, source)
    if not source.strip():
        return Markup("")
    try:
        element = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises bare exceptions of many kinds
        raise ValueError(f"cannot write as MathML: {tex!r} ({exc})") from exc
    return Markup(_tidy(element.replace(*ROMAN_D).replace(*PLUS_EQUALS)))


def _tidy(element: str) -> str:
    """Two things browsers set differently from TeX: a stretchy bracket around a single
    line gets gaps on both sides (so \\left( … \\right) around nothing tall is a plain
    bracket), and a sign after an opening bracket or an operator, (−1), is spaced as a binary
    minus unless marked as a prefix."""
    if "stretchy" not in element and "<mo>&#x02212;</mo>" not in element \
            and "<mo>−</mo>" not in element and "<mo>&#x0002B;</mo>" not in element:
        return element
    root = ET.fromstring(element)
    for row in root.iter():
        fences = [c for c in row if c.tag == MO and c.get("fence") == "true"]
        if fences and not any(e.tag in TALL for c in row for e in c.iter()):
            for fence in fences:
                fence.set("stretchy", "false")
        previous = None
        for child in row:
            if child.tag == MO and child.text in SIGNS and (
                    previous is None or (previous.tag == MO and previous.text not in CLOSING)):
                child.set("form", "prefix")
            previous = child
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def prose_html(tex_text: str) -> Markup:
    """The templates' own prose (LaTeX text with inline $math$, written in
    templates/text/<lang>.toml, never user text) as HTML."""
    marked = str(tex_text)
    for command, tag in STYLES.items():  # \textbf{$1/x$}: the markup may hold maths
        marked = re.sub(rf"\\{command}\{{((?:[^{{}}]|\{{[^{{}}]*\}})*)\}}",
                        lambda m, tag=tag: f"\x01{tag}\x02{m.group(1)}\x01/{tag}\x02", marked)
    parts = re.split(r"(?<!\\)\$(.+?)(?<!\\)\$", marked)
    html = []
    for i, part in enumerate(parts):
        if i % 2:
            html.append(str(math_ml(part)))
            continue
        text = escape(part, quote=False)
        text = text.replace(r"\textquoteright{}", "’").replace(r"\ ", " ").replace("--", "–")
        html.append(text)
    return Markup("".join(html).replace("\x01", "<").replace("\x02", ">"))
