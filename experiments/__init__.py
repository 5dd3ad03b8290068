"""Experiments run on the simulator as clients of its public API (installed as
`iss_experiments`; the library `iss` does not import them).
paper/: the reproduction of Garofalo et al., arXiv 2201.01089 (tools/paper.py, docs/paper.md)."""
