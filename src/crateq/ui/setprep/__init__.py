"""The set-prep view: a tracklist matched against every pool, line by line."""
