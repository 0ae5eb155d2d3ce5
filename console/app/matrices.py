"""Reading matrix files from disk into validated domain matrices."""

from __future__ import annotations

from pathlib import Path

from console.domain.matrix import Matrix, MatrixError, MatrixProblem, check_matrix_text


def check_matrix_file(path: str | Path) -> tuple[Matrix | None, list[MatrixProblem]]:
    """Validate one file; unreadable files become a problem, never a traceback."""
    _, matrix, problems = read_matrix_file(path)
    return matrix, problems


def read_matrix_file(path: str | Path
                     ) -> tuple[str | None, Matrix | None, list[MatrixProblem]]:
    """(the file's text, its matrix or None, its problems): one read, so what is
    published is exactly the text that was validated."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, None, [MatrixProblem(name, 1, 1, "", "no such file")]
    except IsADirectoryError:
        return None, None, [MatrixProblem(name, 1, 1, "", "is a directory, not a matrix file")]
    except OSError as exc:
        return None, None, [MatrixProblem(name, 1, 1, "", f"cannot read: {exc.strerror}")]
    try:
        # no newline translation: a lone "\r" must not add a line the file does not show
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[start:exc.start].decode("utf-8", "replace")) + 1
        return None, None, [MatrixProblem(name, line, column, "", f"not UTF-8 text (byte "
                                          f"0x{data[exc.start]:02x}); save the file as UTF-8")]
    return (text, *check_matrix_text(text, name))


def load_matrix_file(path: str | Path) -> Matrix:
    """Load a matrix file, raising MatrixError listing every problem."""
    matrix, problems = check_matrix_file(path)
    if matrix is None:
        raise MatrixError(problems)
    return matrix
