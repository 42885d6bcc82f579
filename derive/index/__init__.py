"""Index notation: tensors written entry by entry, their VJPs derived by index calculus.

    xp = pad(x, pad); out[n,f,i,j] = sum(w[f,c,p,q]*xp[n,c,stride*i+p,stride*j+q], c, p, q) + b[f]

The pipeline, one module per stage: `reader` and `expressions` (text → Program of statements,
`program`) → `ranges` (how far each index runs, from the shapes) → `calculus` (each read's VJP:
sympy.diff of the scalar body, the Kronecker delta eliminated by solving the affine index
equations) → `printing` (text and LaTeX) → `views`, `writer`, `codegen` and `backward` (einsum,
sliding windows, strided slice-adds) → `checks` (finite differences at small random sizes) →
`derivation` (the result); `options` reads --shape/--const, `text` prints for the terminal.
"""

from __future__ import annotations

import re

# `name[...] =` at the start of a statement, or `name =` with a tensor read `x[...]` somewhere:
# what tells an index formula from the others (whose named intermediates never use brackets)
_INDEXED_ASSIGNMENT = re.compile(r"(?:^|[;\n])\s*[A-Za-z]\w*\s*\[[^\]]*\]\s*=(?!=)")
_ASSIGNMENT = re.compile(r"(?:^|[;\n])\s*[A-Za-z]\w*\s*=(?!=)")
_READ = re.compile(r"[A-Za-z_]\w*\s*\[")


def is_index_formula(text) -> bool:
    """True for formula text in index notation: `out[i] = ...`, or `loss = sum(x[i], i)`."""
    if not isinstance(text, str):
        return False
    return bool(_INDEXED_ASSIGNMENT.search(text) or
                (_ASSIGNMENT.search(text) and _READ.search(text)))


def derive_index(text, shapes=None, constants=None, name="formula", entry=None):
    """Derive an index formula (derive.index.derivation), or a recurrence over time
    (derive.index.sequence)."""
    from derive.index.derivation import derive_program, read_formula
    from derive.index.sequence import derive_recurrence

    program = read_formula(text, shapes or {}, constants or {}, name, entry)
    if program.states:
        return derive_recurrence(program, name, entry)
    return derive_program(program, name, entry)
