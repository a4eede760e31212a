"""The accounts dialog: record pools and the crate key."""
