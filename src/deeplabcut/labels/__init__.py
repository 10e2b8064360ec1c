"""Labeled data: ``CollectedData_<scorer>.h5``/``.csv`` I/O and ``check_labels``."""
