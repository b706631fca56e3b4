"""Storage: engine and sessions, tables, query functions, migrations."""
