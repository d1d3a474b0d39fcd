"""The status bar never goes on saying two parameters are selected once the second one was let go."""
from backprop_lab.core import Element

W3, W4, W6 = Element("weight", 0, 1, 0), Element("weight", 1, 0, 0), Element("weight", 1, 0, 1)


def test_letting_go_of_the_second_parameter_says_so(qtbot, open_window, no_dialogs):
    w = open_window()
    c = w.controller
    said = []
    c.message.connect(said.append)
    c.select(W3)
    c.toggle_second(W6)
    assert said[-1].startswith("Selected w") and " and " in said[-1]
    c.toggle_second(W6)  # Ctrl+click it again: let go
    assert c.state.second is None and said[-1].startswith("Let go of") and " and " not in said[-1]
    c.toggle_second(W6)
    c.select(W4)  # a plain click starts over with one
    assert c.state.second is None and c.selection == W4 and said[-1].startswith("Let go of")
    assert w.statusBar().currentMessage() == said[-1]
    c.toggle_second(W6)
    c.toggle_second(W4)  # Ctrl+click on the selected one: it goes, the second becomes the selection
    assert c.selection == W6 and said[-1].startswith("Let go of w5")


def test_while_a_held_key_is_drawn_together_the_message_waits_for_the_counters(qtbot, open_window, no_dialogs):
    w = open_window()
    c = w.controller
    said = []
    c.message.connect(said.append)
    c.set_coalescing(True)  # what a repeating (held) stepping key turns on
    for _ in range(3):
        c.step()
    assert said == [] and c.state.iteration == 0  # neither the counters nor the message moved yet
    qtbot.waitUntil(lambda: bool(said))
    assert c.state.iteration == 3 and said == [said[0]] and said[0].startswith("Iteration 3 done")
    c.step()  # a single press: said at once, with its publication
    assert said[-1].startswith("Iteration 4 done") and c.state.iteration == 4
