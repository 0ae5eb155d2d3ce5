"""``escalation-console matrix validate|schema`` (``publish|versions|restore``: in
matrix_versions.py)."""

from __future__ import annotations

import argparse
import json
import sys

from . import matrix_versions
from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, fail


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    matrix = sub.add_parser("matrix", help="validate, publish and restore matrix versions",
                            description="Work with escalation matrix files (YAML) and the "
                                        "published matrix versions.")
    msub = matrix.add_subparsers(dest="matrix_command", metavar="ACTION", required=True)
    validate = msub.add_parser(
        "validate", help="check matrix files; exit 0 if all are valid, 1 if not",
        description="Check matrix files and list every problem as FILE:LINE:COL: path: "
                    "message. Exit status: 0 all valid, 1 some invalid, 2 usage error.")
    validate.add_argument("files", nargs="+", metavar="FILE",
                          help="a matrix file (YAML); give several to check them all")
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    validate.set_defaults(func=_cmd_validate)
    schema = msub.add_parser("schema", help="print the JSON Schema for matrix files",
                             description="Print the JSON Schema (draft 2020-12) for editors.")
    schema.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (created or replaced) instead of standard output")
    schema.set_defaults(func=_cmd_schema)
    matrix_versions.register(msub)


def _cmd_validate(args: argparse.Namespace) -> int:
    from console.app.matrices import check_matrix_file

    status = EXIT_OK
    for name in args.files:
        matrix, problems = check_matrix_file(name)
        for problem in problems:
            print(problem)
        if matrix is None:
            status = EXIT_INVALID
            if not args.quiet:
                print(f"{name}: invalid ({len(problems)} problem"
                      f"{'s' if len(problems) != 1 else ''})")
        elif not args.quiet:
            print(f"{name}: valid ({matrix.name}, {len(matrix.severities)} severities, "
                  f"{len(matrix.triggers)} triggers, {len(matrix.chains)} chains)")
    return status


def _cmd_schema(args: argparse.Namespace) -> int:
    from console.domain.matrix import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    if not args.output:
        return fail("matrix schema: -o/--output: give a file name", EXIT_USAGE)
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:  # a missing folder, a directory, a full disk...
        return fail(f"{args.output}: cannot write: {exc.strerror or exc}", EXIT_USAGE)
    return EXIT_OK
