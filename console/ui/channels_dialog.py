"""Notifications > Channels: per-channel settings, secrets and "Send test".

Plain settings (SMTP host, pacing, the PagerDuty events URL) go to the console's
settings file. Secrets (webhook URLs, the SMTP password, PagerDuty routing keys) go
to the OS keyring only; the dialog never shows a stored secret, only whether one is
set. Keyring calls and test sends run on a background thread: the GUI never waits on
the network.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.app.notify_ops import load_config, save_config, send_test
from console.app.notify_secrets import SECRET_LABELS, NotifySecrets, Secrets, refs_for
from console.domain.matrix import Matrix

TABS = (("slack", "Slack"), ("teams", "Teams"), ("email", "Email"),
        ("pagerduty", "PagerDuty"), ("webhook", "Webhook"))
DEFAULT_ADDRESS = "(default for every address)"
Sender = Callable[..., Any]


class _Background(QObject):
    """Runs a function on a thread and calls back on the GUI thread."""

    _done = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._done.connect(self._deliver)
        self.running = 0

    def run(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None:
        self.running += 1

        def work() -> None:
            try:
                result: Any = fn()
            except Exception as exc:  # shown to the user, never raised into Qt
                result = exc
            with contextlib.suppress(RuntimeError):  # the dialog was closed meanwhile
                self._done.emit(then, result)

        threading.Thread(target=work, daemon=True, name="channels-dialog").start()

    @Slot(object, object)
    def _deliver(self, then: Callable[[Any], None], result: Any) -> None:
        self.running -= 1
        then(result)


class ChannelTab(QWidget):
    """One channel: its settings, its secret per address, and a test."""

    def __init__(self, channel: str, config: dict[str, Any], addresses: list[str],
                 dialog: ChannelsDialog) -> None:
        super().__init__(dialog)
        self.channel = channel
        self.dialog = dialog
        self.fields: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        c = config.get(channel) or {}
        if channel in ("slack", "teams"):
            self._double(form, "min_interval", "Seconds between messages per webhook",
                         float(c.get("min_interval", 1.0)), 0.0, 60.0)
            self._int(form, "max_batch", "Alerts per digest message",
                      int(c.get("max_batch", 20)), 1, 25)
        elif channel == "email":
            for key, label in (("host", "SMTP server"), ("username", "User name"),
                               ("sender", "From address"), ("cafile", "CA bundle (optional)")):
                self._text(form, key, label, str(c.get(key) or ""))
            self._int(form, "port", "Port", int(c.get("port") or 587), 1, 65535)
            box = QCheckBox("Require STARTTLS (recommended)")
            box.setChecked(bool(c.get("starttls", True)))
            self.fields["starttls"] = box
            form.addRow("", box)
        elif channel == "pagerduty":
            self._text(form, "events_url", "Events API v2 URL",
                       str(c.get("events_url") or "https://events.pagerduty.com/v2/enqueue"))
        secret_form = QFormLayout()
        layout.addLayout(secret_form)
        self.address = QComboBox()
        self.address.setEditable(True)
        if channel == "email":
            self.address.addItem("")
            self.address.setToolTip("Send the test to this email address")
        else:
            self.address.addItem(DEFAULT_ADDRESS)
        self.address.addItems(addresses)
        self.address.currentTextChanged.connect(lambda _: self.refresh_secret_state())
        secret_form.addRow("Test address" if channel == "email" else "Address", self.address)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("leave empty to keep the stored one")
        secret_form.addRow(SECRET_LABELS[channel], self.secret)
        self.secret_state = QLabel("")
        secret_form.addRow("In the keyring", self.secret_state)
        row = QHBoxLayout()
        self.save_secret_button = QPushButton("Save secret")
        self.forget_button = QPushButton("Forget secret")
        self.test_button = QPushButton("Send test")
        for b in (self.save_secret_button, self.forget_button, self.test_button):
            row.addWidget(b)
        layout.addLayout(row)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self.save_secret_button.clicked.connect(self.save_secret)
        self.forget_button.clicked.connect(self.forget_secret)
        self.test_button.clicked.connect(self.send_test)

    # -- fields ---------------------------------------------------------------------------
    def _text(self, form: QFormLayout, key: str, label: str, value: str) -> None:
        edit = QLineEdit(value)
        self.fields[key] = edit
        form.addRow(label, edit)

    def _int(self, form: QFormLayout, key: str, label: str, value: int, lo: int, hi: int
             ) -> None:
        box = QSpinBox()
        box.setRange(lo, hi)
        box.setValue(value)
        self.fields[key] = box
        form.addRow(label, box)

    def _double(self, form: QFormLayout, key: str, label: str, value: float, lo: float,
                hi: float) -> None:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(2)
        box.setValue(value)
        self.fields[key] = box
        form.addRow(label, box)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in self.fields.items():
            if isinstance(w, QLineEdit):
                out[key] = w.text().strip()
            elif isinstance(w, QCheckBox):
                out[key] = w.isChecked()
            elif isinstance(w, QSpinBox | QDoubleSpinBox):
                out[key] = w.value()
        return out

    # -- secrets and tests ------------------------------------------------------------------
    def current_address(self) -> str:
        text = self.address.currentText().strip()
        return "" if text == DEFAULT_ADDRESS else text

    def ref(self) -> str:
        if self.channel == "email":
            return "email:password"
        address = self.current_address()
        return refs_for(self.channel, address)[0]

    def refresh_secret_state(self) -> None:
        ref = self.ref()
        self.secret_state.setText("checking…")
        self.dialog.jobs.run(lambda: bool(self.dialog.secrets.get(ref)),
                             lambda found: self._show_state(ref, found))

    def _show_state(self, ref: str, found: Any) -> None:
        if ref != self.ref():
            return
        if isinstance(found, Exception):
            self.secret_state.setText(f"keyring unavailable: {found}")
        else:
            self.secret_state.setText(f"{ref}: set" if found else f"{ref}: not set")

    def save_secret(self) -> None:
        value = self.secret.text().strip()
        if not value:
            self.result.setText("Type the secret first.")
            return
        ref = self.ref()
        self.secret.clear()
        self.dialog.jobs.run(lambda: self.dialog.secrets.set(ref, value),
                             lambda r: self._saved(ref, r, "saved in the OS keyring"))

    def forget_secret(self) -> None:
        ref = self.ref()
        self.dialog.jobs.run(lambda: self.dialog.secrets.delete(ref),
                             lambda r: self._saved(ref, r, "removed from the OS keyring"))

    def _saved(self, ref: str, result: Any, what: str) -> None:
        if isinstance(result, Exception):
            self.result.setText(f"Could not change {ref}: {result}")
        else:
            self.result.setText(f"{ref} {what}.")
            self.dialog.secretsChanged.emit()
        self.refresh_secret_state()

    def send_test(self) -> None:
        config = self.dialog.config_from_tabs()
        address = self.current_address()
        self.test_button.setEnabled(False)
        self.result.setText("Sending a test message…")
        secrets, sender, channel = self.dialog.secrets, self.dialog.test_sender, self.channel
        self.dialog.jobs.run(lambda: sender(channel, address, config=config, secrets=secrets),
                             self._tested)

    def _tested(self, result: Any) -> None:
        self.test_button.setEnabled(True)
        if isinstance(result, Exception):
            self.result.setText(f"Test failed: {result}")
        elif result.ok:
            extra = f" ({result.external_id})" if result.external_id else ""
            self.result.setText(f"Test message sent{extra}.")
        else:
            kind = "will not work as configured" if result.final else "temporary problem"
            self.result.setText(f"Test failed, {kind}: {result.error}")


class ChannelsDialog(QDialog):
    """Settings for every notification channel, with a test per channel."""

    secretsChanged = Signal()
    saved = Signal()

    def __init__(self, data_dir: str | Path, matrix: Matrix | None = None, *,
                 secrets: Secrets | None = None,
                 sender: Sender = send_test, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notification channels")
        self.data_dir = data_dir
        self.secrets = secrets if secrets is not None else NotifySecrets()
        self.test_sender = sender  # not self.sender: QObject.sender() is a method
        self.jobs = _Background(self)
        self.config = load_config(data_dir)
        self.tabs = QTabWidget()
        self.channel_tabs: dict[str, ChannelTab] = {}
        for channel, title in TABS:
            tab = ChannelTab(channel, self.config, self._addresses(matrix, channel), self)
            self.channel_tabs[channel] = tab
            self.tabs.addTab(tab, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.status = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        for tab in self.channel_tabs.values():
            tab.refresh_secret_state()

    @staticmethod
    def _addresses(matrix: Matrix | None, channel: str) -> list[str]:
        if matrix is None:
            return []
        found = {c.addresses[channel] for c in matrix.contacts if channel in c.addresses}
        return sorted(found)

    def config_from_tabs(self) -> dict[str, Any]:
        config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.config.items()}
        for channel, tab in self.channel_tabs.items():
            config[channel] = {**(config.get(channel) or {}), **tab.values()}
        return config

    def save(self) -> None:
        try:
            save_config(self.data_dir, self.config_from_tabs())
        except Exception as exc:  # a read-only or full disk: say so, keep the dialog open
            self.status.setText(f"Could not save the settings: {exc}")
            return
        self.config = self.config_from_tabs()
        self.status.setText("Saved.")
        self.saved.emit()
