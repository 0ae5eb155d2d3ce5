"""The in-app alert list: every alert this console raised, newest first.

It is always there, whatever the desktop does with notifications. Entries carry the
time, the headline with a severity badge, a LATE mark for alerts that fell due while
the console was closed, and Acknowledge / Open ticket (buttons under the list, the
context menu, or a double-click to open). A summary (the tickets that needed action
when the console first started) is one entry; it is updated in place while it grows,
and Open shows its most urgent ticket. Acknowledged entries turn grey. Unacknowledged
ones come back after a restart (the app layer keeps them). The list keeps the last
MAX_ENTRIES alerts. An optional sound plays on breaches.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QPoint, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.alerts import AlertBatch, AlertEntry, AlertSummary
from console.domain.matrix import Matrix
from console.paths import resources_dir

from .theme import severity_color, text_on

log = logging.getLogger(__name__)

MAX_ENTRIES = 500
DATA = Qt.ItemDataRole.UserRole
ACKED_COLOR = "#8b949e"
FALLBACK_COLORS = {"P1": "#d32f2f", "P2": "#ef6c00", "P3": "#f9a825", "P4": "#4f8fba"}


def sound_path() -> str:
    return str(resources_dir() / "sounds" / "alert.wav")


class AlertList(QWidget):
    acknowledgeRequested = Signal(str, str)  # ticket, alert key
    openRequested = Signal(str)              # ticket

    def __init__(self, parent: QWidget | None = None, matrix: Matrix | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertList")
        self.matrix = matrix
        self._badges: dict[str, QIcon] = {}
        self._sound: Any = None
        self._sound_failed = False

        self.title = QLabel("Alerts", self)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.sound_box = QCheckBox("Sound", self)
        self.sound_box.setObjectName("alertSound")
        self.sound_box.setToolTip("Play a sound when a ticket breaches")
        self.sound_box.toggled.connect(self.set_sound_enabled)
        self.list = QListWidget(self)
        self.list.setObjectName("alertEntries")
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemDoubleClicked.connect(lambda item: self._open(item))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.ack_button = QPushButton("&Acknowledge", self)
        self.ack_button.setObjectName("alertAcknowledge")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.open_button = QPushButton("&Open ticket", self)
        self.open_button.setObjectName("alertOpen")
        self.open_button.clicked.connect(self.open_selected)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.sound_box)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_matrix(self, matrix: Matrix) -> None:
        """Follow a newly published version: new alerts take its severity colours."""
        self.matrix = matrix
        self._badges.clear()

    # -- adding -------------------------------------------------------------------------
    def add(self, entry: AlertEntry, at: datetime | None = None, *, sound: bool = True
            ) -> None:
        """Add one alert or summary at the top (``at`` is when it arrived, local time;
        default now). An entry whose key is listed already is replaced."""
        at = (at or datetime.now()).astimezone()
        summary = isinstance(entry, AlertSummary)
        self._take(entry.key)
        item = QListWidgetItem(self._badge(entry.severity), "")
        title = entry.detail if isinstance(entry, AlertSummary) else entry.title
        item.setData(DATA, {"ticket": entry.ticket, "key": entry.key, "late": entry.late,
                            "breach": entry.breach, "acknowledged": False,
                            "headline": entry.headline, "title": title,
                            "summary": summary, "time": f"{at:%H:%M:%S}"})
        item.setToolTip(f"{entry.headline}\n{title}".strip())
        self._render(item)
        self.list.insertItem(0, item)
        while self.list.count() > MAX_ENTRIES:
            self.list.takeItem(self.list.count() - 1)  # the oldest; Python frees the item
        self._update_count()
        if sound and entry.breach and self.sound_box.isChecked():
            self._play()

    def add_batch(self, batch: AlertBatch) -> None:
        """Add what one check raised, or what was still unacknowledged at start (at the
        times it was raised, and silently)."""
        times = batch.raised_at or (None,) * len(batch.panel)
        for entry, at in zip(batch.panel, times, strict=True):
            self.add(entry, at, sound=not batch.restored)

    def _take(self, key: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(DATA)["key"] == key:
                self.list.takeItem(i)
                return

    def _render(self, item: QListWidgetItem) -> None:
        d = item.data(DATA)
        late = "LATE · " if d["late"] else ""
        detail = d["title"] + (" · acknowledged" if d["acknowledged"] else "")
        item.setText(f"{d['time']}  {late}{d['headline']}\n{detail}".rstrip())
        font = QFont(self.list.font())
        font.setBold(d["breach"] and not d["acknowledged"])
        font.setItalic(d["late"])
        item.setFont(font)
        if d["acknowledged"]:
            item.setForeground(QColor(ACKED_COLOR))
            item.setIcon(QIcon(item.icon().pixmap(28, 20, QIcon.Mode.Disabled)))
        elif d["breach"]:
            item.setForeground(QColor("#b71c1c"))

    def _badge(self, severity: str) -> QIcon:
        icon = self._badges.get(severity)
        if icon is None:
            if self.matrix is not None:
                color = severity_color(self.matrix, severity)
            else:
                color = QColor(FALLBACK_COLORS.get(severity, "#757575"))
            pix = QPixmap(28, 20)
            pix.fill(Qt.GlobalColor.transparent)
            p = QPainter(pix)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(QRectF(0, 0, 28, 20), 4, 4)
            font = QFont(self.font())
            font.setBold(True)
            font.setPixelSize(11)
            p.setFont(font)
            p.setPen(text_on(color))
            p.drawText(QRectF(0, 0, 28, 20), Qt.AlignmentFlag.AlignCenter, severity[:3])
            p.end()
            icon = self._badges[severity] = QIcon(pix)
        return icon

    # -- acting -------------------------------------------------------------------------
    def mark_acknowledged(self, key: str) -> None:
        """Grey out the entries of one alert (acknowledged here or on another console)."""
        self.mark_all_acknowledged([key])

    def mark_all_acknowledged(self, keys: list[str]) -> None:
        """Grey out the entries of these alerts."""
        done = set(keys)
        for i in range(self.list.count()):
            item = self.list.item(i)
            d = item.data(DATA)
            if d["key"] in done and not d["acknowledged"]:
                d["acknowledged"] = True
                item.setData(DATA, d)
                self._render(item)
        self._update_buttons()
        self._update_count()

    def acknowledge_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        d = item.data(DATA)
        if not d["acknowledged"]:
            # a summary is seen, not a ticket taken: no ticket to acknowledge
            self.acknowledgeRequested.emit("" if d.get("summary") else d["ticket"], d["key"])
            self.mark_acknowledged(d["key"])

    def open_selected(self) -> None:
        self._open(self.list.currentItem())

    def _open(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.openRequested.emit(item.data(DATA)["ticket"])

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        ack = menu.addAction("Acknowledge", self.acknowledge_selected)
        ack.setEnabled(not item.data(DATA)["acknowledged"])
        menu.addAction("Open ticket", self.open_selected)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        self.open_button.setEnabled(item is not None)
        self.ack_button.setEnabled(item is not None and not item.data(DATA)["acknowledged"])

    def _update_count(self) -> None:
        waiting = sum(1 for i in range(self.list.count())
                      if not self.list.item(i).data(DATA)["acknowledged"])
        self.title.setText(f"Alerts · {waiting} to acknowledge" if waiting else "Alerts")

    # -- for tests and the main window ----------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        """Newest first: ticket, key, late, breach, acknowledged, headline, title, summary,
        time, text."""
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            out.append({**item.data(DATA), "text": item.text()})
        return out

    # -- sound --------------------------------------------------------------------------
    def set_sound_enabled(self, on: bool) -> None:
        if self.sound_box.isChecked() != on:
            self.sound_box.setChecked(on)  # re-enters through toggled
            return
        if on:
            self._load_sound()

    @property
    def sound_available(self) -> bool:
        return self._sound is not None

    def _load_sound(self) -> None:
        if self._sound is not None or self._sound_failed:
            return
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except (ImportError, OSError) as exc:  # e.g. no libpulse on a headless box
            self._sound_failed = True
            log.info("alert sound unavailable (Qt Multimedia: %s); alerts stay silent", exc)
            return
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(sound_path()))
        effect.setVolume(0.8)
        self._sound = effect

    def _play(self) -> None:
        self._load_sound()
        if self._sound is not None:
            self._sound.play()
