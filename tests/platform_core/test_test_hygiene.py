"""Test hygiene: no assert hedged with `or`, which passes when either branch holds
and so cannot fail for the other one, whether the `or` is the whole assert or one of
its `and`-ed conditions. Checked on every test file with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS_ROOT = Path(__file__).resolve().parents[1]


def _hedges(test: ast.expr) -> bool:
    """`a or b`, or a conjunction one of whose conditions hedges (`a and (b or c)`)."""
    if not isinstance(test, ast.BoolOp):
        return False
    return isinstance(test.op, ast.Or) or any(_hedges(value) for value in test.values)


def hedged_asserts(source: str) -> list[int]:
    """Line numbers of the asserts whose test expression, or one of its `and`-ed
    conditions, is an `a or b`."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Assert) and _hedges(node.test)]


def test_the_detector_flags_a_hedged_assert_and_only_that():
    source = ("assert a or b\n"
              "assert (a\n        or b)\n"
              "assert a and b\n"
              "assert [x for x in xs if x or y] == []\n"
              "assert not (a or b)\n"
              "assert a and (b or c)\n"
              "assert a and b and (c or d)\n")
    assert hedged_asserts(source) == [1, 2, 7, 8]


def test_no_test_asserts_with_a_hedging_or():
    offenders = [f"{path.relative_to(TESTS_ROOT.parent)}:{line}"
                 for path in sorted(TESTS_ROOT.rglob("*.py"))
                 for line in hedged_asserts(path.read_text(encoding="utf-8"))]
    assert offenders == [], ("asserts hedged with `or` cannot fail for one branch; "
                             "assert each expected value: " + ", ".join(offenders))
