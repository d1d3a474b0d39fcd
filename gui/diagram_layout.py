"""Where everything in the network diagram goes (Qt-free): positions, label placement, the label rule, hit-testing.

Scene units are pixels at zoom 1.  Text widths come from a ``measure(text, px)`` function (the view passes Qt's
font metrics; tests use the estimate below), so the geometry can be checked without Qt: labels sit on their
edge, away from crossings, and overlap no other label, neuron, bias box or the loss box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from backprop_lab.core import Element, Network

MAX_DRAWN = 16                  # wider layers are drawn collapsed
SHOWN_WHEN_COLLAPSED = (12, 2)  # neurons drawn before and after the "⋮ n more"
MAX_LABELLED = 9                # a layer pair with at most this many edges (weights and biases) is labelled
R = 36.0                        # neuron radius
NAME_PX, VALUE_PX, LABEL_PX, TITLE_PX, LOSS_PX = 15.0, 12.0, 12.0, 13.0, 13.0
LABEL_H = LABEL_PX + 8
LABEL_PAD = 3.0                 # clearance kept around labels
BIAS_W, BIAS_H = 40.0, 28.0
LOSS = Element("loss")
TARGET_VIEW = (680.0, 600.0)    # the diagram's size in the default window: the loss box goes where it fits best
#: Bias box positions tried: (fraction of the way to the next column, height above the layer it feeds).
BIAS_SPOTS = ((0.5, 62.0), (0.35, 62.0), (0.5, 90.0), (0.65, 62.0), (0.35, 120.0), (0.5, 120.0))

Measure = Callable[[str, float], float]


def estimate_width(text: str, px: float) -> float:
    """A text's width in a proportional sans font: a fair estimate where no font metrics are at hand."""
    return sum(0.62 if ch.isdigit() or ch in "−-=∂Δ" else 0.38 if ch in ".,: " else 0.66 for ch in text) * px


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
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def intersects(self, o: "Rect", pad: float = 0.0) -> bool:
        return (self.x - pad < o.x + o.w and o.x < self.x + self.w + pad and self.y - pad < o.y + o.h
                and o.y < self.y + self.h + pad)

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.right and self.y <= py <= self.bottom

    def hits_circle(self, c: "Circle", pad: float = 0.0) -> bool:
        nx, ny = min(max(c.x, self.x), self.right), min(max(c.y, self.y), self.bottom)
        return math.hypot(c.x - nx, c.y - ny) < c.r + pad

    def united(self, o: "Rect") -> "Rect":
        x, y = min(self.x, o.x), min(self.y, o.y)
        return Rect(x, y, max(self.right, o.right) - x, max(self.bottom, o.bottom) - y)

    @staticmethod
    def around(cx: float, cy: float, w: float, h: float) -> "Rect":
        return Rect(cx - w / 2, cy - h / 2, w, h)


@dataclass(frozen=True)
class Circle:
    x: float
    y: float
    r: float

    @property
    def rect(self) -> Rect:
        return Rect(self.x - self.r, self.y - self.r, 2 * self.r, 2 * self.r)


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def box(self) -> Rect:
        return Rect(min(self.x1, self.x2), min(self.y1, self.y2), abs(self.x2 - self.x1), abs(self.y2 - self.y1))

    def at(self, t: float) -> tuple[float, float]:
        return self.x1 + (self.x2 - self.x1) * t, self.y1 + (self.y2 - self.y1) * t

    def distance(self, px: float, py: float) -> float:
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        n = dx * dx + dy * dy
        t = 0.0 if n == 0 else max(0.0, min(1.0, ((px - self.x1) * dx + (py - self.y1) * dy) / n))
        return math.hypot(px - (self.x1 + t * dx), py - (self.y1 + t * dy))

    def crossing(self, o: "Segment") -> tuple[float, float] | None:
        """Where two segments cross (not counting shared end points)."""
        d = (self.x2 - self.x1) * (o.y2 - o.y1) - (self.y2 - self.y1) * (o.x2 - o.x1)
        if abs(d) < 1e-12:
            return None
        t = ((o.x1 - self.x1) * (o.y2 - o.y1) - (o.y1 - self.y1) * (o.x2 - o.x1)) / d
        u = ((o.x1 - self.x1) * (self.y2 - self.y1) - (o.y1 - self.y1) * (self.x2 - self.x1)) / d
        if 1e-6 < t < 1 - 1e-6 and 1e-6 < u < 1 - 1e-6:
            return self.at(t)
        return None

    def hits_rect(self, r: Rect) -> bool:
        """Whether the segment passes through *r* (Liang–Barsky clipping)."""
        t0, t1 = 0.0, 1.0
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        for p, q in ((-dx, self.x1 - r.x), (dx, r.right - self.x1), (-dy, self.y1 - r.y), (dy, r.bottom - self.y1)):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
        return True


