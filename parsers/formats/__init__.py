"""Format readers: bytes of one file → :class:`parsers.grid.Extracted` (grids + text)."""
