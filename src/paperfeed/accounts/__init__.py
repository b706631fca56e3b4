"""Accounts: usernames, password hashing, server-side sessions and rate limits."""
