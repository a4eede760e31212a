"""Services: what the app does. Imports no Qt, so the CLI and tests drive it directly."""
