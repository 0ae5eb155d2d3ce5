"""A broken settings.json never crashes the console: it warns, naming the file, falls
back to the defaults, and is kept aside (never silently overwritten) before a rewrite."""

from __future__ import annotations

import json
import logging

import pytest

from console.app.settings import SCHEMA_VERSION, Settings

BROKEN = {
    "deeply nested": b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not JSON": b'{"shared_db_url": "postgresql://db/x",',
    "not UTF-8": b'{"role": "caf\xe9"}',
    "not an object": b'["agent"]',
    "empty": b"",
}


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_settings_file_warns_naming_it_and_reads_as_the_defaults(
        tmp_path, caplog, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="console.app.settings"):
        data = Settings(tmp_path).load()
    assert data == {"schema_version": SCHEMA_VERSION}
    assert str(path) in caplog.text and "using the default settings" in caplog.text
    assert path.read_bytes() == content  # reading never touches it


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_changing_a_setting_keeps_the_broken_file_aside_first(tmp_path, caplog, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="console.app.settings"):
        Settings(tmp_path).set("role", "lead")
    [kept] = tmp_path.glob("settings.json.broken-*")
    assert kept.read_bytes() == content
    assert kept.name in caplog.text
    assert json.loads(path.read_text()) == {"role": "lead", "schema_version": SCHEMA_VERSION}
    assert Settings(tmp_path).get("role") == "lead"


def test_a_good_settings_file_is_rewritten_without_a_copy(tmp_path):
    Settings(tmp_path).set("role", "lead")
    Settings(tmp_path).set("role", "agent")
    assert Settings(tmp_path).get("role") == "agent"
    assert not list(tmp_path.glob("settings.json.broken-*"))
