"""Rendering: text.py (pure, escaped HTML and dates in words) and keyboards.py (telegram)."""
