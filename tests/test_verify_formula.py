"""Binding layers to a typed formula: a class's own `formula` attribute (as `derive new` writes
it, or written by hand) and `derive verify --formula / --latex` for every target."""

import json
import textwrap

import pytest

from derive.cli import main

SWISH = """\
    import numpy as np

    class {name}:
    {attributes}
        def forward(self, x):
            self.x, self.s = x, 1 / (1 + np.exp(-x))
            return x * self.s

        def backward(self, dout):
            return dout * (self.s + self.x * self.s * (1 - self.s))
    """


def swish_file(tmp_path, attributes="", name="Swish"):
    path = tmp_path / f"{name.lower()}_layer.py"
    body = textwrap.indent(textwrap.dedent(attributes), "    ")
    path.write_text(textwrap.dedent(SWISH).format(name=name, attributes=body))
    return path


def run_json(capsys, *argv):
    code = main(["verify", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def test_a_generated_layer_is_verified_against_its_own_formula(capsys, tmp_path):
    out = tmp_path / "n"
    assert main(["new", "mish", "--formula", "x*tanh(softplus(x))", "--out", str(out),
                 "--format", "md"]) == 0
    capsys.readouterr()
    code, data, _ = run_json(capsys, str(out / "mish.py"), "--seed", "5")
    assert code == 0
    (result,) = data["results"]
    assert result["target"].endswith(":Mish") and result["status"] == "pass"
    assert result["message"] == "verified against its formula attribute x*tanh(softplus(x))"
    assert data["summary"]["skipped"] == []  # the module's private _forward/_backward are no pair


def test_a_generated_matrix_layer_with_parameters_is_verified_against_its_shapes(capsys, tmp_path):
    out = tmp_path / "n"
    assert main(["new", "dense", "--formula", "W@x+b", "--shape", "W=n,m", "--shape", "x=m,1",
                 "--shape", "b=n,1", "--param", "W", "--param", "b", "--out", str(out),
                 "--format", "md"]) == 0
    capsys.readouterr()
    code, data, _ = run_json(capsys, str(out / "dense.py"), "--seed", "1")
    (result,) = data["results"]
    assert code == 0 and result["status"] == "pass"
    assert {c["name"] for c in result["checks"]} >= {"backward", "param_gradients"}


def test_a_hand_written_class_declares_its_formula_with_constants(capsys, tmp_path):
    path = tmp_path / "loss.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np

        class SquaredError:
            formula = "sum((y - t)**2)"
            constants = ("t",)

            def forward(self, y, t):
                self.diff = y - t
                return np.sum(self.diff ** 2)

            def backward(self, dout=1):
                return 2 * dout * self.diff
        """))
    code, data, _ = run_json(capsys, str(path), "--seed", "2")
    assert code == 0 and data["results"][0]["status"] == "pass"


def test_the_formula_attribute_wins_over_a_name_and_a_wrong_one_fails(capsys, tmp_path):
    # named like the catalog's sigmoid, but it declares (and implements) swish
    code, data, _ = run_json(capsys, str(swish_file(tmp_path, 'formula = "x*sigmoid(x)"',
                                                    name="Sigmoid")), "--seed", "3")
    assert code == 0 and data["results"][0]["op"] == "formula"
    code, data, _ = run_json(capsys, str(swish_file(tmp_path, 'formula = "x*tanh(x)"')),
                             "--seed", "3")
    checks = {c["name"]: c["status"] for c in data["results"][0]["checks"]}
    assert code == 1 and checks["forward"] == "fail" and checks["backward"] == "fail"


def test_op_attribute_and_op_option_come_before_the_formula_attribute(capsys, tmp_path):
    both = swish_file(tmp_path, 'op = "sigmoid"\nformula = "x*sigmoid(x)"')
    code, data, _ = run_json(capsys, str(both), "--seed", "1")
    assert code == 1 and data["results"][0]["op"] == "sigmoid"
    declared = swish_file(tmp_path, 'formula = "x*sigmoid(x)"', name="Other")
    code, data, _ = run_json(capsys, str(declared), "--op", "tanh", "--seed", "1")
    assert code == 1 and data["results"][0]["op"] == "tanh"


@pytest.mark.parametrize("attributes, words", [
    ("formula = 3", "its formula attribute is 3, give a formula in derive's syntax"),
    ('formula = "x*"', "its formula attribute x* could not be derived: formula: syntax error"),
    ('formula = "x"\nshapes = {"x": (0, 1)}', "its shapes attribute maps 'x' to (0, 1)"),
    ('formula = "x*t"\nconstants = "t"', "its constants attribute is 't', give a tuple"),
])
def test_a_malformed_declaration_is_an_error_naming_the_attribute(capsys, tmp_path, attributes,
                                                                  words):
    code, data, _ = run_json(capsys, str(swish_file(tmp_path, attributes)), "--seed", "1")
    (result,) = data["results"]
    assert code == 1 and result["status"] == "error" and words in result["message"]


def test_formula_option_binds_every_target(capsys, tmp_path):
    first = swish_file(tmp_path, name="Swish")
    second = swish_file(tmp_path, name="SiLU")
    code, data, _ = run_json(capsys, str(first), str(second), "--formula", "x*sigmoid(x)",
                             "--seed", "4")
    assert code == 0 and [r["status"] for r in data["results"]] == ["pass", "pass"]
    assert "--formula 'x*sigmoid(x)' --seed 4" in data["summary"]["rerun"]
    code, data, _ = run_json(capsys, str(first), "--latex", r"x \tanh(x)", "--seed", "4")
    assert code == 1 and data["results"][0]["status"] == "fail"


def test_formula_option_takes_shapes(capsys):
    code, data, _ = run_json(capsys, "layers:Affine", "--formula", "W@X+b", "--shape", "W=n,m",
                             "--shape", "X=m,k", "--shape", "b=n,1", "--seed", "2")
    assert code == 0 and data["results"][0]["status"] == "pass"


@pytest.mark.parametrize("argv, words", [
    (["--formula", "x", "--op", "relu"], "--op relu and a typed formula both bind the targets"),
    (["--formula", "x", "--latex", "x"], "--formula and --latex both give the formula"),
    (["--shape", "x=3,1"], "--shape, --const and --log10 apply to --formula or --latex"),
    (["--formula", "x", "--shape", "x=3,1,2"], "--shape x=3,1,2: expected NAME=D1,D2"),
    (["--formula", "x**"], "formula: syntax error"),
])
def test_bad_formula_options_are_one_line_usage_errors(capsys, argv, words):
    code = main(["verify", "layers:Sigmoid", *argv])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert words in captured.err and captured.err.count("\n") == 1


def test_assert_layer_correct_uses_the_formula_attribute(tmp_path):
    import importlib.util

    from derive.testing import assert_layer_correct

    def load(path, name):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, name)

    assert_layer_correct(load(swish_file(tmp_path, 'formula = "x*sigmoid(x)"'), "Swish"))
    wrong = load(swish_file(tmp_path, 'formula = "x*exp(x)"', name="Wrong"), "Wrong")
    with pytest.raises(AssertionError, match="Wrong is not a correct formula layer"):
        assert_layer_correct(wrong)


def test_a_method_named_formula_is_no_declaration(capsys, tmp_path):
    path = swish_file(tmp_path, 'def formula(self):\n    return "x*sigmoid(x)"', name="Silu")
    code, data, _ = run_json(capsys, str(path), "--op", "silu", "--seed", "1")
    assert code == 0 and data["results"][0]["op"] == "silu"
    code, data, _ = run_json(capsys, str(path), "--seed", "1")
    assert data["results"][0]["op"] == "silu"  # bound by its name, as any class
