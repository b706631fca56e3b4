"""The demo: bundled real arXiv papers placed on made-up daily lists with demo votes."""
