"""The optional numexpr backend (derive.codegen.fused) gives the NumPy backward's numbers."""

import sys

import numpy as np
import pytest

from derive import catalog, derive
from derive.errors import DeriveError
from derive.codegen.fused import NotFusable

pytest.importorskip("numexpr")

ELEMENTWISE = [name for name, entry in catalog.load().items() if not entry.shapes]


def _pair(name):
    d = derive(name)
    try:
        return d, d.functions()[1], d.functions(backend="numexpr")[1]
    except NotFusable as exc:  # refused by name (gelu's erf): the NumPy backward is the one
        assert "numexpr has no" in str(exc)
        return d, None, None


def _assert_same(reference: dict, fused: dict):
    assert fused.keys() == reference.keys()
    for key, expected in reference.items():
        assert fused[key].dtype == expected.dtype
        np.testing.assert_allclose(fused[key], expected, rtol=1e-12, atol=1e-300,
                                   equal_nan=True, err_msg=f"gradient for {key}")


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numexpr_backward_equals_numpy_backward(name):
    d, numpy_backward, fused_backward = _pair(name)
    if fused_backward is None:
        return
    forward = d.functions()[0]
    rng = np.random.default_rng(7)
    values = d.sample(rng, entries=(4, 6))
    out = forward(**values)
    dout = rng.standard_normal(np.shape(out)) if np.ndim(out) else 1.0
    _assert_same(numpy_backward(dout, **values), fused_backward(dout, **values))
    if d.saved_names:  # the output and the values forward keeps (a mask, x - t)
        saved = d.saved_values(values)
        assert set(saved) == set(d.saved_names)
        _assert_same(numpy_backward(dout, **values, **saved),
                     fused_backward(dout, **values, **saved))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numexpr_backward_has_no_overflow_where_numpy_has_none(name):
    d, numpy_backward, fused_backward = _pair(name)
    if fused_backward is None:
        return
    x = np.array([-1000.0, -30.0, 0.5, 30.0, 1000.0])
    values = {n: np.clip(x, *d.domains[n]) if n in d.constants else x for n in d.params}
    with np.errstate(all="ignore"):
        reference = numpy_backward(np.ones(5), **values)
    _assert_same(reference, fused_backward(np.ones(5), **values))


def test_numexpr_backward_keeps_float32():
    d = derive("sigmoid")
    x = np.linspace(-3, 3, 8, dtype=np.float32)
    grads = d.functions(backend="numexpr")[1](np.ones(8, np.float32), x=x)
    assert grads["x"].dtype == np.float32


def test_a_function_numexpr_lacks_is_named():
    d = derive(formula="erf(x) * x")
    with pytest.raises(NotFusable, match="numexpr has no 'erf'"):
        d.functions(backend="numexpr")


def test_matrix_operators_are_refused_by_the_numexpr_backend():
    with pytest.raises(NotFusable, match="elementwise"):
        derive("affine").functions(backend="numexpr")


def test_unknown_backend_and_missing_numexpr_are_clear_errors(monkeypatch):
    d = derive("tanh")
    with pytest.raises(DeriveError, match="unknown backend 'numba'"):
        d.functions(backend="numba")
    monkeypatch.setitem(sys.modules, "numexpr", None)
    with pytest.raises(DeriveError, match=r"pip install 'derive\[fused\]'"):
        d.functions(backend="numexpr")
