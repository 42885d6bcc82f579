"""Small arrays as inline SVG grids, for the worked case of the HTML index reports: one <svg>
per array, a cell per entry holding its number, the array's name above it (plain SVG text:
no script, font or image is fetched; colours and fonts are the SVG's own attributes, the
gradients in the red of the graphs). Each grid is small, so a row of them wraps on a phone."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

CELL_HEIGHT = 30  # px
CHAR_WIDTH = 8.5  # px per character of the widest number at the grid's font size
LABEL = 24  # px above the grid for the name
PAD = 2
RED = "#a32020"  # the colour of gradients in the graphs (style.css.j2)
RED_KINDS = ("upstream", "gradients")


def grid_svg(name: str, rows: list[list[str]], kind: str = "") -> Markup:
    """`rows` (numbers already written as text) drawn as a grid named `name`; `kind` is its
    group in the worked case (inputs, forward, upstream, gradients: the last two in red)."""
    columns = max(len(row) for row in rows)
    widest = max(len(cell) for row in rows for cell in row)
    cell = max(CELL_HEIGHT, round(widest * CHAR_WIDTH + 10))
    width = max(columns * cell, round(len(name) * CHAR_WIDTH + 8)) + 2 * PAD
    height = LABEL + len(rows) * CELL_HEIGHT + 2 * PAD
    left = (width - columns * cell) / 2
    label = f"{name}: " + "; ".join(" ".join(row) for row in rows)
    colour = RED if kind in RED_KINDS else "#1a1a1a"
    parts = [(f'<svg class="grid {escape(kind)}" xmlns="http://www.w3.org/2000/svg" '
              f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
              f'aria-label="{escape(label)}" text-anchor="middle" dominant-baseline="central">'),
             (f'<text x="{width / 2:g}" y="{LABEL / 2 + 2:g}" font-size="15" font-style="italic" '
              f'fill="{colour}">{escape(name)}</text>'),
             ('<g fill="#fff" stroke="#999">' + "".join(
                 f'<rect x="{left + j * cell:g}" y="{LABEL + PAD + i * CELL_HEIGHT:g}" '
                 f'width="{cell}" height="{CELL_HEIGHT}"/>'
                 for i, row in enumerate(rows) for j in range(len(row))) + "</g>"),
             (f'<g font-size="14" font-family="DejaVu Sans Mono, monospace" '
              f'fill="{colour if kind == "gradients" else "#1a1a1a"}">')]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            x, y = left + j * cell + cell / 2, LABEL + PAD + i * CELL_HEIGHT + CELL_HEIGHT / 2
            parts.append(f'<text x="{x:g}" y="{y:g}">{escape(value)}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))
