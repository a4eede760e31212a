"""The DJ's collections in the window: the source tree beside the grid and its keys."""
