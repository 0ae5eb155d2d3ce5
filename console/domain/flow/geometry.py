"""Edge geometry shared by the layout and the scene: one cubic curve per edge, and
label places that keep edge labels off nodes and off each other."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]
CELL = 160.0  # spatial grid cell for overlap checks
LABEL_TS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def intersects(self, other: Rect, margin: float = 0.0) -> bool:
        return not (self.right + margin <= other.x or other.right + margin <= self.x
                    or self.bottom + margin <= other.y or other.bottom + margin <= self.y)

    def united(self, other: Rect) -> Rect:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Rect(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def inflated(self, dx: float, dy: float | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x - dx, self.y - dy, self.w + 2 * dx, self.h + 2 * dy)


def union(rects: Iterable[Rect]) -> Rect | None:
    out: Rect | None = None
    for r in rects:
        out = r if out is None else out.united(r)
    return out


def route_for(kind: str) -> str:
    """How an edge kind is drawn: ``h`` side to side, ``v`` down a chain, or an arc."""
    return {"ladder": "arc_left", "chain_next": "arc_left", "next": "v",
            "when": "arc_right", "bump": "arc_right"}.get(kind, "h")


def edge_curve(src: Rect, dst: Rect, route: str) -> Curve:
    """The cubic curve from ``src`` to ``dst`` (start, two controls, end)."""
    if route == "v":
        down = dst.y >= src.bottom
        p0 = (src.cx, src.bottom if down else src.y)
        p3 = (dst.cx, dst.y if down else dst.bottom)
        k = (p3[1] - p0[1]) / 2
        return p0, (p0[0], p0[1] + k), (p3[0], p3[1] - k), p3
    if route == "h":
        if dst.x >= src.right - 1:
            p0, p3, sign = (src.right, src.cy), (dst.x, dst.cy), 1.0
        elif dst.right <= src.x + 1:
            p0, p3, sign = (src.x, src.cy), (dst.right, dst.cy), -1.0
        else:
            route = "arc_right"
        if route == "h":
            k = sign * max(30.0, abs(p3[0] - p0[0]) * 0.5)
            return p0, (p0[0] + k, p0[1]), (p3[0] - k, p3[1]), p3
    left = route == "arc_left"
    p0 = (src.x, src.cy) if left else (src.right, src.cy)
    p3 = (dst.x, dst.cy) if left else (dst.right, dst.cy)
    bulge = 34.0 + min(70.0, abs(p3[1] - p0[1]) * 0.1)
    if left:
        edge = min(p0[0], p3[0]) - bulge
        return p0, (edge, p0[1]), (edge, p3[1]), p3
    edge = max(p0[0], p3[0]) + bulge
    return p0, (edge, p0[1]), (edge, p3[1]), p3


def point_at(curve: Curve, t: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def label_rect(curve: Curve, t: float, route: str, size: tuple[float, float]) -> Rect:
    """Where a label of ``size`` sits at ``t``: centred on the curve, or, down a chain,
    just right of the line."""
    x, y = point_at(curve, t)
    w, h = size
    if route == "v":
        return Rect(x + 6, y - h / 2, w, h)
    return Rect(x - w / 2, y - h / 2, w, h)


class _Grid:
    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Rect]] = defaultdict(list)

    def _keys(self, r: Rect) -> Iterable[tuple[int, int]]:
        for i in range(int(r.x // CELL), int(r.right // CELL) + 1):
            for j in range(int(r.y // CELL), int(r.bottom // CELL) + 1):
                yield i, j

    def add(self, r: Rect) -> None:
        for key in self._keys(r):
            self.cells[key].append(r)

    def hits(self, r: Rect, margin: float) -> int:
        seen: set[int] = set()
        count = 0
        for key in self._keys(r.inflated(margin)):
            for other in self.cells.get(key, ()):
                if id(other) not in seen and r.intersects(other, margin):
                    seen.add(id(other))
                    count += 1
        return count


def place_labels(curves: dict[str, tuple[Curve, str]], sizes: dict[str, tuple[float, float]],
                 obstacles: Iterable[Rect], margin: float = 3.0) -> dict[str, float]:
    """A position ``t`` on its curve for every label: the first of a few candidates
    (middle first) that touches no node and no label placed before it; failing that,
    the candidate with the fewest overlaps. Deterministic: edges go in id order."""
    grid = _Grid()
    for r in obstacles:
        grid.add(r)
    chosen: dict[str, float] = {}
    for eid in sorted(curves):
        curve, route = curves[eid]
        best_t, best_hits = LABEL_TS[0], None
        for t in LABEL_TS:
            hits = grid.hits(label_rect(curve, t, route, sizes[eid]), margin)
            if best_hits is None or hits < best_hits:
                best_t, best_hits = t, hits
            if hits == 0:
                break
        chosen[eid] = best_t
        grid.add(label_rect(curve, best_t, route, sizes[eid]))
    return chosen
