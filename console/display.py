"""Can the desktop console open a window here? Checked before Qt starts.

Without a display, or without the system libraries of Qt's X11 (xcb) plugin, Qt aborts
with a message that names the wrong cause ("xcb-cursor0 is needed" when there is no
display at all). These checks say what is wrong, and what to do, in one line. No Qt
import here: this runs before Qt loads its platform plugin.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence

#: What Qt's xcb platform plugin links to (``ldd libqxcb.so``), beyond what every
#: Linux desktop has, with the Debian and Ubuntu package of each.
XCB_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-render.so.0", "libxcb-render0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-shm.so.0", "libxcb-shm0"),
    ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-util.so.1", "libxcb-util1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxcb.so.1", "libxcb1"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libX11.so.6", "libx11-6"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libEGL.so.1", "libegl1"),
    ("libGL.so.1", "libgl1"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libdbus-1.so.3", "libdbus-1-3"),
)

NO_DISPLAY = ("no display to open the console on: neither DISPLAY (X11) nor "
              "WAYLAND_DISPLAY (Wayland) is set. Start it from a desktop session (on a "
              "kiosk, from its X session with --wall), or set QT_QPA_PLATFORM=offscreen "
              "to run it without a screen")


def qt_platform(environ: Mapping[str, str], qt_args: Sequence[str]) -> str:
    """The platform plugin Qt was asked for (``-platform`` beats $QT_QPA_PLATFORM),
    without its options (``xcb:foo`` -> ``xcb``); "" when none was asked for."""
    args = list(qt_args)
    for i, arg in enumerate(args[:-1]):
        if arg in ("-platform", "--platform"):
            return args[i + 1].split(":", 1)[0].strip().lower()
    return environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].split(";", 1)[0].strip().lower()


def missing_libraries(load: Callable[[str], object] = ctypes.CDLL) -> list[tuple[str, str]]:
    """The xcb plugin's libraries that cannot be loaded here: (soname, package)."""
    missing = []
    for soname, package in XCB_LIBRARIES:
        try:
            load(soname)
        except OSError:
            missing.append((soname, package))
    return missing


def gui_start_problem(environ: Mapping[str, str] | None = None, qt_args: Sequence[str] = (),
                      *, platform: str = sys.platform,
                      load: Callable[[str], object] = ctypes.CDLL) -> str | None:
    """Why the desktop console cannot open a window here, in one line; None if it can
    (as far as we can tell: other platforms and plugins are left to Qt)."""
    if not platform.startswith("linux"):
        return None
    env = os.environ if environ is None else environ
    plugin = qt_platform(env, qt_args)
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if plugin not in ("", "xcb"):
        return None  # offscreen, wayland, eglfs, vnc...: Qt reports its own problems
    if not x11 and (plugin == "xcb" or not wayland):
        return NO_DISPLAY
    if plugin == "" and wayland:
        return None  # Qt may use the Wayland plugin, which needs none of the xcb libraries
    missing = missing_libraries(load)
    if not missing:
        return None
    names = ", ".join(soname for soname, _ in missing)
    packages = " ".join(package for _, package in missing)
    return (f"the desktop console needs system libraries that are missing here ({names}); "
            f"on Debian or Ubuntu install them with: sudo apt install {packages}")
