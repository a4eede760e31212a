"""Searching: the search bar, filters, results grid and model, previews, saved searches."""
