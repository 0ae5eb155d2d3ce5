"""Shared helpers for the matrix validation tests: patch the shipped default matrix
and locate the problems it reports."""

from __future__ import annotations

from console.domain.matrix import (
    MatrixProblem,
    check_matrix_text,
)
from console.paths import default_matrix_path

DEFAULT = default_matrix_path().read_text(encoding="utf-8")
SHIPPED = ("default.yaml", "business-hours.yaml")
NOT_A_MAPPING = ("a matrix file must be a mapping with schema_version, calendars, tiers, "
                 "teams and severities")


# -- helpers -----------------------------------------------------------------------


def patch(old: str, new: str, text: str = DEFAULT) -> str:
    """Replace the one occurrence of ``old``; fail loudly when the default changed."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the matrix"
    return text.replace(old, new)


def insert_after(anchor: str, addition: str, text: str = DEFAULT) -> str:
    return patch(anchor, anchor + addition, text)


def problems_of(text: str) -> list[MatrixProblem]:
    matrix, problems = check_matrix_text(text, "m.yaml")
    assert (matrix is None) == bool(problems)
    return problems


def position(text: str, needle: str, at: str | None = None) -> tuple[int, int]:
    """1-based (line, column) of ``at`` inside the one occurrence of ``needle``."""
    assert text.count(needle) == 1, f"{needle!r} must occur once"
    index = text.index(needle) + (needle.index(at) if at else 0)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def only_problem(text: str) -> MatrixProblem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def problem_at(text: str, path: str) -> MatrixProblem:
    found = [p for p in problems_of(text) if p.path == path]
    assert len(found) == 1, [str(p) for p in problems_of(text)]
    return found[0]


def assert_reported(problem: MatrixProblem, path: str, message: str,
                    where: tuple[int, int]) -> None:
    assert problem.path == path, str(problem)
    assert message in problem.message, str(problem)
    assert (problem.line, problem.column) == where, str(problem)


def check_one(text: str, path: str, message: str, needle: str, at: str | None = None) -> None:
    """The text has exactly one problem, at ``path``, pointing at ``at`` in ``needle``."""
    assert_reported(only_problem(text), path, message, position(text, needle, at))


# -- the shipped matrices ------------------------------------------------------------
