"""The desktop entry, AppStream metainfo, icon set, spec and build script: fast checks."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import console

from .helpers import ICON_SIZES, PACKAGING, ROOT

DESKTOP = PACKAGING / "escalation-console.desktop"
METAINFO = PACKAGING / "io.github.escalation_console.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_wheel_carries_the_same_desktop_entry_as_the_package():
    assert (ROOT / "resources" / "escalation-console.desktop").read_bytes() == \
        DESKTOP.read_bytes()


def test_desktop_entry_has_what_a_launcher_needs():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Escalation Console"
    assert entry["GenericName"] == "Incident escalation console"
    assert entry["Exec"] == "escalation-console"
    assert entry["Icon"] == "escalation-console"
    assert entry["StartupWMClass"] == "escalation-console"
    assert "Office" in entry["Categories"].split(";")
    assert entry["Categories"].endswith(";") and entry["Keywords"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt install desktop-file-utils)")
def test_desktop_entry_validates():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_matches_the_app():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.github.escalation_console"
    assert root.find("launchable").text == DESKTOP.name
    assert root.find("provides/binary").text == desktop_entry()["Exec"]
    newest = root.find("releases/release")
    assert newest.get("version") == console.__version__, \
        "add a <release> for the new version to the metainfo"


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli not installed (apt install appstream)")
def test_metainfo_validates():
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_icon_size_is_committed_and_matches_the_svg():
    for size in ICON_SIZES:
        path = ROOT / "resources/icons/hicolor" / f"{size}x{size}/apps/escalation-console.png"
        assert path.is_file(), path
    result = subprocess.run([sys.executable, str(PACKAGING / "render_icons.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_spec_is_python_and_bundles_the_data_folders():
    source = (PACKAGING / "escalation-console.spec").read_text(encoding="utf-8")
    ast.parse(source)
    for needle in ('tree(ROOT / "resources", "resources")', 'tree(ROOT / "matrices", "matrices")',
                   '"console/store/migrations"', 'collect_all("holidays")', '"PySide6.QtSvg"'):
        assert needle in source


def test_build_script_parses_and_is_strict():
    script = PACKAGING / "build.sh"
    assert "set -euo pipefail" in script.read_text(encoding="utf-8")
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_spec_keeps_every_qt_module_the_app_imports():
    tree = ast.parse((PACKAGING / "escalation-console.spec").read_text(encoding="utf-8"))
    (excluded,) = [ast.literal_eval(node.value) for node in tree.body
                   if isinstance(node, ast.Assign)
                   and getattr(node.targets[0], "id", None) == "QT_EXCLUDES"]
    used = set()
    for path in (ROOT / "console").rglob("*.py"):
        used.update(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert used, "found no Qt imports at all"
    clash = sorted(used & set(excluded))
    assert not clash, f"the app imports {clash}; take them out of QT_EXCLUDES in the spec"
