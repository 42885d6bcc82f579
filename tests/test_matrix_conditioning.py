"""Checks of formulas that invert a matrix or take its determinant: sampled values keep the
inverted matrix well-conditioned (and its determinant positive under a log), so a right
gradient passes the finite-difference check at 1e-6 (near-singular X.T @ X used to fail it)."""

import numpy as np
import pytest
from matrix_helpers import derived, max_fd_error

from derive.sampling import MAX_CONDITION

CASES = {
    "det(X.T @ X)": (("X", ("n", "m")),),
    "log(det(X.T @ X))": (("X", ("n", "m")),),
    "trace(inv(X.T @ X))": (("X", ("n", "m")),),
    "inv(A @ B)": (("A", ("n", "m")), ("B", ("m", "n"))),
    "log(det(A @ B))": (("A", ("n", "m")), ("B", ("m", "n"))),
    "det(A @ B)": (("A", ("n", "m")), ("B", ("m", "n"))),
}
ARGUMENTS = {  # the matrix each formula inverts, from the sampled values
    "det(X.T @ X)": lambda v: v["X"].T @ v["X"],
    "log(det(X.T @ X))": lambda v: v["X"].T @ v["X"],
    "trace(inv(X.T @ X))": lambda v: v["X"].T @ v["X"],
    "inv(A @ B)": lambda v: v["A"] @ v["B"],
    "log(det(A @ B))": lambda v: v["A"] @ v["B"],
    "det(A @ B)": lambda v: v["A"] @ v["B"],
}


@pytest.mark.parametrize("formula", list(CASES))
def test_formulas_that_invert_a_product_derive_and_pass(formula):
    derivation = derived(formula=formula, shapes=CASES[formula])
    assert [c.name for c in derivation.checks] == ["explicit_matrices", "finite_difference"]
    errors = [max_fd_error(derivation, np.random.default_rng(seed)) for seed in range(3)]
    print(f"\n{formula}: max relative errors {', '.join(f'{e:.1e}' for e in errors)}")
    assert max(errors) < 1e-6


@pytest.mark.parametrize("formula", list(CASES))
def test_the_inverted_matrix_is_well_conditioned_in_every_sample(formula):
    derivation = derived(formula=formula, shapes=CASES[formula])
    rng = np.random.default_rng(11)
    for _ in range(20):
        matrix = ARGUMENTS[formula](derivation.sample(rng))
        assert np.linalg.cond(matrix) < MAX_CONDITION
        if formula.startswith("log"):
            assert np.linalg.det(matrix) > 0


def test_a_determinant_is_forced_positive_only_under_a_log():
    derivation = derived(formula="det(A @ B)", shapes=CASES["det(A @ B)"])
    rng = np.random.default_rng(2)
    signs = {np.sign(np.linalg.det(ARGUMENTS["det(A @ B)"](derivation.sample(rng))))
             for _ in range(40)}
    assert signs == {-1.0, 1.0}


def test_the_explicit_check_uses_sizes_at_which_the_product_can_be_invertible():
    # A @ B with A 3×2 and B 2×3 has rank 2: singular at any values
    derivation = derived(formula="inv(A @ B)", shapes=CASES["inv(A @ B)"])
    detail = derivation.checks[0].detail
    assert "m=2, n=2" in detail or "m=3, n=3" in detail


def test_square_matrices_that_are_not_inverted_are_drawn_freely():
    derivation = derived(formula="trace(A @ X)", shapes=(("A", ("n", "n")), ("X", ("n", "n"))))
    rng = np.random.default_rng(0)
    off_diagonal = max(np.abs(v - np.diag(np.diag(v))).max()
                       for v in (derivation.sample(rng)["A"] for _ in range(5)))
    assert off_diagonal > 1.0
