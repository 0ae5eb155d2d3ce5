"""Render the app icon (resources/icons/escalation-console.svg) to the PNG icon set.

Writes ``resources/icons/hicolor/NxN/apps/escalation-console.png`` for every size in
SIZES: the freedesktop icon-theme layout, so packaging/build.sh copies the tree as is
into ``share/icons/hicolor/``. The PNGs are committed; rerun this after editing the SVG:

    python packaging/render_icons.py            # (re)render every size
    python packaging/render_icons.py --missing  # only the sizes that are not there yet
    python packaging/render_icons.py --check    # exit 1 if a PNG is missing or stale

Uses Qt's SVG renderer (QtSvg from PySide6) on the offscreen platform, so it runs
without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "escalation-console.svg"
OUT = ROOT / "resources" / "icons" / "hicolor"
NAME = "escalation-console"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def png_path(size: int, out: Path = OUT) -> Path:
    return out / f"{size}x{size}" / "apps" / f"{NAME}.png"


def _app():  # type: ignore[no-untyped-def]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication([sys.argv[0]])


def render(size: int, svg: Path = SVG):  # type: ignore[no-untyped-def]
    """The icon as a size x size QImage with a transparent background."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def _same(image, path: Path) -> bool:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QImage

    if not path.is_file():
        return False
    existing = QImage(str(path)).convertToFormat(image.format())
    return existing == image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--missing", action="store_true", help="render only absent sizes")
    mode.add_argument("--check", action="store_true",
                      help="render nothing; exit 1 if a PNG is missing or differs from the SVG")
    parser.add_argument("--output", type=Path, default=OUT, metavar="DIR",
                        help=f"hicolor folder to write (default: {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    app = _app()  # noqa: F841  (QPainter needs a QGuiApplication)
    stale = []
    for size in SIZES:
        path = png_path(size, args.output)
        if args.missing and path.is_file():
            continue
        image = render(size)
        if args.check:
            if not _same(image, path):
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"render_icons: cannot write {path}")
        print(f"wrote {path}")
    if stale:
        for path in stale:
            print(f"missing or stale: {path}", file=sys.stderr)
        print("run: python packaging/render_icons.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
