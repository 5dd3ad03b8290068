"""Reproductions of the paper's experiments (Garofalo et al., arXiv 2201.01089), driven by
tools/paper.py (docs/paper.md):
bottleneck.py: the MobileNetV2 bottleneck block in five mappings (docs/bottleneck.md);
mobilenetv2/: MobileNetV2 end to end, one module per stage (docs/mobilenetv2.md);
tilepack.py: Tile&Pack, the tiling and bin packing of crossbar weights."""
