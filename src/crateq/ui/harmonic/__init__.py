"""Harmonic mixing in the window: the playing track and "mixes with" (ui/harmonic)."""
