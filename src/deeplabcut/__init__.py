"""DeepLabCut's markerless pose-estimation workflow, PyTorch-native."""

__version__ = "0.1.0"
VERSION = __version__
