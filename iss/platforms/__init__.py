"""Shipped platform descriptions (TOML)."""
