"""The ``escalation-console`` command.

With no sub-command it opens the GUI. Sub-commands do headless work and never import
Qt, so they start fast; each one imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from console import __version__

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalation-console",
        description="Run an escalation matrix that aligns Support, Customer Success and "
                    "Engineering. With no command, opens the desktop console.",
        epilog="Run 'escalation-console COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the local store and settings live (default: the user "
                             "data dir; or $ESCALATION_CONSOLE_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    matrix = sub.add_parser("matrix", help="validate matrix files or export their JSON Schema",
                            description="Work with escalation matrix files (YAML).")
    msub = matrix.add_subparsers(dest="matrix_command", metavar="ACTION", required=True)
    validate = msub.add_parser(
        "validate", help="check matrix files; exit 0 if all are valid, 1 if not",
        description="Check matrix files and list every problem as FILE:LINE:COL: path: "
                    "message. Exit status: 0 all valid, 1 some invalid, 2 usage error.")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    schema = msub.add_parser("schema", help="print the JSON Schema for matrix files",
                             description="Print the JSON Schema (draft 2020-12) for editors.")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead")

    sim = sub.add_parser(
        "simulate", help="replay ticket events and print what the engine fires",
        description="Replay ticket events (JSON Lines) through a matrix and print what the "
                    "engine fires, one JSON object a line, in time order. See docs/simulate.md.")
    sim.add_argument("events", metavar="EVENTS.jsonl", help="event file, or - for stdin")
    sim.add_argument("--matrix", metavar="FILE",
                     help="matrix file (default: the shipped default matrix)")
    sim.add_argument("--until", metavar="ISO-8601",
                     help="run the clock to this instant (default: the last event's time)")
    sim.add_argument("--strict", action="store_true", help="stop at the first bad input line")
    sim.add_argument("--no-sentiment", action="store_true",
                     help="judge sentiment by the matrix's phrases only, without VADER")
    return parser


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
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from console.app.matrices import check_matrix_file
    from console.app.simulate import BadLine, parse_instant, read_events, simulate
    from console.paths import default_matrix_path

    matrix_path = args.matrix or str(default_matrix_path())
    matrix, problems = check_matrix_file(matrix_path)
    if matrix is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    until = None
    if args.until:
        try:
            until = parse_instant(args.until, "--until")
        except ValueError as exc:
            print(f"escalation-console simulate: {exc}", file=sys.stderr)
            return EXIT_USAGE
    name = "<stdin>" if args.events == "-" else args.events
    bad: list[BadLine] = []

    def report(line: BadLine) -> None:
        bad.append(line)
        print(f"{name}:{line.line}: {line.reason}", file=sys.stderr)

    try:
        if args.events == "-":
            events = read_events(sys.stdin, matrix, args.strict, report)
        else:
            with open(args.events, encoding="utf-8") as handle:
                events = read_events(handle, matrix, args.strict, report)
    except OSError as exc:
        print(f"{name}: cannot read: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except UnicodeDecodeError:
        print(f"{name}: not UTF-8 text", file=sys.stderr)
        return EXIT_INVALID
    if bad and args.strict:
        return EXIT_INVALID
    sentiment = None
    if not args.no_sentiment:
        from console.app.sentiment import vader_compound

        sentiment = vader_compound
    out = sys.stdout
    for fire in simulate(matrix, events, until, sentiment):
        out.write(json.dumps(fire.to_json()) + "\n")
    if bad:
        print(f"{name}: {len(bad)} bad line(s) skipped", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _run_gui(args: argparse.Namespace, qt_args: list[str]) -> int:
    from console.ui.placeholder import run_gui

    return run_gui(qt_args, data_dir=args.data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``escalation-console`` and ``python -m console``."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        # single-dash options (-platform, -style...) belong to Qt; a stray --option is ours
        unknown = [a for a in extra if a.startswith("--") or not a.startswith("-")]
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return _run_gui(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handlers = {"matrix": lambda a: _cmd_validate(a) if a.matrix_command == "validate"
                else _cmd_schema(a),
                "simulate": _cmd_simulate}
    try:
        return handlers[args.command](args)
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
