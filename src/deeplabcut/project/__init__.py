"""DeepLabCut projects: ``config.yaml``, creation, paths, frame extraction."""
