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


def test_a_second_console_on_the_same_data_dir_raises_the_first_and_exits_at_once(
        tmp_path, qtbot):
    from PySide6.QtNetwork import QLocalSocket

    from console.ui.single_instance import server_name

    data_dir = tmp_path / "d"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "console", "--data-dir", str(data_dir)]
    log = tmp_path / "first.err"
    with log.open("w") as err:
        first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=err)
    try:
        def listening() -> bool:
            probe = QLocalSocket()
            probe.connectToServer(server_name(data_dir))
            up = probe.waitForConnected(200)
            probe.abort()
            return up

        qtbot.waitUntil(listening, timeout=60000)
        second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                                timeout=30)
        assert second.returncode != 0
        assert "already" in second.stderr and str(data_dir) in second.stderr
        assert "brought its window to the front" in second.stderr
        qtbot.waitUntil(lambda: "asked this console to come to the front" in log.read_text(),
                        timeout=10000)
        assert first.poll() is None  # the first console runs on
    finally:
        first.kill()
        first.wait(30)


def test_a_console_refused_by_a_locked_store_exits_without_waiting_on_a_dialog(tmp_path):
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.local import LocalStore

    matrix = load_matrix_file(default_matrix_path())
    data_dir = tmp_path / "d"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with LocalStore(data_dir, matrix):  # a command-line tool holds the lock: no window
        gui = subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir)],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert gui.returncode == 3
    assert "is already using" in gui.stderr
