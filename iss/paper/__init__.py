"""Reproductions of the paper's experiments (Garofalo et al., arXiv 2201.01089):
bottleneck.py: the MobileNetV2 bottleneck block in five mappings (docs/bottleneck.md)."""
