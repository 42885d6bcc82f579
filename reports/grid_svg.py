"""Small arrays as inline SVG grids, for the worked case of the HTML index reports: one <svg>
per array, a cell per entry holding its number, the array's name above it (plain SVG text:
no script, font or image is fetched). Each grid is small, so a row of them wraps on a phone."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

CELL_HEIGHT = 30  # px
CHAR_WIDTH = 8.5  # px per character of the widest number at the grid's font size
LABEL = 24  # px above the grid for the name
PAD = 2


def grid_svg(name: str, rows: list[list[str]], kind: str = "") -> Markup:
    """`rows` (numbers already written as text) drawn as a grid named `name`; `kind` (such
    as "gradient") is a class the style sheet colours."""
    columns = max(len(row) for row in rows)
    widest = max(len(cell) for row in rows for cell in row)
    cell = max(CELL_HEIGHT, round(widest * CHAR_WIDTH + 10))
    width = max(columns * cell, round(len(name) * CHAR_WIDTH + 8)) + 2 * PAD
    height = LABEL + len(rows) * CELL_HEIGHT + 2 * PAD
    left = (width - columns * cell) / 2
    label = f"{name}: " + "; ".join(" ".join(row) for row in rows)
    parts = [(f'<svg class="grid {escape(kind)}" xmlns="http://www.w3.org/2000/svg" '
              f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
              f'aria-label="{escape(label)}">'),
             f'<text class="name" x="{width / 2:g}" y="{LABEL / 2 + 2:g}">{escape(name)}</text>']
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            x, y = left + j * cell, LABEL + PAD + i * CELL_HEIGHT
            parts.append(f'<rect x="{x:g}" y="{y:g}" width="{cell}" height="{CELL_HEIGHT}"/>'
                         f'<text x="{x + cell / 2:g}" y="{y + CELL_HEIGHT / 2:g}">'
                         f'{escape(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
