"""Search: query parser -> keyword backend (per database) / semantic / hybrid."""
