"""Where the shipped data lives: the matrix files and the resources.

A source checkout (and an editable install) keeps ``matrices/`` and ``resources/`` at
the top of the repository, next to the ``console`` package. A wheel carries copies in
``console/_data/`` (see setup.py). The checkout wins when both exist. A frozen
PyInstaller bundle (packaging/escalation-console.spec) carries them at the top of its
data folder, ``sys._MEIPASS``.

These are read-only, shipped files. The user's own data (the SQLite store, settings)
lives elsewhere.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / name  # a PyInstaller bundle
    # pyproject.toml marks a checkout, so a stray site-packages/matrices never matches.
    in_checkout = _REPO_ROOT / name
    if (_REPO_ROOT / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return Path(str(files("console") / "_data" / name))


def matrices_dir() -> Path:
    """Return the folder that holds the shipped matrix files."""
    return _data_dir("matrices")


def resources_dir() -> Path:
    """Return the folder that holds icons, stylesheets, sounds and the .desktop file."""
    return _data_dir("resources")


def default_matrix_path() -> Path:
    """Return the path of the default matrix, ``matrices/default.yaml``."""
    return matrices_dir() / "default.yaml"
