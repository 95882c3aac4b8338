"""TMVA's ``Tools.Instance()`` and ``Types`` for the compatible workflow.

``Tools.Instance()`` is what TMVA scripts call first (to load TMVA); here it
returns the one Tools object. ``Types.kHashedDNN`` is "HashedDNN"; every other
``Types.k<Name>`` gives the method name, which BookMethod then refuses with
a clear message (only HashedDNN exists without TMVA).
"""

from __future__ import annotations

__all__ = ["Tools", "Types"]


class Tools:
    _instance = None

    @classmethod
    def Instance(cls) -> "Tools":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class _Types:
    def __getattr__(self, name: str) -> str:
        if name.startswith("k") and len(name) > 1:
            return name[1:]
        raise AttributeError(name)

    @staticmethod
    def Instance() -> "_Types":
        return Types


Types = _Types()
