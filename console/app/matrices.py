"""Reading matrix files from disk into validated domain matrices."""

from __future__ import annotations

from pathlib import Path

from console.domain.matrix import Matrix, MatrixError, MatrixProblem, check_matrix_text


def check_matrix_file(path: str | Path) -> tuple[Matrix | None, list[MatrixProblem]]:
    """Validate one file; unreadable files become a problem, never a traceback."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [MatrixProblem(name, 1, 1, "", "no such file")]
    except IsADirectoryError:
        return None, [MatrixProblem(name, 1, 1, "", "is a directory, not a matrix file")]
    except UnicodeDecodeError as exc:
        return None, [MatrixProblem(name, 1, 1, "", f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [MatrixProblem(name, 1, 1, "", f"cannot read: {exc.strerror}")]
    return check_matrix_text(text, name)


def load_matrix_file(path: str | Path) -> Matrix:
    """Load a matrix file, raising MatrixError listing every problem."""
    matrix, problems = check_matrix_file(path)
    if matrix is None:
        raise MatrixError(problems)
    return matrix
