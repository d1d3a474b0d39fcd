"""Recovery at start-up: ask Restore / Discard for the work of instances that died, and open what is restored.

The files, locks and autosave are :mod:`.recovery`'s; this module only asks
(plain-text message boxes: names and paths come from files) and loads.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from .recovery import RecoveryError, RecoveryInfo, RecoveryManager, short_text

__all__ = ["load_recovered", "offer_recovery", "recovery_question"]


def load_recovered(controller, state: dict, path: str | None) -> bool:
    """Open a restored *state* in *controller* as unsaved changes of *path*; False if it is refused.

    """
    return bool(controller.open_recovered(state, path))


def _when(saved_at: datetime) -> str:
    now = datetime.now().astimezone()
    secs = (now - saved_at).total_seconds()
    if secs < 90:
        ago = "just now"
    elif secs < 90 * 60:
        ago = f"{round(secs / 60)} minutes ago"
    elif secs < 36 * 3600:
        ago = f"{round(secs / 3600)} hours ago"
    else:
        ago = f"{round(secs / 86400)} days ago"
    return f"{saved_at:%Y-%m-%d %H:%M:%S} ({ago})"


def recovery_question(parent: QWidget | None, info: RecoveryInfo) -> QMessageBox:
    """The Restore / Discard question for *info*: plain text, Restore the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Recover unsaved work — Backprop Lab")
    box.setTextFormat(Qt.PlainText)
    box.setText(f"Backprop Lab did not close normally. Your unsaved changes to “{info.title}” were kept.")
    where = (f"Restore opens them as unsaved changes of\n{short_text(info.path, 300)}" if info.path else
             "Restore opens them as a network that has not been saved yet")
    box.setInformativeText(f"Kept on {_when(info.saved_at)}.\n\n{where}; Discard deletes them.")
    box.restore_button = box.addButton("Restore", QMessageBox.AcceptRole)
    box.discard_button = box.addButton("Discard", QMessageBox.DestructiveRole)
    box.setDefaultButton(box.restore_button)
    for label in box.findChildren(QLabel):  # the informative label does not follow setTextFormat
        label.setTextFormat(Qt.PlainText)
    return box


def offer_recovery(window: QWidget | None, manager: RecoveryManager) -> dict | None:
    """At start-up: ask Restore / Discard for each recovery file, newest first.

    Returns the first restored state dict (``manager.restored`` tells its original
    path), or None.  Files not asked about (after a Restore) stay for a later start.
    """
    try:
        for info in manager.pending_recoveries():
            if info.error:
                if _ask_broken(window, info):
                    manager.discard(info)
                continue
            box = recovery_question(window, info)
            box.exec()
            if box.clickedButton() is box.restore_button:
                try:
                    return manager.restore(info)
                except RecoveryError as e:
                    _warn(window, "Cannot restore the unsaved work", str(e))
                    continue
            manager.discard(info)
        return None
    finally:
        manager.release_pending()


def _warn(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Warning, title, short_text(text, 600), QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)
    box.exec()


def _ask_broken(parent: QWidget | None, info: RecoveryInfo) -> bool:
    box = QMessageBox(QMessageBox.Warning, "Recover unsaved work — Backprop Lab",
                      f"A recovery file cannot be read ({info.error}). Delete it?\n\n{info.file}",
                      QMessageBox.Yes | QMessageBox.No, parent)
    box.setTextFormat(Qt.PlainText)
    return box.exec() == QMessageBox.Yes
