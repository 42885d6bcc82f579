"""Where the user's code went wrong, in their terms: an exception's text (even one whose
`__str__` raises), the innermost line in the user's own file (not inside NumPy or derive), and a
hint when the code uses NumPy API that NumPy 2 removed."""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback

from derive.workers import exception_text

# NumPy 1 names removed in NumPy 2 (NEP 52 and the 2.x expirations) and what replaces them
REMOVED_IN_NUMPY2 = {
    "product": "np.prod", "cumproduct": "np.cumprod", "sometrue": "np.any",
    "alltrue": "np.all", "asfarray": "np.asarray(x, dtype=float)", "float_": "np.float64",
    "complex_": "np.complex128", "cfloat": "np.complex128", "singlecomplex": "np.complex64",
    "longfloat": "np.longdouble", "longcomplex": "np.clongdouble",
    "clongfloat": "np.clongdouble", "unicode_": "np.str_", "string_": "np.bytes_",
    "NaN": "np.nan", "NAN": "np.nan", "Inf": "np.inf", "Infinity": "np.inf", "infty": "np.inf",
    "PINF": "np.inf", "NINF": "-np.inf", "PZERO": "0.0", "NZERO": "-0.0", "round_": "np.round",
    "msort": "np.sort(x, axis=0)", "trapz": "np.trapezoid", "row_stack": "np.vstack",
    "in1d": "np.isin", "find_common_type": "np.result_type", "mat": "np.asmatrix",
    "issubclass_": "issubclass", "safe_eval": "ast.literal_eval", "cast": "x.astype(dtype)",
    "source": "inspect.getsource", "issctype": "isinstance(x, np.generic)",
}
_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib",
                                                        "platlib")})
_DERIVE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _is_users(filename: str) -> bool:
    if filename.startswith("<") or not filename:
        return False
    path = os.path.abspath(filename)
    return not path.startswith(_LIBRARIES) and not path.startswith(_DERIVE + os.sep)


def user_line(exc: BaseException) -> str:
    """' at file:line' of the innermost frame in the user's code ('' when there is none)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if _is_users(f.filename)]
    frame = mine[-1] if mine else (frames[-1] if frames else None)
    return f" at {frame.filename}:{frame.lineno}" if frame is not None else ""


def numpy2_hint(exc: BaseException) -> str:
    """'; np.X was removed in NumPy 2: use Y' for an AttributeError on numpy, else ''."""
    if not isinstance(exc, AttributeError):
        return ""
    name = getattr(exc, "name", None)
    numpy = sys.modules.get("numpy")
    module = getattr(exc, "obj", None)
    removed = "removed in the NumPy 2.0 release" in exception_text(exc)
    if name in REMOVED_IN_NUMPY2 and (module is numpy or module is None):
        return (f"; np.{name} was removed in NumPy 2 (the code was written for NumPy 1): "
                f"use {REMOVED_IN_NUMPY2[name]}")
    if removed:
        return "; this NumPy function was removed in NumPy 2 (the code was written for NumPy 1)"
    return ""


def describe(exc: BaseException, what: str) -> str:
    """'{what} raised Type: message at file:line[; hint]'."""
    text = f"{what} raised {exception_text(exc)}{user_line(exc)}{numpy2_hint(exc)}"
    if isinstance(exc, SystemExit):
        text += " (sys.exit() or exit() ends the whole program: raise an exception instead)"
    return text


__all__ = ["describe", "exception_text", "numpy2_hint", "user_line"]
