"""Sefton Council's plugin for sen-disagreement (entry point ``sefton``)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