@dataclass(frozen=True)
class EdgeGeometry:
    element: Element
    segment: Segment
    name: str
    dashed: bool


def parameter_name(net: Network, el: Element, shared_biases: Sequence[bool]) -> str:
    """A weight's or bias's name as the equations write it: ``b1`` where dense layer *l*'s biases are shared and
    fixed (*shared_biases*, from ``shared_bias_layers``), ``b_h1`` otherwise."""
    if el.kind == "weight":
        return net.weight_name(el.layer, el.j, el.i)
    return net.bias_name(el.layer) if shared_biases[el.layer] else net.bias_name(el.layer, el.j)


class DiagramLayout:
    """Geometry of one network's diagram for given label texts.

    Parameters
    ----------
    network : Network
        Only its structure and names are used.
    label_sample : callable(Element) -> str
        The widest text a label of that element should have room for (name and value).
    measure : callable(text, px) -> float
        Text width in scene units.
    """

    def __init__(self, network: Network, label_sample: Callable[[Element], str],
                 measure: Measure = estimate_width, shared_biases: Sequence[bool] = ()) -> None:
        self.network = network
        # A layer whose biases are shared and fixed (the worked example) names them b1, as the equations do.
        self.shared_biases = list(shared_biases) or [False] * network.n_layers
        self.measure = measure
        self._label_sample = label_sample
        L = network.n_layers
        self.drawn = [self._drawn(network.sizes[l]) for l in range(L + 1)]
        self.labelled = {l for l in range(L) if self._pair_edges(l) <= MAX_LABELLED}
        tallest = max(len(d) for d in self.drawn)
        # Short networks get tall spacing (steeper edges leave room for labels); tall ones a tight grid.
        self.row_dy = {1: 150.0, 2: 180.0, 3: 150.0}.get(tallest, 2 * R + (40 if tallest <= 5 else 12))
        gaps = [250.0 if l in self.labelled else 200.0 if L <= 4 else 160.0 for l in range(L)]
        self.col_x = [sum(gaps[:l]) for l in range(L + 1)]
        self.labels: dict[Element, Rect] = {}
        self._on_demand: dict[Element, Rect] = {}
        # Where the bias boxes go decides how crowded the labels get: try a few spots, keep the first that
        # leaves no label without a free place (else the one with the fewest such labels).
        best = None
        for spot in BIAS_SPOTS:
            self._place(spot)
            failed = self._place_labels([e for e in self.edges if e.layer in self.labelled])
            if best is None or failed < best[0]:
                best = (failed, spot)
            if failed == 0:
                break
        if best[0] != 0:
            self._place(best[1])
            self._place_labels([e for e in self.edges if e.layer in self.labelled])
        self.bounds = self._bounds()

    def _place(self, bias_spot: tuple[float, float]) -> None:
        self.neurons: dict[tuple[int, int], Circle] = {}
        self.ellipses: list[tuple[Rect, int]] = []
        self.bias_boxes: dict[int, Rect] = {}
        self.edges: dict[Element, EdgeGeometry] = {}
        self.titles: list[tuple[Rect, str]] = []
        self._spot_cache: dict[Element, list[tuple[float, Rect]]] = {}
        self._place_nodes(bias_spot)
        self._place_edges()
        self.loss_box = self._place_loss()
        self._obstacles = ([c.rect for c in self.neurons.values()] + list(self.bias_boxes.values())
                           + [r for r, _ in self.ellipses] + [r for r, _ in self.titles] + [self.loss_box])

    def obstacles(self) -> tuple[Rect, ...]:
        """What labels and notes must not cover: neurons, bias boxes, collapsed-layer boxes, titles, the loss box."""
        return tuple(self._obstacles)

    # -- structure -------------------------------------------------------------------------------
    @staticmethod
    def _drawn(n: int) -> list[int | None]:
        if n <= MAX_DRAWN:
            return list(range(n))
        a, b = SHOWN_WHEN_COLLAPSED
        return list(range(a)) + [None] + list(range(n - b, n))

    def _pair_edges(self, l: int) -> int:
        src = sum(1 for i in self.drawn[l] if i is not None)
        dst = sum(1 for j in self.drawn[l + 1] if j is not None)
        return src * dst + dst

    def _column_y(self, l: int, k: int) -> float:
        return (k - (len(self.drawn[l]) - 1) / 2) * self.row_dy

    def _place_nodes(self, bias_spot: tuple[float, float]) -> None:
        net = self.network
        L = net.n_layers
        top = min(self._column_y(l, 0) for l in range(L + 1)) - R
        for l, col in enumerate(self.drawn):
            x = self.col_x[l]
            for k, j in enumerate(col):
                y = self._column_y(l, k)
                if j is None:
                    self.ellipses.append((Rect.around(x, y, 84, 52), net.sizes[l] - sum(v is not None for v in col)))
                else:
                    self.neurons[(l, j)] = Circle(x, y, R)
        for l in range(L):  # a layer's bias box sits between the columns, above the layer it feeds
            x = self.col_x[l] + bias_spot[0] * (self.col_x[l + 1] - self.col_x[l])
            y = self._column_y(l + 1, 0) - R - (bias_spot[1] if l in self.labelled else 40)
            self.bias_boxes[l] = Rect.around(x, min(y, top - 34), BIAS_W, BIAS_H)
        # Titles share the band of the highest bias box (they are centred on the columns, the boxes between
        # them), unless they would touch a box; then they go above.
        band = min(r.y for r in self.bias_boxes.values()) + BIAS_H / 2
        titles = []
        for l in range(L + 1):
            title = "Inputs" if l == 0 else "Outputs" if l == L else f"Hidden layer {l}"
            if l > 0:
                title += f"\n{net.activations[l - 1].name}"
            w = max(self.measure(t, TITLE_PX) for t in title.split("\n")) + 4
            h = (TITLE_PX + 4) * (title.count("\n") + 1)
            titles.append((Rect.around(self.col_x[l], min(band, top - h / 2 - 12), w, h), title))
        if any(r.intersects(b, 6) for r, _ in titles for b in self.bias_boxes.values()):
            head = min(r.y for r in self.bias_boxes.values()) - 12
            titles = [(Rect(r.x, head - r.h, r.w, r.h), t) for r, t in titles]
        self.titles = titles

    def _place_edges(self) -> None:
        net = self.network
        for l in range(net.n_layers):
            for j in (j for j in self.drawn[l + 1] if j is not None):
                b = self.neurons[(l + 1, j)]
                for i in (i for i in self.drawn[l] if i is not None):
                    a = self.neurons[(l, i)]
                    el = Element("weight", l, j, i)
                    self.edges[el] = EdgeGeometry(el, _between(a.x, a.y, R, b.x, b.y, R), net.weight_name(l, j, i),
                                                  False)
                box = self.bias_boxes[l]
                bx, by = box.center
                el = Element("bias", l, j)
                self.edges[el] = EdgeGeometry(el, _between(bx, by, BIAS_H / 2, b.x, b.y, R),
                                              parameter_name(net, el, self.shared_biases),
                                              True)

    def _place_loss(self) -> Rect:
        """Under the output column, clear of every edge, or beside it: whichever fits a window best."""
        lines = ("E_total", "−0.000000000", "training set: −0.000000")
        w = max(self.measure(t, LOSS_PX) for t in lines) + 24
        h = 3 * (LOSS_PX + 6) + 16
        L = self.network.n_layers
        x = self.col_x[L]
        y = self._column_y(L, len(self.drawn[L]) - 1) + R + 36
        lowest = max(c.y for c in self.neurons.values()) + R + 36
        below = Rect(x - w / 2, y, w, h)
        while y < lowest and any(e.segment.hits_rect(below) for e in self.edges.values()):
            y += 20
            below = Rect(x - w / 2, y, w, h)
        beside = Rect(x + R + 40, -h / 2, w, h)
        nodes = [c.rect for c in self.neurons.values()] + list(self.bias_boxes.values())
        nodes += [r for r, _ in self.titles] + [r for r, _ in self.ellipses]

        def fit(box: Rect) -> float:
            b = box
            for r in nodes:
                b = b.united(r)
            return min(TARGET_VIEW[0] / b.w, TARGET_VIEW[1] / b.h)
        return below if fit(below) >= fit(beside) else beside

    def _bounds(self) -> Rect:
        rects = [c.rect for c in self.neurons.values()] + list(self.bias_boxes.values()) + [self.loss_box]
        rects += [r for r, _ in self.ellipses] + [r for r, _ in self.titles] + list(self.labels.values())
        b = rects[0]
        for r in rects[1:]:
            b = b.united(r)
        return Rect(b.x - 16, b.y - 12, b.w + 32, b.h + 24)

    # -- labels ------------------------------------------------------------------------------------
    def label_size(self, element: Element) -> tuple[float, float]:
        return self.measure(self._label_sample(element), LABEL_PX) + 12, LABEL_H

    def _spots(self, element: Element) -> list[tuple[float, Rect]]:
        """Spots along the edge clear of every node and box, best (lowest score) first (computed once)."""
        spots = self._spot_cache.get(element)
        if spots is not None:
            return spots
        seg = self.edges[element].segment
        w, h = self.label_size(element)
        corridor = Rect(min(seg.x1, seg.x2) - w, min(seg.y1, seg.y2) - h, abs(seg.x2 - seg.x1) + 2 * w,
                        abs(seg.y2 - seg.y1) + 2 * h)
        others = [e.segment for k, e in self.edges.items() if k != element and corridor.intersects(e.segment.box)]
        obstacles = [o for o in self._obstacles if corridor.intersects(o, LABEL_PAD + h)]
        crossings = [p for p in (seg.crossing(o) for o in others) if p is not None]
        length = math.hypot(seg.x2 - seg.x1, seg.y2 - seg.y1) or 1.0
        nx, ny = -(seg.y2 - seg.y1) / length, (seg.x2 - seg.x1) / length
        # On the line, or (for flat lines) just beside it, touching it, as a textbook writes w1 over its edge.
        side = abs(nx) * w / 2 + abs(ny) * h / 2 + 1
        shifts = (0.0, side, -side) if side <= 1.5 * h else (0.0,)
        spots = []
        for k in range(2, 39):
            t = k / 40
            for shift in shifts:
                cx, cy = seg.at(t)
                cx, cy = cx + shift * nx, cy + shift * ny
                r = Rect.around(cx, cy, w, h)
                if any(r.intersects(o, LABEL_PAD) for o in obstacles):
                    continue
                near = min((math.hypot(cx - px, cy - py) for px, py in crossings), default=1e9)
                hidden = sum(1 for px, py in crossings if r.contains(px, py))
                covered = sum(1 for o in others if r.intersects(o.box) and o.hits_rect(r))
                # crossings hidden under the label, lines hidden under it, closeness to a crossing, distance
                # from the middle of the edge, beside rather than on the line
                score = (100.0 * hidden + 4.0 * covered + 40.0 * max(0.0, 1 - near / (w / 2 + 20))
                         + 6.0 * abs(t - 0.5) + (3.0 if shift else 0.0))
                spots.append((score, r))
        spots.sort(key=lambda sr: sr[0])
        self._spot_cache[element] = spots
        return spots

    def _free_spots(self, element: Element, placed: Iterable[Rect]) -> list[tuple[float, Rect]]:
        placed = list(placed)
        return [(sc, r) for sc, r in self._spots(element) if not any(r.intersects(o, LABEL_PAD) for o in placed)]

    def _fallback(self, element: Element) -> Rect:
        seg = self.edges[element].segment
        w, h = self.label_size(element)
        return Rect.around(*seg.at(0.5), w, h)

    def _greedy(self, elements: list[Element], first) -> tuple[dict[Element, Rect], int, float]:
        """Place labels one by one (``first`` picks the next from the free spots of each); returns the spots,
        how many found no free spot, and the total score."""
        options = {e: self._spots(e) for e in elements}
        placed: dict[Element, Rect] = {}
        failed, total = 0, 0.0
        while options:
            e = first(list(options), options)
            spots = options.pop(e)
            if spots:
                score, r = spots[0]
                total += score
            else:
                r, failed = self._fallback(e), failed + 1
            placed[e] = r
            for k, v in options.items():  # the spots this label took are not free any more
                options[k] = [(sc, q) for sc, q in v if not q.intersects(r, LABEL_PAD)]
        return placed, failed, total

    def _place_labels(self, elements: list[Element]) -> int:
        """Try a few greedy orders (the most constrained edge first, and plain orders); keep the best.

        Returns how many labels found no free spot."""
        def constrained(todo, options):
            return min(todo, key=lambda k: (len(options[k]) if options[k] else 10**6,
                                            options[k][0][0] if options[k] else 0))
        orders = [constrained, lambda todo, options: todo[0], lambda todo, options: todo[-1]]
        best = None
        for first in orders:
            placed, failed, total = self._greedy(elements, first)
            if best is None or (failed, total) < (best[1], best[2]):
                best = (placed, failed, total)
            if failed == 0:
                break
        self.labels = best[0] if best else {}
        return best[1] if best else 0

    def label_rect(self, element: Element) -> Rect:
        """Where *element*'s label goes: its reserved spot, or the best free spot for a label shown on demand."""
        r = self.labels.get(element)
        if r is None:
            r = self._on_demand.get(element)
            if r is None:
                r = self._on_demand_spot(element)
                self._on_demand[element] = r
        return r

    def _on_demand_spot(self, element: Element) -> Rect:
        """The best spot for a label shown on demand: along its edge clear of the reserved labels, else
        beside the edge (still touching it), else over a reserved label; with no spot on the edge clear of
        every node and box, the one over the fewest neurons, then boxes and titles, then labels.  (A short
        steep edge beside a neuron has no room for a centred label: its middle fell half under the neuron.)"""
        placed = list(self.labels.values())
        for spots in (self._spots(element), self._beside_spots(element)):
            free = [r for _, r in spots if not any(r.intersects(o, LABEL_PAD) for o in placed)]
            if free:
                return free[0]
        for spots in (self._spots(element), self._beside_spots(element)):
            if spots:
                return spots[0][1]
        circles = list(self.neurons.values())
        boxes = [o for o in self._obstacles if not any(o == c.rect for c in circles)]

        def cost(spot: tuple[float, bool, Rect]) -> tuple:
            t, _, r = spot
            return (sum(r.hits_circle(c) for c in circles), sum(r.intersects(o) for o in boxes),
                    sum(r.intersects(o) for o in placed), abs(t - 0.5))
        return min(self._along(element), key=cost)[2]

    def _along(self, element: Element) -> list[tuple[float, bool, Rect]]:
        """``(t, beside, rect)``: the label centred on the edge at t, or beside it (a point of the edge just
        inside one of its sides: left, right, above, below)."""
        seg = self.edges[element].segment
        w, h = self.label_size(element)
        out = []
        for k in range(41):  # (the ends too, for the last resort: beside a box rather than over a neuron)
            t = k / 40
            cx, cy = seg.at(t)
            for dx, dy in ((0.0, 0.0), (w / 2 - 2, 0.0), (-(w / 2 - 2), 0.0), (0.0, h / 2 - 2), (0.0, -(h / 2 - 2))):
                out.append((t, bool(dx or dy), Rect.around(cx + dx, cy + dy, w, h)))
        return out

    def _beside_spots(self, element: Element) -> list[tuple[float, Rect]]:
        """Spots beside the edge (see :meth:`_along`) clear of every node and box, nearest its middle first."""
        spots = [(6.0 * abs(t - 0.5), r) for t, beside, r in self._along(element)
                 if beside and 0.05 <= t <= 0.95 and not any(r.intersects(o, LABEL_PAD) for o in self._obstacles)]
        spots.sort(key=lambda sr: sr[0])
        return spots

    def picture_spots(self, size: float) -> dict[tuple[int, int], Rect]:
        """Where each drawn hidden and output neuron's picture (a *size* square) goes.

        One side for a whole layer, so that each picture reads as its neuron's: above the neurons' right
        shoulders, else above their left, below right, below left — the first side where no picture covers a
        reserved edge label, a bias or loss box or a picture of another layer (else the side covering fewest).
        Neurons and titles do not count: in a tight column every shoulder spot reaches a little past the next
        neuron's edge, and the top one's a little into its layer's title, as the first choice always did.
        """
        rects = {c.rect for c in self.neurons.values()} | {r for r, _ in self.titles}
        blockers = list(self.labels.values()) + [o for o in self._obstacles if o not in rects]
        columns: dict[int, list[tuple[tuple[int, int], Circle]]] = {}
        for key, c in self.neurons.items():
            if key[0] > 0:
                columns.setdefault(key[0], []).append((key, c))
        spots: dict[tuple[int, int], Rect] = {}
        for column in columns.values():
            best = None
            for dx, dy in ((1, -1), (-1, -1), (1, 1), (-1, 1)):
                placed = {key: Rect(c.x + 0.45 * c.r if dx > 0 else c.x - 0.45 * c.r - size,
                                    c.y - c.r - 0.75 * size if dy < 0 else c.y + c.r - 0.25 * size, size, size)
                          for key, c in column}
                covering = sum(any(p.intersects(b, 1.0) for b in blockers) for p in placed.values())
                if best is None or covering < best[0]:
                    best = (covering, placed)
                if covering == 0:
                    break
            spots.update(best[1])
            blockers.extend(best[1].values())
        return spots

    def label_shown(self, element: Element, selection: Element | None, current: Element | None) -> bool:
        """THE rule for edge labels: every label of a small layer pair, and the selected and current edge."""
        return element in self.labels or element == selection or element == current

    # -- hit-testing -------------------------------------------------------------------------------------
    def hit(self, x: float, y: float, tolerance: float, shown_labels: Iterable[Element] = ()) -> Element | None:
        """The element under scene point (x, y): a shown label, a neuron, the loss box, else the nearest edge."""
        for el in shown_labels:
            if el in self.edges and self.label_rect(el).contains(x, y):
                return el
        for (l, j), c in self.neurons.items():
            if math.hypot(x - c.x, y - c.y) <= c.r:
                return Element("neuron", l, j)
        if self.loss_box.contains(x, y):
            return LOSS
        best, dist = None, tolerance
        for el, e in self.edges.items():
            d = e.segment.distance(x, y)
            if d <= dist:
                best, dist = el, d
        return best


def _between(ax: float, ay: float, ra: float, bx: float, by: float, rb: float) -> Segment:
    """The segment from the rim of shape a to the rim of shape b."""
    dx, dy = bx - ax, by - ay
    n = math.hypot(dx, dy) or 1.0
    return Segment(ax + dx / n * ra, ay + dy / n * ra, bx - dx / n * rb, by - dy / n * rb)
