"""DeepLabCut's markerless pose-estimation workflow, PyTorch-native.

The public functions keep DeepLabCut's names and arguments::

    import deeplabcut
    config = deeplabcut.create_new_project("reaching", "me", ["videos/v1.mp4"])
    deeplabcut.extract_frames(config)
    deeplabcut.create_training_dataset(config, net_type="dekr_32")

    import deeplabcut.pose_estimation_pytorch.apis as api
    api.train_network(config, shuffle=1)

Heavy modules (torch) are imported on first use, so ``import deeplabcut`` is quick.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# PyTorch's CPU build runs its threads with GNU OpenMP, whose idle threads spin
# for a long time before they sleep. When two PyTorch processes share the CPU
# (training while analysing a video, data-loader workers, a second job on a
# laptop) the spinning threads starve each other: 2-core training steps went
# from 5 s to 45 s. A shorter spin costs nothing measurable when the CPU is
# free (see docs/user-guide.md, "Several jobs at once"). Only takes effect if
# torch is imported after deeplabcut; a value the user set is kept.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

__version__ = "0.1.0"
VERSION = __version__

_API = "deeplabcut.pose_estimation_pytorch.apis"
_EXPORTS = {
    "create_new_project": "deeplabcut.project.create",
    "add_new_videos": "deeplabcut.project.create",
    "extract_frames": "deeplabcut.project.frames",
    "check_labels": "deeplabcut.visualization.check_labels",
    "create_training_dataset": "deeplabcut.training_dataset.create",
    "create_synthetic_project": "deeplabcut.synthetic",
    "train_network": _API,
    "evaluate_network": _API,
    "analyze_videos": _API,
    "analyze_images": _API,
    "convert_detections2tracklets": _API,
    "stitch_tracklets": _API,
    "create_labeled_video": _API,
    "plot_trajectories": _API,
    # post-processing (filterpredictions, analyzeskeleton, h5 -> csv/nwb)
    "filterpredictions": _API,
    "analyzeskeleton": _API,
    "analyze_videos_converth5_to_csv": "deeplabcut.post_processing",
    "analyze_videos_converth5_to_nwb": "deeplabcut.post_processing",
    # -- refinement loop (refine_training_dataset) --
    "extract_outlier_frames": "deeplabcut.refine_training_dataset",
    "refine_labels": "deeplabcut.refine_training_dataset",
    "merge_datasets": "deeplabcut.refine_training_dataset",
    # -- end refinement loop --
}
__all__ = ["VERSION", "__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deeplabcut' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
