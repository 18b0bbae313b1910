"""The DuckDB store and everything that writes to it through the one write path."""
