"""Wire level: one async client per remote API. Imports no Qt."""
