"""PySide6 user interface: a thin layer of signals in and service calls out."""
