"""The wheel carries resources/, matrices/ and the migrations, and works once installed.

Builds the wheel from a copy of the checkout (so the checkout's build/ never leaks in),
then installs it with pip into a fresh venv that borrows the test environment's
dependencies, and runs its ``escalation-console``: about 15 seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .helpers import ICON_SIZES, ROOT, assert_checklist

pytestmark = pytest.mark.slow

SOURCES = ("console", "resources", "matrices", "setup.py", "pyproject.toml", "MANIFEST.in",
           "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                             "-w", str(tmp / "dist"), str(src)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = (tmp / "dist").glob("escalation_console-*.whl")
    return found


def test_the_wheel_carries_the_shipped_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "console/_data/matrices/default.yaml",
        "console/_data/resources/icons/escalation-console.svg",
        "console/_data/resources/escalation-console.desktop",
        "console/_data/resources/styles/light.qss",
        "console/_data/resources/styles/wall.qss",
        "console/_data/resources/sounds/alert.wav",
        "console/store/migrations/env.py",
        "console/store/migrations/script.py.mako",
        "console/selftest.py",
        *(f"console/_data/resources/icons/hicolor/{n}x{n}/apps/escalation-console.png"
          for n in ICON_SIZES),
        *(f"console/_data/matrices/{p.name}" for p in (ROOT / "matrices").glob("*.yaml")),
        *(f"console/store/migrations/versions/{p.name}"
          for p in (ROOT / "console/store/migrations/versions").glob("*.py")),
    }
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A venv holding only the wheel; the dependencies come from this test environment."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    site = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # a plain path, not a site dir: the checkout's editable install stays out of sight
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run([sys.executable, "-m", "pip", "--python", python,
                             "install", "-q", "--no-deps", "--no-index", str(wheel)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv


def test_an_installed_wheel_finds_its_data_without_the_checkout(installed, tmp_path):
    python = str(installed / "bin" / "python")
    where = subprocess.run(
        [python, "-c", "import console.paths as p; print(p.default_matrix_path()); "
                       "print(p.resources_dir())"],
        capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    matrix, resources = map(Path, where)
    assert matrix.is_relative_to(installed) and matrix.is_file()
    assert (resources / "icons" / "hicolor" / "512x512" / "apps" / "escalation-console.png"
            ).is_file()
    assert (resources / "styles" / "light.qss").is_file()
    app = str(installed / "bin" / "escalation-console")
    result = subprocess.run([app, "matrix", "validate", str(matrix)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and "valid" in result.stdout, result.stdout + result.stderr


def test_an_installed_wheel_passes_its_self_test(installed, tmp_path):
    app = str(installed / "bin" / "escalation-console")
    result = subprocess.run([app, "--self-test"], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_checklist(result.stdout)
    assert "installed package in " + str(installed) in result.stdout
