"""Reading matrix files: problems name the line as the file shows it."""

from __future__ import annotations

from console.app.matrices import check_matrix_file


def test_a_byte_that_is_not_utf8_is_named_on_its_line_and_column(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes("schema_version: 1\n# é\nname: caf".encode() + b"\xe9\n")
    matrix, problems = check_matrix_file(path)
    assert matrix is None
    assert [str(p) for p in problems] == [
        f"{path}:3:10: not UTF-8 text (byte 0xe9); save the file as UTF-8"]


def test_lines_end_at_line_feeds_as_editors_and_grep_count_them(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes(b"schema_version: 1\r\nname: x\rdup: 1\r\nschema_version: 2\r\n")
    _, problems = check_matrix_file(path)
    assert str(problems[0]).startswith(f"{path}:3:1: duplicate key 'schema_version'")
