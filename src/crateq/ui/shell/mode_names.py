"""The names of the three window modes, without Qt: the console script reads them too."""

MODES = ("widget", "app", "fullscreen")
WIDGET, APP, FULLSCREEN = MODES
