"""Cache keys that compare objects by identity and hold them, so that a key never matches another object.

``id(obj)`` alone is a poor key: once *obj* is freed, a new object (the next file's data, the next iteration's
record) may get the same id and be taken for it.  :class:`Same` keeps its object alive while the key exists.
"""
from __future__ import annotations

from typing import Any


class Same:
    """A key part equal only to another ``Same`` of the very same object (which it keeps alive)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        return f"Same({type(self.obj).__name__} at {id(self.obj):#x})"
