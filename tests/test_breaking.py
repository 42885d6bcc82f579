"""Long displays are broken at top-level signs only, never inside a group."""

from reports.breaking import cell, lines, pieces


def test_pieces_cut_before_top_level_relations_and_signs():
    assert pieces(r"a = b + c - d") == ["a", "= b", "+ c", "- d"]
    assert pieces(r"\frac{a + b}{c} = - x") == [r"\frac{a + b}{c}", "= - x"]


def test_groups_brackets_and_environments_stay_whole():
    tex = r"\left(a + b\right) + \begin{cases} x & x > 0 \\ e^{x} - 1 & \text{otherwise} \end{cases}"
    assert pieces(tex) == [r"\left(a + b\right)",
                           r"+ \begin{cases} x & x > 0 \\ e^{x} - 1 & \text{otherwise} \end{cases}"]


def test_lines_pack_pieces_up_to_the_width():
    tex = " + ".join(f"x_{{{i}}}" for i in range(40))
    packed = lines(tex, 20)
    assert len(packed) > 3 and all(len(row.replace(" ", "")) < 60 for row in packed)
    assert "".join(packed).replace(" ", "") == tex.replace(" ", "")


def test_a_cell_too_long_to_read_is_referred_elsewhere():
    assert cell(r"\frac{" + "x" * 200 + "}{2}", 20, "see its report") == r"\emph{see its report}"
    assert cell("a + b", 20, "see its report").startswith(r"\fitwidth{")


def test_an_accumulation_stays_one_relation():
    from reports.breaking import pieces

    assert pieces(r"\mathrm{dV}_{n} \mathrel{+}= \sum_{i} a + b")[0].endswith(r"\sum_{i} a")
