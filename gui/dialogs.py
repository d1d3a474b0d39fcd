"""The main window's small dialogs: keyboard shortcuts, about, gradient-check results, step back to iteration."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from .version import version

MOUSE_ROWS = (("Double-click", "Edit a weight or bias", ""),
              ("Wheel / drag", "On the selected weight: scrub it", "Ctrl+wheel for steps of 0.1, Shift+drag for fine "
                                                                     "steps"),
              ("Wheel / drag", "Elsewhere: zoom / pan the diagram", ""))


def shortcuts_dialog(parent: QWidget, actions: list[QAction]) -> QDialog:
    """A dialog listing every action's shortcut, then the mouse gestures."""
    rows = []
    for a in actions:
        keys = ", ".join(s.toString(QKeySequence.NativeText) for s in a.shortcuts())
        if keys and a.text():
            rows.append((keys, a.text().replace("&", ""), a.statusTip()))
    rows += MOUSE_ROWS
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(t)}</td>"
                   f"<td style='color:#566573'>{html.escape(tip)}</td></tr>" for k, t, tip in dict.fromkeys(rows))
    dlg = QDialog(parent)
    dlg.setWindowTitle("Keyboard shortcuts")
    lay = QVBoxLayout(dlg)
    b = QTextBrowser()
    b.setHtml(f"<table cellspacing=4>{body}</table>")
    lay.addWidget(b)
    bb = QDialogButtonBox(QDialogButtonBox.Close)
    bb.rejected.connect(dlg.reject)
    lay.addWidget(bb)
    dlg.resize(640, 520)
    return dlg


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About Backprop Lab",
                      f"<h3>Backprop Lab {html.escape(version())}</h3><p>Learn backpropagation by doing it: edit the "
                      "weights, step through every forward and backward computation with your own numbers, "
                      "and step back out of any update.</p><p>The worked example follows Matt Mazur's "
                      "“A Step by Step Backpropagation Example”.</p>")


def show_gradient_check(parent: QWidget, result) -> None:
    """The result of a finite-difference gradient check, layer by layer."""
    lines = [f"Layer {l + 1}: max relative error {e:.2e}" for l, e in enumerate(result.per_layer)]
    verdict = ("Backpropagation agrees with finite differences." if result.max_error < 1e-5 else
               "Some gradients differ from finite differences (kinks of ReLU or saturated units can cause this).")
    QMessageBox.information(parent, "Gradient check", verdict + "\n\n" + "\n".join(lines))


#: Longest message an error dialog shows (a file's content can be quoted in it).
MAX_MESSAGE = 2000


def plain_message_box(parent: QWidget | None, icon, title: str, text: str,
                      buttons=QMessageBox.Ok) -> QMessageBox:
    """A message box that shows *text* literally and cut to MAX_MESSAGE characters (it may quote a file).

    ``QMessageBox.warning`` guesses rich text, so a file's ``<img src=...>`` would be loaded.
    """
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "… (message cut)"
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.PlainText)
    for label in box.findChildren(QLabel):  # the informative label does not follow setTextFormat
        label.setTextFormat(Qt.PlainText)
    return box


def show_plain_warning(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """Show a plain-text warning, window-modal without a nested event loop (a run timer can't re-enter)."""
    box = plain_message_box(parent, QMessageBox.Warning, title, text)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box
