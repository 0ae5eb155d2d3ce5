"""Starting the desktop console where it cannot open a window: one clear line and a
non-zero exit, never Qt's abort with a misleading cause, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from console.display import XCB_LIBRARIES, gui_start_problem

ROOT = Path(__file__).resolve().parent.parent
GUI_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def start_gui(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in GUI_VARIABLES}
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**base, **env})


def test_without_a_display_the_console_says_so_in_one_line(tmp_path):
    result = start_gui(tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for words in ("DISPLAY", "WAYLAND_DISPLAY", "--wall", "QT_QPA_PLATFORM=offscreen"):
        assert words in lines[0]
    assert "xcb-cursor" not in lines[0]


def test_a_missing_xcb_library_is_named_with_the_apt_command(tmp_path):
    # a broken copy first on the library path: the loader finds it and cannot use it,
    # as on a desktop without libxcb-cursor0
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "libxcb-cursor.so.0").write_bytes(b"not a library")
    result = start_gui(tmp_path, DISPLAY=":99", LD_LIBRARY_PATH=str(libs))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "libxcb-cursor.so.0" in lines[0]
    assert lines[0].endswith("sudo apt install libxcb-cursor0")


def test_only_the_x11_plugin_needs_the_xcb_libraries():
    def nothing_loads(name: str) -> object:
        raise OSError(name)

    linux = {"platform": "linux", "load": nothing_loads}
    assert gui_start_problem({"QT_QPA_PLATFORM": "offscreen"}, **linux) is None
    assert gui_start_problem({"WAYLAND_DISPLAY": "wayland-0"}, **linux) is None
    assert gui_start_problem({"DISPLAY": ":0"}, ["-platform", "wayland"], **linux) is None
    every = gui_start_problem({"DISPLAY": ":0"}, **linux)
    assert every is not None
    assert every.endswith(" ".join(package for _, package in XCB_LIBRARIES))
    assert "neither DISPLAY" in (gui_start_problem({"QT_QPA_PLATFORM": "xcb",
                                                     "WAYLAND_DISPLAY": "w"}, **linux) or "")
