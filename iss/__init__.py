"""Instruction-set simulator of a heterogeneous PULP cluster with in-memory computing."""
__version__ = "0.1.0"
