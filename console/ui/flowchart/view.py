"""The flowchart view: zoom (wheel, keys), pan (drag the background or the middle
button), fit to window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView, QWidget

from .scene import FlowScene

MIN_ZOOM, MAX_ZOOM, STEP = 0.05, 4.0, 1.2


class FlowView(QGraphicsView):
    def __init__(self, scene: FlowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        # the background pans for readers; leads drag a rubber band to select
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag if scene.editable
                         else QGraphicsView.DragMode.ScrollHandDrag)
        self._pan_from: QPointF | None = None

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / STEP)

    def fit(self) -> None:
        rect = self.scene().sceneRect()  # the content and a margin: no scroll bar after a fit
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:  # a small matrix is not blown up
            self.zoom_by(1.0 / self.zoom())
            self.centerOn(rect.center())

    def wheelEvent(self, event: Any) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(STEP ** steps)
            event.accept()

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)
        scene = self.scene()
        if isinstance(scene, FlowScene) and scene.dragging:
            # drag at interactive quality: antialiased dashes of hundreds of curves cost
            # more than a frame; full quality returns on release
            self.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def mouseMoveEvent(self, event: Any) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if not self.renderHints() & QPainter.RenderHint.Antialiasing:
            self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self.viewport().update()
