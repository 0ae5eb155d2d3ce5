"""The default matrix as plain records: a fresh copy for every test."""

from __future__ import annotations

import copy
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from console.paths import default_matrix_path, matrices_dir

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the large generated matrix comes from benchmarks/flowchart
    sys.path.insert(0, str(ROOT))


@cache
def _loaded(name: str) -> dict:
    path = default_matrix_path() if name == "default" else matrices_dir() / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def records_of(name: str = "default") -> dict:
    return copy.deepcopy(_loaded(name))


@pytest.fixture
def records() -> dict:
    return records_of()
