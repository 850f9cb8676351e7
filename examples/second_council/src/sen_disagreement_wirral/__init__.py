"""Example council plugin for sen-disagreement: Wirral (entry point ``wirral``)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
