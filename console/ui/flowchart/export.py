"""Export the whole flowchart (legend included) to PNG, SVG or PDF.

Selection and connect handles are hidden while rendering, so the file shows the
matrix, not the editing state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QImageWriter, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem

from .items import NodeItem
from .scene import FlowScene
from .style import BACKGROUND

MARGIN = 40.0
FORMATS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "pdf": "PDF document (*.pdf)"}


@contextmanager
def _clean(scene: FlowScene) -> Iterator[QRectF]:
    selected = scene.selectedItems()
    scene.clearSelection()
    for node in scene.nodes.values():
        node.show_handle(False)
    # cached items would paint pixmaps: SVG and PDF want text and curves
    cached = [i for i in scene.items() if i.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    modes = [i.cacheMode() for i in cached]
    for item in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield scene.content_rect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    finally:
        for item, mode in zip(cached, modes, strict=True):
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
            if isinstance(item, NodeItem):
                item.show_handle(True)


def _render(scene: FlowScene, painter: QPainter, target: QRectF, source: QRectF) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.fillRect(target, BACKGROUND)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)


def export_png(scene: FlowScene, path: str | Path, scale: float = 2.0) -> QSize:
    with _clean(scene) as source:
        size = QSize(int(source.width() * scale), int(source.height() * scale))
        image = QImage(size, QImage.Format.Format_ARGB32)
        image.fill(BACKGROUND)
        painter = QPainter(image)
        _render(scene, painter, QRectF(0, 0, size.width(), size.height()), source)
        painter.end()
    writer = QImageWriter(str(path), b"png")
    if not writer.write(image):
        raise OSError(f"could not write {path}: {writer.errorString()}")
    return size


def export_svg(scene: FlowScene, path: str | Path, title: str = "Escalation matrix") -> None:
    with _clean(scene) as source:
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QSize(int(source.width()), int(source.height())))
        generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(title)
        generator.setDescription("Escalation Console matrix flowchart")
        painter = QPainter(generator)
        _render(scene, painter, QRectF(0, 0, source.width(), source.height()), source)
        painter.end()
    if not Path(path).is_file():
        raise OSError(f"could not write {path}")


def export_pdf(scene: FlowScene, path: str | Path, title: str = "Escalation matrix") -> None:
    with _clean(scene) as source:
        writer = QPdfWriter(str(path))
        writer.setTitle(title)
        writer.setCreator("Escalation Console")
        writer.setResolution(144)
        orientation = (QPageLayout.Orientation.Landscape if source.width() >= source.height()
                       else QPageLayout.Orientation.Portrait)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A3), orientation,
                                         QMarginsF(10, 10, 10, 10)))
        painter = QPainter(writer)
        page = QRectF(painter.viewport())
        _render(scene, painter, page, source)
        painter.end()
    if not Path(path).is_file():
        raise OSError(f"could not write {path}")


def export(scene: FlowScene, path: str | Path, title: str = "Escalation matrix") -> None:
    """Export by the file's extension: .png, .svg or .pdf."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "png":
        export_png(scene, path)
    elif suffix == "svg":
        export_svg(scene, path, title)
    elif suffix == "pdf":
        export_pdf(scene, path, title)
    else:
        raise ValueError(f"cannot export to .{suffix}: use .png, .svg or .pdf")
