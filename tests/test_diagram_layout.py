"""The diagram's geometry without Qt: labels overlap nothing, sit on their edge, one rule shows them, and a
click picks the nearest element."""
import itertools
import math
import subprocess
import sys

import pytest

from backprop_lab.core import Element, Network, load_example
from backprop_lab.gui.diagram_layout import MAX_LABELLED, DiagramLayout, R, Rect, Segment, estimate_width


def label_sample(net, digits=9, names=True, prefix=""):
    """What the diagram reserves room for: the name and a value at this precision."""
    def sample(el):
        name = net.weight_name(el.layer, el.j, el.i) if el.kind == "weight" else net.bias_name(el.layer, el.j)
        return (name + " " if names else "") + prefix + "−0." + "0" * digits
    return sample


NETWORKS = {
    "worked example 2-2-2": lambda: load_example("mazur").network,
    "XOR 2-3-1": lambda: load_example("xor").network,
    "2-3-2": lambda: Network([2, 3, 2], ["sigmoid", "sigmoid"]),
}


def overlaps(lay):
    """Every pair (label, thing) whose rectangles intersect: other labels, neurons, bias boxes, the loss box,
    layer titles."""
    bad = []
    labels = list(lay.labels.items())
    for (a, ra), (b, rb) in itertools.combinations(labels, 2):
        if ra.intersects(rb):
            bad.append((a, b))
    for a, ra in labels:
        bad += [(a, k) for k, c in lay.neurons.items() if ra.hits_circle(c)]
        bad += [(a, f"bias box {l}") for l, box in lay.bias_boxes.items() if ra.intersects(box)]
        bad += [(a, title) for r, title in lay.titles if ra.intersects(r)]
        if ra.intersects(lay.loss_box):
            bad.append((a, "loss box"))
    return bad


@pytest.mark.parametrize("name", list(NETWORKS))
@pytest.mark.parametrize("prefix", ["", "∂ "])
def test_labels_overlap_nothing_and_sit_on_their_edge(name, prefix):
    net = NETWORKS[name]()
    lay = DiagramLayout(net, label_sample(net, prefix=prefix))
    # small networks: every weight and bias edge has its label, with its name
    assert set(lay.labels) == set(lay.edges), name
    assert overlaps(lay) == []
    for el, r in lay.labels.items():
        touching = Rect(r.x - 2, r.y - 2, r.w + 4, r.h + 4)
        assert lay.edges[el].segment.hits_rect(touching), el  # on its own edge, or touching it
        w = estimate_width(label_sample(net, prefix=prefix)(el), 12)
        assert r.w >= w, el  # room for the widest value at this precision


@pytest.mark.parametrize("name", list(NETWORKS))
def test_labels_keep_away_from_crossings(name):
    net = NETWORKS[name]()
    lay = DiagramLayout(net, label_sample(net))
    segs = {el: e.segment for el, e in lay.edges.items()}
    for el, r in lay.labels.items():
        cx, cy = r.center
        for other, s in segs.items():
            p = segs[el].crossing(s) if other != el else None
            if p is not None:
                # the label does not hide where its edge crosses another
                assert not r.contains(*p), (el, other)


def test_nodes_do_not_overlap_and_bounds_hold_everything():
    net = load_example("moons").network
    lay = DiagramLayout(net, label_sample(net, names=False))
    circles = list(lay.neurons.values())
    for a, b in itertools.combinations(circles, 2):
        assert math.hypot(a.x - b.x, a.y - b.y) >= 2 * R
    things = [c.rect for c in circles] + list(lay.bias_boxes.values()) + [lay.loss_box] + list(lay.labels.values())
    for r in things:
        assert lay.bounds.x <= r.x and r.x + r.w <= lay.bounds.x + lay.bounds.w
        assert lay.bounds.y <= r.y and r.y + r.h <= lay.bounds.y + lay.bounds.h
    assert overlaps(lay) == []
    assert not any(e.segment.hits_rect(lay.loss_box) for e in lay.edges.values())  # no edge runs under E_total


def test_one_rule_decides_which_labels_show():
    # 2-6-1: the first layer pair has 12 weights and 6 bias edges, more than MAX_LABELLED; the second 7
    net = Network([2, 6, 1], ["tanh", "tanh"])
    lay = DiagramLayout(net, label_sample(net))
    assert 0 not in lay.labelled and 1 in lay.labelled and 6 + 1 <= MAX_LABELLED
    bias = Element("bias", 0, 3)  # a bias edge in a layer of 6 neurons (the old rule never showed it)
    weight = Element("weight", 0, 2, 1)
    assert not lay.label_shown(bias, None, None)
    assert lay.label_shown(bias, bias, None)  # selected
    assert lay.label_shown(weight, None, weight)  # the current computation's edge
    assert lay.label_shown(Element("weight", 1, 0, 4), None, None)  # the small pair: always
    # labels shown on demand get a spot too, on their edge and clear of the reserved ones
    r = lay.label_rect(bias)
    assert lay.edges[bias].segment.hits_rect(Rect(r.x - 2, r.y - 2, r.w + 4, r.h + 4))
    assert not any(r.intersects(o) for o in lay.labels.values())


