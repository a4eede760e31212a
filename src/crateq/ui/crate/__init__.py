"""The crate artist intelligence: the artist card and the discovery panel."""
