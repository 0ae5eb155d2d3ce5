"""The escalation matrix: format, loading, validation and the domain model."""

from __future__ import annotations

from dataclasses import dataclass

from .build import build_matrix
from .format import MATRIX_SPEC, json_schema
from .model import Matrix
from .spec import Problem
from .yamlpos import Located, YamlSyntaxError, format_path, load_located

__all__ = ["Matrix", "MatrixError", "MatrixProblem", "check_matrix_text", "json_schema",
           "parse_matrix_text"]


@dataclass(frozen=True, slots=True)
class MatrixProblem:
    """One problem, placed: ``FILE:LINE:COL: path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


class MatrixError(ValueError):
    """An invalid matrix; ``problems`` lists every problem found."""

    def __init__(self, problems: list[MatrixProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def check_matrix_text(text: str, filename: str = "<matrix>"
                      ) -> tuple[Matrix | None, list[MatrixProblem]]:
    """Parse and validate matrix YAML; return the matrix (or None) and all problems."""
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        return None, [MatrixProblem(filename, exc.mark.line, exc.mark.column, "", str(exc))]
    problems: list[Problem] = []
    if not isinstance(located.data, dict):
        problems.append(Problem((), "a matrix file must be a mapping with schema_version, "
                                    "calendars, tiers, teams and severities"))
    else:
        MATRIX_SPEC.check(located.data, (), problems)
    matrix = None
    if isinstance(located.data, dict):
        matrix, problems = build_matrix(located.data, problems)
    placed = [_place(filename, located, p) for p in problems]
    placed.sort(key=lambda p: (p.line, p.column))
    return matrix, placed


def parse_matrix_text(text: str, filename: str = "<matrix>") -> Matrix:
    """Like check_matrix_text, but raise MatrixError when the matrix is invalid."""
    matrix, problems = check_matrix_text(text, filename)
    if matrix is None:
        raise MatrixError(problems)
    return matrix


def _place(filename: str, located: Located, problem: Problem) -> MatrixProblem:
    # unknown keys point at the key itself, everything else at its value
    mark = (located.key_marks.get(problem.path) if problem.at_key else None
            ) or located.mark_for(problem.path)
    return MatrixProblem(filename, mark.line, mark.column, format_path(problem.path),
                         problem.message)