def test_hit_picks_the_nearest_element():
    net = load_example("mazur").network
    lay = DiagramLayout(net, label_sample(net))
    w1, bias = Element("weight", 0, 0, 0), Element("bias", 0, 1)
    cross = lay.edges[w1].segment.crossing(lay.edges[bias].segment)
    assert cross is not None  # in the worked example's drawing, b1's edge to h2 crosses w1
    s = lay.edges[w1].segment
    ux, uy = (s.x2 - s.x1), (s.y2 - s.y1)
    n = math.hypot(ux, uy)
    x, y = cross[0] + 5 * ux / n, cross[1] + 5 * uy / n  # on w1, 5 units from the crossing
    assert lay.edges[bias].segment.distance(x, y) < 7  # also within reach of the bias edge
    assert lay.hit(x, y, 7) == w1
    assert lay.hit(*lay.neurons[(1, 0)].rect.center, 7) == Element("neuron", 1, 0)
    assert lay.hit(*lay.loss_box.center, 7) == Element("loss")
    far = lay.bounds.x + 1, lay.bounds.y + 1
    assert lay.hit(*far, 7) is None
    # a shown label is hit anywhere inside it, even where another edge runs
    el = Element("weight", 1, 0, 1)
    assert lay.hit(*lay.labels[el].center, 1, shown_labels=[el]) == el


def test_geometry_helpers():
    r = Rect(0, 0, 10, 10)
    assert r.intersects(Rect(9, 9, 5, 5)) and not r.intersects(Rect(10.5, 0, 5, 5))
    assert Segment(-5, 5, 15, 5).hits_rect(r) and not Segment(-5, 15, 15, 15).hits_rect(r)
    assert Segment(0, 0, 10, 10).crossing(Segment(0, 10, 10, 0)) == pytest.approx((5, 5))
    assert Segment(0, 0, 10, 0).distance(5, 3) == pytest.approx(3)


def test_qt_free_modules_do_not_import_qt():
    code = ("import sys; import backprop_lab.gui.diagram_layout, backprop_lab.gui.view_state, "
            "backprop_lab.gui.state_builder, backprop_lab.gui.validation, backprop_lab.gui.tooltips, "
            "backprop_lab.gui.formatting; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]; "
            "print(bad); assert not bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("example", ["moons", "blobs", "symmetry", "xor", "mazur"])
@pytest.mark.parametrize("names", [False, True])
def test_a_label_shown_on_demand_sits_on_its_edge_and_under_no_neuron(example, names):
    """A current or selected edge's label (shown on demand) touches its edge and no neuron; with values only,
    no bias box, loss box or title either.  (With names, moons' 150-pixel labels are wider than the gap between
    its hidden layers: there is no room clear of everything.)  On moons the label of b2 → h2_2 (a short steep
    edge beside h2_1) was centred on the edge's middle, half under h2_1 and away from its edge."""
    net = load_example(example).network
    lay = DiagramLayout(net, label_sample(net, names=names))
    bad = []
    for el, edge in lay.edges.items():
        r = lay.label_rect(el)
        if not edge.segment.hits_rect(Rect(r.x - 2, r.y - 2, r.w + 4, r.h + 4)):
            bad.append((el, "off its edge"))
        bad += [(el, k) for k, c in lay.neurons.items() if r.hits_circle(c)]
        if names:
            continue
        bad += [(el, f"bias box {l}") for l, box in lay.bias_boxes.items() if r.intersects(box)]
        bad += [(el, t) for q, t in lay.titles if r.intersects(q)]
        if r.intersects(lay.loss_box):
            bad.append((el, "loss box"))
    assert bad == []
    if example == "moons":  # the tester's edge
        r = lay.label_rect(Element("bias", 1, 1))
        assert not r.hits_circle(lay.neurons[(2, 0)])


PICTURED = {"moons": lambda: load_example("moons").network, "mazur": lambda: load_example("mazur").network,
            "xor": lambda: load_example("xor").network, "blobs": lambda: load_example("blobs").network,
            "2-4-3": lambda: Network([2, 4, 3], ["tanh", "sigmoid"]),
            "2-6-6-2": lambda: Network([2, 6, 6, 2], ["relu", "relu", "sigmoid"])}


@pytest.mark.parametrize("name", list(PICTURED))
@pytest.mark.parametrize("names", [False, True])
def test_neuron_pictures_cover_no_edge_label_and_sit_on_one_side_of_their_layer(name, names):
    # (the two-moons screenshot had edge labels half under the second hidden layer's pictures: above every
    # neuron's right shoulder, where they always went, they covered 4 of moons' unnamed labels)
    net = PICTURED[name]()
    lay = DiagramLayout(net, label_sample(net, names=names))
    size = 1.1 * R
    spots = lay.picture_spots(size)
    assert set(spots) == {k for k in lay.neurons if k[0] > 0}
    boxes = list(lay.bias_boxes.values()) + [lay.loss_box]
    for key, p in spots.items():
        assert (p.w, p.h) == (size, size)
        assert not [el for el, r in lay.labels.items() if p.intersects(r)], key
        assert not [b for b in boxes if p.intersects(b)], key
        assert not [k for k, q in spots.items() if k != key and p.intersects(q)], key
        c = lay.neurons[key]  # at a shoulder: touching the square around its neuron
        assert p.intersects(c.rect) and not p.hits_circle(c, -0.3 * c.r), key
    for layer in {k[0] for k in spots}:  # one side for a whole layer
        sides = {(spots[k].x > lay.neurons[k].x, spots[k].y > lay.neurons[k].y) for k in spots if k[0] == layer}
        assert len(sides) == 1, layer
