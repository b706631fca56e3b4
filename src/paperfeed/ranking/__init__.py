"""Ranking as pure functions of votes and times (no database)."""
