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


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
