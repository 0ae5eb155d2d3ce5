"""The PyInstaller bundle, built by packaging/build.sh, runs on its own.

Slow (about 2 minutes: a fresh build venv, the wheel, PyInstaller), so it runs only in
CI (CI=true) or when asked: ESCALATION_CONSOLE_BUILD_BUNDLE=1. To test a bundle built
already, point ESCALATION_CONSOLE_BUNDLE_DIST at build.sh's DIST_DIR instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import console

from .helpers import ICON_SIZES, PACKAGING, assert_checklist, bundle_env

PREBUILT = os.environ.get("ESCALATION_CONSOLE_BUNDLE_DIST")
WANTED = (os.environ.get("ESCALATION_CONSOLE_BUILD_BUNDLE") == "1"
          or os.environ.get("CI", "").lower() == "true" or bool(PREBUILT))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WANTED, reason="builds the bundle (~2 min): set "
                       "ESCALATION_CONSOLE_BUILD_BUNDLE=1 (CI=true does too)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle is Linux-only"),
]
NAME = "escalation-console"
BUILD_TIMEOUT = 900  # a hang should fail, not stall CI; a cold build takes ~2 min


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    if PREBUILT:
        return Path(PREBUILT)
    tmp = tmp_path_factory.mktemp("bundle")
    env = bundle_env(BUILD_DIR=str(tmp / "build"), DIST_DIR=str(tmp / "dist"),
                     PYTHON=sys.executable)
    result = subprocess.run(["bash", str(PACKAGING / "build.sh")], capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT, env=env, cwd=tmp)
    assert result.returncode == 0, (result.stdout[-6000:] + "\n" + result.stderr[-6000:])
    assert "self-test passed" in result.stdout
    return tmp / "dist"


@pytest.fixture(scope="module")
def app(dist) -> Path:
    return dist / NAME / NAME


def test_build_makes_the_wheel_the_bundle_and_the_tarball(dist, app):
    assert list(dist.glob(f"escalation_console-{console.__version__}-*.whl"))
    assert app.is_file() and os.access(app, os.X_OK)
    assert list(dist.glob(f"{NAME}-{console.__version__}-linux-*.tar.gz"))


def test_the_bundle_passes_its_self_test_outside_the_checkout(app, tmp_path):
    result = subprocess.run([str(app), "--self-test"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=bundle_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert_checklist(result.stdout)
    assert "frozen bundle in" in result.stdout
    assert f"{app.parent}/_internal/matrices" in result.stdout


def test_the_bundle_runs_the_headless_commands(app, tmp_path):
    version = subprocess.run([str(app), "--version"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path, env=bundle_env())
    assert version.stdout.strip() == f"escalation-console {console.__version__}"
    matrix = app.parent / "_internal" / "matrices" / "default.yaml"
    result = subprocess.run([str(app), "matrix", "validate", str(matrix)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path, env=bundle_env())
    assert result.returncode == 0 and "valid" in result.stdout, result.stdout + result.stderr


def test_the_tarball_is_an_installable_prefix_tree(dist):
    (tarball,) = dist.glob(f"{NAME}-*.tar.gz")
    top = f"{NAME}-{console.__version__}"
    with tarfile.open(tarball) as archive:
        members = {m.name: m for m in archive.getmembers()}
        expected = {
            f"{top}/bin/{NAME}", f"{top}/lib/{NAME}/{NAME}",
            f"{top}/share/applications/{NAME}.desktop",
            f"{top}/share/metainfo/io.github.escalation_console.metainfo.xml",
            f"{top}/share/icons/hicolor/scalable/apps/{NAME}.svg",
            *(f"{top}/share/icons/hicolor/{n}x{n}/apps/{NAME}.png" for n in ICON_SIZES),
        }
        assert expected <= set(members), sorted(expected - set(members))
        # `tar -xzf ... -C ~/.local --strip-components=1` puts bin/ next to lib/
        link = members[f"{top}/bin/{NAME}"]
        assert link.issym() and link.linkname == f"../lib/{NAME}/{NAME}"
        assert members[f"{top}/lib/{NAME}/{NAME}"].mode & 0o111
        assert f"{top}/lib/{NAME}/_internal/matrices/default.yaml" in members


def test_the_bundle_opens_its_window_on_x(app, tmp_path):
    # the real GUI on the xcb platform: the start-up probe quits after the first paint
    from console.ui.app import STARTUP_PROBE

    env = bundle_env(**{STARTUP_PROBE: str(tmp_path / "probe"), STARTUP_PROBE + "_QUIT": "1"})
    env.pop("QT_QPA_PLATFORM", None)
    command = [str(app), "--local-only", "--data-dir", str(tmp_path / "data")]
    if not env.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            pytest.skip("no DISPLAY and no xvfb-run")
        command = ["xvfb-run", "-a", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    seconds = float((tmp_path / "probe").read_text())
    assert 0 < seconds < 60
