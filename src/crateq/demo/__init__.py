"""The embedded demo: local record-pool servers and a crate stand-in."""
