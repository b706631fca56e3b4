"""JSON API routes and response schemas (separate from the tables)."""
