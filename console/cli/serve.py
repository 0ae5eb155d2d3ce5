"""``escalation-console serve``: the headless escalation service (docs/service.md)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import TYPE_CHECKING

from .common import EXIT_USAGE, fail

if TYPE_CHECKING:
    from console.service.config import ServiceConfig

CONFIG_HELP = ("the service's configuration, TOML (*.toml) or YAML (*.yaml); "
               "ESCALATION_SERVICE_* variables override it (default: the environment only)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve", help="run the headless escalation service (sync, chains, outbox, HTTP)",
        description="Run the escalation service beside the shared database: sync, the "
                    "escalation engine over every ticket, the notification chains and "
                    "their delivery outbox (sent by the one active instance), and the "
                    "HTTP endpoint. Stops cleanly on SIGTERM or SIGINT. Secrets come "
                    "from ESCALATION_SECRET_* variables, *_FILE files or systemd "
                    "credentials, never from the configuration. See docs/service.md.")
    add_config_option(serve)
    serve.add_argument("--listen", metavar="HOST:PORT", type=_listen,
                       help="where HTTP listens (default 127.0.0.1:8787; :8787 for every "
                            "interface); overrides `listen`")
    serve.add_argument("--log-format", choices=("text", "json"),
                       help="text lines, or one JSON object a line; overrides `log_format`")
    serve.add_argument("--instance", metavar="NAME", type=_instance,
                       help="this instance's name in the lease (default hostname:pid)")
    serve.add_argument("--migrate", action="store_true",
                       help="migrate the shared database to this program's schema first "
                            "(needs a login that may change the schema); without it the "
                            "service only checks the revision and stops if it is behind")
    serve.set_defaults(func=_cmd_serve)
    from console.service.http.tokens_cli import add_tokens_commands  # HTTP's, light

    add_tokens_commands(serve)


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config`` on ``serve`` and on its sub-commands (``serve tokens add``), so it
    works before or after them, as --data-dir does."""
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        type=_nonempty, help=CONFIG_HELP)


def _nonempty(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("give a file")
    return value


def _listen(value: str) -> tuple[str, int]:
    from console.service.config import parse_listen

    try:
        return parse_listen(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instance(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("give a name")
    return value.strip()


def load_service_config(args: argparse.Namespace) -> ServiceConfig:
    """The configuration from --config, the environment and the command line (which
    wins); raise ConfigError (one line: file, line, field)."""
    from console.service.config import load_config

    config = load_config(getattr(args, "config", None), os.environ)
    if getattr(args, "listen", None):
        host, port = args.listen
        config = dataclasses.replace(config, listen_host=host, listen_port=port)
    if getattr(args, "log_format", None):
        config = dataclasses.replace(config, log_format=args.log_format)
    if getattr(args, "instance", None):
        config = dataclasses.replace(config, instance=args.instance)
    return config


def _cmd_serve(args: argparse.Namespace) -> int:
    from console.service.configfile import ConfigError
    from console.service.main import ServeOptions, serve

    if getattr(args, "data_dir", None):  # a console's option: it must not look obeyed
        return fail("serve keeps its local cache in state_dir (in --config, or "
                    "$ESCALATION_SERVICE_STATE_DIR); --data-dir is for consoles", EXIT_USAGE)
    try:
        config = load_service_config(args)
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    return serve(config, ServeOptions(migrate=args.migrate))
