"""Backprop Lab's window (PySide6 + pyqtgraph).

Importing this package creates no QApplication; :func:`backprop_lab.gui.app.main`
does, when the program starts.
"""
