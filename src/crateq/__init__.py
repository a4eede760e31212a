"""CrateQ Desktop: one sign-in to search, preview, queue and download from many DJ record pools."""

__version__ = "0.1.0"
