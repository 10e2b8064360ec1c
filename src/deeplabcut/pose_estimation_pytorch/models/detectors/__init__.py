"""Detectors for top-down models: find each animal's box in a full frame.

Entry point: :func:`build_detector` (or ``CenterDetector.build``) with the
``detector.model`` section of ``pytorch_config.yaml``; detectors are found by
their ``type`` in the ``DETECTORS`` registry. A detector has the same
contract as :class:`~deeplabcut.pose_estimation_pytorch.models.model.PoseModel`::

    detector = build_detector(pytorch_config["detector"]["model"])
    outputs = detector(images)                  # {output: tensor}
    targets = detector.get_targets(batch)       # from batch["boxes"] or batch["keypoints"]
    losses = detector.get_loss(outputs, targets)  # {"total_loss": ..., <output>: ...}
    found = detector.predict(outputs)           # {"bboxes": (B, N, 4), "bbox_scores": (B, N)}
"""

from collections.abc import Mapping
from typing import Any

from deeplabcut.pose_estimation_pytorch.models.detectors.center import DETECTOR_LAYOUT, CenterDetector
from deeplabcut.pose_estimation_pytorch.models.registry import DETECTORS, import_submodules


def build_detector(config: Mapping[str, Any]) -> Any:
    """The detector described by ``config`` (``detector.model``, with a ``type`` key).

    Raises:
        ConfigError: the type is unknown or a key is wrong.
    """
    return DETECTORS.build(config)


__all__ = ["DETECTOR_LAYOUT", "CenterDetector", "build_detector"]

# Every module of this folder registers its parts: a new one needs no line here.
import_submodules(__name__, __path__)
