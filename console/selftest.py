"""``escalation-console --self-test``: check that an installed or bundled app works.

Runs without a display and without touching the user's data: it loads and validates
the shipped matrices, replays sample events through the engine, opens a throwaway
local store in a temporary directory, renders the queue offscreen, and checks the
pieces a frozen bundle can lose (Qt plugins, the VADER lexicon, holiday and time-zone
data, the PostgreSQL driver, APScheduler's and keyring's plug-ins). It prints one line
per check and exits 0 if all pass, 1 if any fails.

Everything it needs is in this module and in the shipped data (``console.paths``), so
it runs the same from a checkout, an installed wheel and the PyInstaller bundle.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from console import __version__
from console.selftest_work import (
    SAMPLE_EVENTS,
    CheckFailed,
    check_triage,
    check_whatif_workers,
)
from console.selftest_work import require as _require

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

ANGRY = SAMPLE_EVENTS[4]["text"]
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
STYLESHEETS = ("light.qss", "wall.qss")


def _where() -> str:
    if getattr(sys, "frozen", False):
        return f"frozen bundle in {Path(sys.executable).parent}"
    from console.paths import _REPO_ROOT

    if (_REPO_ROOT / "pyproject.toml").is_file():
        return f"source checkout in {_REPO_ROOT}"
    return f"installed package in {Path(__file__).parent}"


# -- the checks ----------------------------------------------------------------------------
# Each takes the shared context, may add to it, and returns its checklist line; it raises
# CheckFailed (or anything else) if something is wrong.

def check_data(ctx: dict[str, Any]) -> str:
    from console.paths import default_matrix_path, matrices_dir, resources_dir

    res, mat = resources_dir(), matrices_dir()
    missing = [str(p) for p in (
        res / "icons" / "escalation-console.svg",
        *(res / "styles" / name for name in STYLESHEETS),
        res / "sounds" / "alert.wav",
        default_matrix_path(),
    ) if not p.is_file()]
    _require(not missing, "missing: " + ", ".join(missing))
    return f"data files ok: resources in {res}, matrices in {mat}"


def check_modules(ctx: dict[str, Any]) -> str:
    import importlib
    import pkgutil

    import console

    names = [m.name for m in pkgutil.walk_packages(console.__path__, "console.")
             if not m.name.endswith("__main__")
             and not m.name.startswith("console.store.migrations")]  # run by Alembic
    broken = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an ImportError, usually: a bundle left something out
            broken.append(f"{name} ({type(exc).__name__}: {exc})")
    _require(not broken, "cannot import " + "; ".join(broken))
    _require(len(names) > 10, f"found only {len(names)} console modules")
    return f"modules ok: imported all {len(names)} console modules"


def check_matrix(ctx: dict[str, Any]) -> str:
    from console.app.matrices import check_matrix_file
    from console.paths import default_matrix_path, matrices_dir

    matrix, problems = check_matrix_file(default_matrix_path())
    if matrix is None:
        raise CheckFailed("default matrix invalid: " + "; ".join(map(str, problems)))
    ctx["matrix"] = matrix
    others = sorted(p for p in matrices_dir().glob("*.yaml") if p != default_matrix_path())
    for path in others:
        other, problems = check_matrix_file(path)
        _require(other is not None, f"{path.name} invalid: " + "; ".join(map(str, problems)))
        ctx[f"matrix:{path.stem}"] = other
    return (f"matrix ok: {default_matrix_path().name} valid ({matrix.name}, "
            f"{len(matrix.severities)} severities, {len(matrix.triggers)} triggers, "
            f"{len(matrix.chains)} chains)"
            + (f"; also {', '.join(p.name for p in others)}" if others else ""))


def check_sentiment(ctx: dict[str, Any]) -> str:
    from console.app.sentiment import vader_compound

    score = vader_compound(ANGRY)
    _require(score < -0.2, f"VADER scored an angry message {score:+.2f}; is its lexicon there?")
    ctx["sentiment"] = vader_compound
    return f"sentiment ok: VADER scores the angry sample {score:+.2f}"


def check_engine(ctx: dict[str, Any]) -> str:
    from console.app.usecases.simulate import read_events, simulate

    matrix = ctx["matrix"]
    bad: list[Any] = []
    lines = [json.dumps(e) for e in SAMPLE_EVENTS]
    events = read_events(lines, matrix, strict=True, on_bad=bad.append)
    _require(not bad and len(events) == len(SAMPLE_EVENTS), f"sample events refused: {bad}")
    fires = list(simulate(matrix, events, sentiment=ctx.get("sentiment")))
    kinds = sorted({f.kind for f in fires})
    _require(fires, "the engine fired nothing for a P1 outage")
    _require("notify" in kinds, f"no notification fired (got {', '.join(kinds)})")
    return f"engine ok: {len(events)} sample events -> {len(fires)} fires ({', '.join(kinds)})"


def check_calendar(ctx: dict[str, Any]) -> str:
    from importlib.resources import files
    from zoneinfo import ZoneInfo

    from console.domain.calendar import BusinessCalendar, CalendarSpec

    berlin = ZoneInfo("Europe/Berlin")
    spec = CalendarSpec(id="selftest", timezone="Europe/Berlin", holiday_country="DE",
                        weekly=tuple((d, clock_time(9), clock_time(17)) for d in range(5)))
    calendar = BusinessCalendar(spec)
    _require(calendar.is_holiday(date(2026, 12, 25)), "Christmas is no German holiday: "
             "the holidays country data is missing")
    _require(not calendar.is_holiday(date(2026, 12, 23)), "23 Dec 2026 taken for a holiday")
    friday_evening = datetime(2026, 11, 27, 17, 30, tzinfo=berlin)
    opens = calendar.next_open(friday_evening).astimezone(berlin)
    _require(opens == datetime(2026, 11, 30, 9, 0, tzinfo=berlin),
             f"Berlin hours reopen at {opens}, expected Monday 09:00")
    zone = files("tzdata").joinpath("zoneinfo", "Europe", "Berlin")
    _require(zone.is_file(), "the tzdata package has no Europe/Berlin")
    return "calendar ok: Berlin hours skip the weekend and Christmas (holidays, tzdata)"


def check_store(ctx: dict[str, Any]) -> str:
    from console.store import migrate
    from console.store.local import LocalStore

    matrix = ctx["matrix"]
    opened = dict(SAMPLE_EVENTS[0])
    ticket = str(opened.pop("ticket"))
    for key in ("at", "type"):
        opened.pop(key)
    tmp = ctx["tmp"]
    now = datetime.now(UTC)
    with LocalStore(tmp, matrix) as store:
        store.append(ticket, "opened", opened, "self-test", at=now - timedelta(minutes=5))
        store.append(ticket, "severity", {"severity": "P1", "by": "support"}, "self-test",
                     at=now - timedelta(minutes=4))
    with LocalStore(tmp, matrix) as store:  # reopen: it was written to disk
        tickets = store.tickets()
        if store._engine is None:  # open inside the block; this is for the type checker
            raise CheckFailed("the reopened store has no database engine")
        revision = migrate.current_revision(store._engine)
    _require(len(tickets) == 1 and tickets[0].id == ticket,
             f"expected ticket {ticket} after reopening, found {[t.id for t in tickets]}")
    _require(revision == migrate.head_revision(),
             f"schema at {revision}, migrations head is {migrate.head_revision()}")
    ctx["tickets"] = tickets
    return (f"store ok: wrote and re-read {ticket} ({tickets[0].severity}) in a temporary store, "
            f"schema {revision}")


def check_queue(ctx: dict[str, Any]) -> str:
    from PySide6.QtWidgets import QAbstractItemView, QTableView

    from console.app.runtime.rows import QueueRow
    from console.paths import resources_dir
    from console.ui.queue_delegates import (
        CountdownDelegate,
        SeverityBadgeDelegate,
        SlaPillDelegate,
    )
    from console.ui.queue_model import CLOCK_COLUMNS, Column, QueueModel

    app = _qt_app()
    app.setStyleSheet((resources_dir() / "styles" / "light.qss").read_text(encoding="utf-8"))
    matrix = ctx["matrix"]
    rows = [QueueRow.from_record(t) for t in ctx["tickets"]]
    model = QueueModel(matrix, datetime.now(UTC))
    model.reset_rows(rows)
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    delegates = [SeverityBadgeDelegate(matrix, view), SlaPillDelegate(view),
                 CountdownDelegate(view)]
    view.setItemDelegateForColumn(Column.SEVERITY, delegates[0])
    view.setItemDelegateForColumn(Column.SLA, delegates[1])
    for column in CLOCK_COLUMNS:
        view.setItemDelegateForColumn(column, delegates[2])
    view.resize(1400, 160)
    view.show()
    app.processEvents()
    image = view.grab().toImage()
    view.close()
    count = model.rowCount()
    _require(count == 1, f"the queue shows {count} rows, expected 1")
    shown = model.data(model.index(0, Column.ID))
    _require(shown == rows[0].id, f"the queue's first row shows {shown!r}")
    _require(not image.isNull() and image.width() > 0, "grabbing the queue gave no image")
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 5)}
    _require(len(colours) > 2, "the rendered queue is blank")
    return (f"queue rendered {count} row offscreen ({image.width()}x{image.height()} px, "
            f"{len(colours)} colours)")


def check_icons(ctx: dict[str, Any]) -> str:
    from PySide6.QtGui import QIcon, QImage, QImageReader

    from console.paths import resources_dir

    _qt_app()
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    _require("svg" in formats, "Qt cannot read SVG (the QtSvg image plug-in is missing)")
    icon = QIcon(str(resources_dir() / "icons" / "escalation-console.svg"))
    pixmap = icon.pixmap(64, 64)
    _require(not pixmap.isNull(), "the SVG app icon renders to nothing")
    pngs = resources_dir() / "icons" / "hicolor"
    missing = []
    for size in ICON_SIZES:
        png = QImage(str(pngs / f"{size}x{size}" / "apps" / "escalation-console.png"))
        if png.isNull() or png.width() != size:
            missing.append(str(size))
    _require(not missing, f"PNG icons missing or wrong size: {', '.join(missing)}")
    return f"icons ok: SVG icon renders; PNGs {ICON_SIZES[0]}..{ICON_SIZES[-1]} px"


def check_postgres_driver(ctx: dict[str, Any]) -> str:
    import psycopg
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://selftest@localhost/selftest")
    try:
        _require(engine.dialect.driver == "psycopg", f"dialect driver {engine.dialect.driver}")
    finally:
        engine.dispose()
    impl = psycopg.pq.__impl__
    _require(impl in ("binary", "c"), f"psycopg uses its {impl} libpq wrapper, not binary")
    return (f"postgres driver ok: psycopg {psycopg.__version__} ({impl}, "
            f"libpq {psycopg.pq.version()})")


def check_scheduler(ctx: dict[str, Any]) -> str:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    # aliases resolve through APScheduler's entry points, which a bundle must carry
    job = scheduler.add_job(print, "date", run_date=datetime(2100, 1, 1, tzinfo=UTC))
    scheduler.add_job(print, "interval", hours=1)
    scheduler.add_job(print, "cron", hour=3)
    scheduler.start(paused=True)
    try:
        _require(scheduler.get_job(job.id) is not None, "a scheduled job went missing")
    finally:
        scheduler.shutdown(wait=False)
    return "scheduler ok: date, interval and cron triggers; thread pool executor"


def check_keyring(ctx: dict[str, Any]) -> str:
    import keyring
    from keyring.backend import get_all_keyring

    backends = get_all_keyring()
    try:
        current = keyring.get_keyring()
    except ImportError as exc:
        chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
        if not chosen:
            raise
        raise CheckFailed(f"PYTHON_KEYRING_BACKEND={chosen} cannot be loaded ({exc})") from None
    name = f"{type(current).__module__}.{type(current).__name__}"
    return f"keyring ok: {len(backends)} backends usable here; using {name}"


CHECKS: tuple[tuple[str, Callable[[dict[str, Any]], str], tuple[str, ...]], ...] = (
    # (name, check, what it needs from earlier checks)
    ("data files", check_data, ()),
    ("modules", check_modules, ()),
    ("matrix", check_matrix, ()),
    ("sentiment", check_sentiment, ()),
    ("engine", check_engine, ("matrix",)),
    ("what-if workers", check_whatif_workers, ("matrix",)),
    ("triage models", check_triage, ()),
    ("calendar", check_calendar, ()),
    ("store", check_store, ("matrix",)),
    ("queue", check_queue, ("matrix", "tickets")),
    ("icons", check_icons, ()),
    ("postgres driver", check_postgres_driver, ()),
    ("scheduler", check_scheduler, ()),
    ("keyring", check_keyring, ()),
)


def _qt_app() -> QApplication:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["escalation-console", "-platform", "offscreen"])
        app.setApplicationName("Escalation Console")
    if not isinstance(app, QApplication):
        raise CheckFailed(f"a {type(app).__name__} is running, not a QApplication")
    return app


def run(out: TextIO | None = None) -> int:
    """Run every check, print a checklist, and return 0 if all passed, else 1."""
    stream: TextIO = out or sys.stdout
    # Always offscreen: the self-test must not open windows, and it runs on CI machines
    # and in bundles without a display. Set before Qt is imported.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

    def say(text: str) -> None:
        nonlocal stream
        try:
            print(text, file=stream, flush=True)
        except BrokenPipeError:  # e.g. piped into `head`: keep checking, quietly
            if stream is sys.stdout:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            stream = open(os.devnull, "w")  # noqa: SIM115

    say(f"Escalation Console {__version__} self-test ({_where()})")
    started = time.monotonic()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="escalation-console-selftest-") as tmp:
        ctx: dict[str, Any] = {"tmp": Path(tmp)}
        for name, check, needs in CHECKS:
            missing = [n for n in needs if n not in ctx]
            if missing:
                failed.append(name)
                say(f"[FAIL] {name}: skipped, needs the {', '.join(missing)} check to pass")
                continue
            try:
                detail = check(ctx)
            except CheckFailed as exc:
                failed.append(name)
                say(f"[FAIL] {name}: {exc}")
            except Exception as exc:
                failed.append(name)
                say(f"[FAIL] {name}: {type(exc).__name__}: {exc}")
                trace = traceback.format_exc().rstrip().splitlines()
                say("\n".join("       " + line for line in trace[-12:]))
            else:
                say(f"[ok]   {detail}")
    elapsed = time.monotonic() - started
    if failed:
        say(f"self-test FAILED: {len(failed)} of {len(CHECKS)} checks "
            f"({', '.join(failed)}) in {elapsed:.1f} s")
        return 1
    say(f"self-test passed: {len(CHECKS)} checks in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
