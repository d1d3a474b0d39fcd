"""Data shipped with Backprop Lab: examples, icons, the launcher and the state-file schema.

Read them with :mod:`importlib.resources`, e.g.
``importlib.resources.files("backprop_lab.resources") / "examples" / "mazur.json"``.
"""
