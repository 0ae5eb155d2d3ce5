"""The ``escalation-console`` command.

With no sub-command it opens the GUI. Sub-commands do headless work and never import
Qt, so they start fast; each one imports what it needs when it runs. Each command
family lives in its own module with a ``register(subparsers)`` function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from console import __version__

from . import db, importing, matrix, notify, simulate, tickets
from .common import EXIT_OK

COMMAND_MODULES = [matrix, simulate, importing, db, tickets, notify]


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
    gui.add_argument("--tickets", type=int, default=200, metavar="N",
                     help="size of the demo queue (default 200)")
    gui.add_argument("--role", metavar="ROLE",
                     help="your matrix role this session (e.g. lead: edit and publish the "
                          "matrix; default: the `role` in settings.json, else agent)")
    gui.add_argument("--local-only", action="store_true",
                     help="do not sync with the shared database this session")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


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
    """Entry point for ``escalation-console`` and ``python -m console``."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
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
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
