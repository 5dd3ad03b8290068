"""Peripheral models of the PULP cluster, installed as the `iss_plugins` package."""
