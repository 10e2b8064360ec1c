"""Inference post-processing: predictions per item -> predictions per frame, in frame pixels."""

from __future__ import annotations

import numpy as np

from deeplabcut.pose_estimation_pytorch.inference.preprocessors import ItemTransforms


def items_to_frames(
    poses: np.ndarray, transforms: ItemTransforms, num_frames: int, rows: int | None = None
) -> np.ndarray:
    """Map each item's poses back to its frame and gather the rows of each frame.

    Args:
        poses: ``(N, A, ..., 3)`` ``(x, y, score)`` in item pixels, one entry per
            item of ``transforms``; rows with a score < 0 are padding (-1).
        transforms: how each item was made (frame and ``scale``/``offset``).
        num_frames: frames in the batch.
        rows: rows per frame in the result (default: the most any frame has);
            missing rows are -1, extra rows are dropped.

    Returns:
        ``(num_frames, rows, ..., 3)`` in frame pixels, ``poses``' dtype. With
        one item per frame (full-image models) this is item ``i`` for frame
        ``i``; with several (top-down crops) a frame's rows are its items'
        rows, in item order.
    """
    mapped = transforms.to_original(poses).astype(poses.dtype, copy=False)
    if rows is None and np.array_equal(transforms.frame_index, np.arange(num_frames)):
        return mapped
    per_frame = [mapped[transforms.frame_index == frame].reshape(-1, *poses.shape[2:]) for frame in range(num_frames)]
    rows = max(len(frame) for frame in per_frame) if rows is None else rows
    out = np.full((num_frames, rows, *poses.shape[2:]), -1.0, dtype=poses.dtype)
    for frame, frame_rows in enumerate(per_frame):
        out[frame, : min(rows, len(frame_rows))] = frame_rows[:rows]
    return out
