"""Names vulture reports as unused that are used, in ways it cannot see.

CI runs ``vulture console vulture_whitelist.py --min-confidence 60``. A name belongs
here only with the reason it is used; code that is really unused is deleted instead.
Regenerate candidates with ``vulture console --min-confidence 60 --make-whitelist``.
"""
# ruff: noqa: B018, F821

# -- Qt calls these overrides, slots and option fields by name ----------------------------
_.eventFilter  # installEventFilter (ui/app.py, forms/base.py, queue_delegates.py)
watched  # eventFilter's required parameter (queue_delegates.py)
_.paintEvent  # QWidget override (ui/wall.py)
_.wheelEvent  # QGraphicsView override (flowchart/view.py)
_.shape  # QGraphicsItem override: the hit area (flowchart/items.py)
_.sibling  # QAbstractProxyModel overrides (queue_filters.py)
_.columnCount
_.hasChildren
_.mapToSource
_.features  # QStyleOptionViewItem fields read by the style (queue_delegates.py)
_.decorationSize
_.CloseNotification  # D-Bus method and signal slots, connected by name (ui/notifier.py)
_._on_action
_._on_closed

# -- Libraries call these by name ------------------------------------------------------------
_.collect  # service/http/metrics.py: prometheus_client's registry calls a collector's collect()

# -- Python keeps these objects alive only through the reference ---------------------------
_._startup_probe  # ui/app.py: a Qt object with no parent would be collected
_._refusal
_._raise_server
_._flowchart
_._reports
_._notifications
_._people  # ui/app.py: the status bar's people part (PeopleStatus, a plain object)
_._bus  # ui/notifier.py: the D-Bus connection lives as long as the notifier

# -- signal handler, SQLAlchemy event and PyYAML override signatures ----------------------
signum  # signal.signal's handler arguments (cli/db.py)
frame
indentless  # domain/flow/yamltext.py: PyYAML's Dumper.increase_indent signature
_on_connect  # @event.listens_for(engine, ...) on SQLite connections (store/local.py)
_on_begin
_.isolation_level  # pysqlite: leave transactions to SQLAlchemy's BEGIN (store/local.py)
display_name  # an ORM column, written through the constructor (store/models.py)

# -- Alembic reads these module attributes of every migration ------------------------------
down_revision
branch_labels
depends_on
downgrade

# -- dispatched by name: getattr(self, f"_{scenario}") (app/usecases/demo/scenarios.py) --
_._ok
_._pre_breach
_._breached
_._paused
_._unconfirmed
_._resolved

# -- data fields read by tests, reports and JSON, not by attribute in console/ -------------
_.computing  # ui/reports/window.py: a report is on its way (tests wait on it)
_.online  # notify/outbox.py: whether the last claim reached the shared database (tests)
_.skipped  # notify/outbox.py PassReport fields
_.held
contact_name  # notify/channels/base.py Target field, filled from the plan
schema_version  # domain/matrix/model.py: the matrix file's version
last_sync  # store/sync.py SyncState: when the last sync finished
_.last_id  # ui/notifier.py: the id of the last notification shown (tests)
_.backend  # ui/notifier.py: "dbus" or "tray" (tests)
_.on_screen  # ui/notifier.py: our notifications on screen
_.sound_available  # ui/alert_list.py: whether the alert sound could load

# -- inspection API the tests drive (the console's behaviour seen from outside) ------------
stored_path  # app/runtime/attachments.py
list_drafts  # app/runtime/drafts.py
_.is_open  # domain/calendar.py
_.next_fire_for  # domain/engine.py
label_rects  # domain/flow/layout.py
_.run_once  # notify/runner.py: one synchronous turn (tests, fake clocks)
_.all_events  # store/local.py
_.projection_fingerprint
_.next_page  # ui/wall.py
_.visible_rows
_.ranked_ids
_.summary_text
_.tile_counts
_.stale_text
_.send_at  # domain/matrix/model.py ReportSchedule: read by the service's weekly email (#15)
_.behind  # store/shared_reports.py: for report --shared (#15) to say the rollup lags; tests
