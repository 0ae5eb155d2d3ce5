"""Test-wide setup: headless Qt and a throwaway home for every setting and secret.

This runs at import time, before pytest-qt creates the QApplication and before any
code reads a config location, so no test ever touches a real user's files or keyring.
"""

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# One private directory per test session (per worker under pytest-xdist).
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="escalation-console-tests-"))

for _variable, _subdir in (
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CACHE_HOME", "cache"),
    ("ESCALATION_CONSOLE_DATA_DIR", "console-data"),
):
    (_SESSION_HOME / _subdir).mkdir()
    os.environ[_variable] = str(_SESSION_HOME / _subdir)

# Secrets go to a plain file under XDG_DATA_HOME, never the OS keyring.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"

# pg_server, dbs and services for every folder (one PostgreSQL cluster per session)
from shared_fixtures import dbs, pg_server, services  # noqa: E402, F401


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """The service's slow tests run real processes against real time (takeovers within
    a ttl, pages within 2 s of due): under pytest-xdist they share one worker, in turn,
    so two of them never compete for the CPU while they measure."""
    import pytest

    for item in items:
        if item.get_closest_marker("slow") and "tests/service/" in item.nodeid.replace(
                "\\", "/"):
            item.add_marker(pytest.mark.xdist_group("realtime"))
