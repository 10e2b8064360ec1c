"""The refinement loop: outlier frames -> corrected labels -> the next iteration.

``extract_outlier_frames`` (:mod:`.outlier_frames`) puts frames a model got
wrong, with its predictions, into ``labeled-data``; ``refine_labels`` opens
them in napari-deeplabcut; ``merge_datasets`` (:mod:`.refine`) checks the
corrections and raises config.yaml's ``iteration``.
"""

from deeplabcut.refine_training_dataset.outlier_frames import extract_outlier_frames, find_outliers
from deeplabcut.refine_training_dataset.refine import merge_datasets, refine_labels

__all__ = ["extract_outlier_frames", "find_outliers", "merge_datasets", "refine_labels"]
