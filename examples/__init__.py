"""Runnable examples of using graph-photos (see each module's docstring)."""
