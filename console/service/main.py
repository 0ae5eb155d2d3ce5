"""``escalation-console serve``: set up logging and secrets, check the schema, start
the service, wait for SIGTERM or SIGINT, stop cleanly, exit 0.

Exit codes (console/cli/common.py): 0 after a clean stop; 2 for a bad configuration
or an unusable secret source; 1 when the shared database cannot be reached or its
schema does not match (systemd's Restart= tries again); 3 when the state directory
cannot be opened.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .composition import Service, tls_context
from .config import ServiceConfig
from .logs import Scrubber, setup_logging
from .secrets import SecretSourceError, SecretSources, ServerSecrets, database_password
from .systemd import sd_notify

log = logging.getLogger("console.service")
EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_STATE = 0, 1, 2, 3


@dataclass(frozen=True)
class ServeOptions:
    migrate: bool = False


def serve(config: ServiceConfig, options: ServeOptions = ServeOptions(),
          env: Mapping[str, str] | None = None, stop: threading.Event | None = None) -> int:
    """Run until ``stop`` is set (by SIGTERM/SIGINT when run from the main thread)."""
    sources = SecretSources(env)
    scrubber = Scrubber(sources.values)
    logging_setup = setup_logging(config.log_format, config.log_level, scrubber)
    stop = stop or threading.Event()
    restore = _on_signals(stop)
    try:
        return _serve(config, options, sources, scrubber, stop)
    finally:
        restore()
        logging_setup.close()


def _on_signals(stop: threading.Event) -> Any:
    """SIGTERM and SIGINT set ``stop``; returns a function that restores the old
    handlers (nothing to do off the main thread, where signals cannot be caught)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, _frame: Any) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for s, old in previous.items():
            signal.signal(s, old)

    return restore


def _serve(config: ServiceConfig, options: ServeOptions, sources: SecretSources,
           scrubber: Scrubber, stop: threading.Event) -> int:
    from console.store.errors import StoreError
    from console.store.server import SharedDBError

    from .schema import SchemaError, prepare_schema

    try:
        password = database_password(sources, config.database_url)
        ssl_context = tls_context(config)
    except (SecretSourceError, ValueError) as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    failed: list[str] = []

    def part_failed(name: str) -> None:
        failed.append(name)
        stop.set()

    service = Service(config, password, ServerSecrets(sources), on_failure=part_failed)
    schema_db = service.database()
    if password:  # mask its URL as user:***@ (without one, user@ says none was sent)
        scrubber.extra = schema_db.scrub
    log.info("starting", extra={"instance": config.instance, "database": schema_db.masked_url,
                                "state_dir": str(config.state_dir), "listen": config.listen,
                                "config": config.source or "(environment)"})
    try:
        before, now = prepare_schema(schema_db, run_migrations=options.migrate)
    except (SharedDBError, SchemaError) as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    finally:
        schema_db.close()
    if before != now:
        log.info("migrated the shared database", extra={"from": before, "to": now})
    try:
        service.open_store()
    except StoreError as exc:
        log.error("cannot open the state directory: %s", exc)
        return EXIT_STATE
    code = EXIT_OK
    try:
        if not stop.is_set():
            service.start(ssl_context)
            port = service.http.port if service.http is not None else config.listen_port
            log.info("serving", extra={"port": port, "instance": config.instance,
                                        "revision": now})
            sd_notify("READY=1")
            stop.wait()
    except Exception as exc:  # e.g. the port is taken: say it in one line, then stop
        log.error("cannot start: %s: %s", type(exc).__name__, exc,
                  exc_info=config.log_level == "debug")
        code = EXIT_FAILED
    if failed:  # exit non-zero: systemd's Restart= starts a fresh process
        log.error("stopping because the %s part failed", ", ".join(failed))
        code = EXIT_FAILED
    sd_notify("STOPPING=1")
    late = service.stop()
    if late:
        log.warning("stopped; left to the exit: %s", ", ".join(late))
    else:
        log.info("stopped")
    return code
