"""The ``escalation-console`` command.

With no sub-command it opens the GUI. Sub-commands do headless work and never import
Qt, so they start fast; each one imports what it needs when it runs. Each command
family lives in its own module with a ``register(subparsers)`` function.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence

from console import __version__

from . import (
    db,
    exporting,
    importing,
    matrix,
    notify,
    people,
    reporting,
    serve,
    simulate,
    tickets,
    triage,
    whatif,
)
from .common import (
    DATA_DIR_HELP,
    DEBUG_HELP,
    EXIT_OK,
    EXIT_USAGE,
    OutputError,
    add_common_options,
    directory,
    fail,
    guarded_streams,
    positive_int,
)

DEBUG_ENV = "ESCALATION_CONSOLE_DEBUG"

COMMAND_MODULES = [matrix, simulate, importing, exporting, db, tickets, notify, serve, people,
                   reporting, whatif, triage]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalation-console",
        description="Run an escalation matrix that aligns Support, Customer Success and "
                    "Engineering. With no command, opens the desktop console.",
        epilog="Run 'escalation-console COMMAND --help' for a command's options. "
               "--data-dir and --debug work before or after COMMAND.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", type=directory, help=DATA_DIR_HELP)
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--self-test", action="store_true",
                        help="check the installation offscreen (matrix, a temporary store, "
                             "the queue) and exit 0 if it works")
    gui = parser.add_argument_group("desktop console (no COMMAND)")
    gui.add_argument("--wall", action="store_true",
                     help="also open the full-screen wall display")
    gui.add_argument("--screen", type=int, metavar="N",
                     help="monitor for the wall screen (0 = primary)")
    gui.add_argument("--demo", action="store_true",
                     help="open a separate demo store seeded with a realistic queue")
    gui.add_argument("--tickets", type=positive_int, default=200, metavar="N",
                     help="size of the demo queue (default 200)")
    gui.add_argument("--role", metavar="ROLE",
                     help="local-only mode (--local-only, or no shared database "
                          "configured): your role this session (lead or admin: edit and "
                          "publish the matrix; default: the `role` in settings.json, else "
                          "agent). Ignored with a shared database: its login decides")
    gui.add_argument("--local-only", action="store_true",
                     help="do not sync with the shared database this session")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    for command in _commands(sub):
        add_common_options(command)
    return parser


def _commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]
              ) -> Iterator[argparse.ArgumentParser]:
    """Every sub-command parser, groups and their actions alike (``matrix``,
    ``matrix validate``...)."""
    for parser in dict.fromkeys(sub.choices.values()):  # aliases map to one parser
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                yield from _commands(action)


def _run_gui(args: argparse.Namespace, qt_args: list[str]) -> int:
    from console.display import gui_start_problem

    if problem := gui_start_problem(qt_args=qt_args):  # before Qt aborts with a worse one
        print(f"escalation-console: {problem}", file=sys.stderr)
        return 1
    from console.ui.app import GuiOptions, run_gui

    options = GuiOptions(data_dir=args.data_dir, wall=args.wall, screen=args.screen,
                         demo=args.demo, tickets=args.tickets, sync=not args.local_only,
                         role=args.role)
    return run_gui(qt_args, options=options)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``escalation-console`` and ``python -m console``.

    Every failure a user can cause has its own clear message; anything else is a bug,
    reported in one line (exit 2) unless --debug or $ESCALATION_CONSOLE_DEBUG asks for
    the traceback."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return _dispatch(parser, args, extra)
    except Exception as exc:
        if debug:
            raise
        detail = " ".join(str(exc).split()) or "no details"
        # a password in a URL never reaches a message, even a bug's
        detail = re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", detail)
        return fail(f"unexpected error: {type(exc).__name__}: {detail} (re-run with --debug "
                    f"or {DEBUG_ENV}=1 to see the traceback)", EXIT_USAGE)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace,
              extra: list[str]) -> int:
    if args.self_test:
        from console.selftest import run

        return run()
    if args.command is None:
        # single-dash options (-platform, -style...) belong to Qt; a stray --option is ours
        unknown = [a for a in extra if a.startswith("--") or not a.startswith("-")]
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return _run_gui(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    with guarded_streams() as stdout:
        try:
            code: int = args.func(args)
            sys.stdout.flush()  # a full disk shows here, not as a warning at exit
            return code
        except OutputError as exc:
            return fail(f"cannot write the output: {exc}", EXIT_USAGE)
        except BrokenPipeError:  # e.g. piped into `head`
            # nothing more can reach the reader; stop Python's own flush at exit failing
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
            return EXIT_OK
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
