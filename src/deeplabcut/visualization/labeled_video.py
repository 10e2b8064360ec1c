"""Labeled videos: stream a video, draw each frame's predicted points, write atomically."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError
from deeplabcut.formats.pose_table import poses_from_dataframe
from deeplabcut.video import TruncatedVideoError, VideoReader, VideoWriter
from deeplabcut.visualization.colors import ColorSpec, colors_to_rgb255, get_colors
from deeplabcut.visualization.drawing import ColorBy, LowConfidence, draw_poses, skeleton_indices


def create_labeled_video_from_dataframe(
    video_path: str | Path,
    dataframe: pd.DataFrame,
    output_path: str | Path,
    pcutoff: float = 0.6,
    dot_size: float = 8,
    cmap: str = "rainbow",
    color_by: ColorBy = "bodypart",
    skeleton: Sequence[Sequence[str | int]] | None = None,
    skeleton_color: ColorSpec = "white",
    trailpoints: int = 0,
    codec: str = "mp4v",
    cropping: Sequence[int] | None = None,
    display_cropped: bool = False,
    progress: Callable[[int], object] | None = None,
    alpha: float = 1.0,
    bodyparts: Sequence[str] | None = None,
    individuals: Sequence[str] | None = None,
    low_confidence: LowConfidence = "hide",
    fps: float | None = None,
    batch_size: int = 8,
    prefetch: int = 4,
) -> Path:
    """Draw the poses of an analysis DataFrame onto every frame of its video.

    The video is decoded in a background thread, frames are drawn and written
    one by one, and the output appears under ``output_path`` only once
    complete; memory does not grow with the video's length.

    Args:
        video_path: the analysed video.
        dataframe: DeepLabCut analysis output: columns ``scorer/bodyparts/coords``
            (single animal) or ``scorer/individuals/bodyparts/coords``
            (multi-animal; unique bodyparts under individual ``single``), coords
            ``x, y, likelihood`` in pixels; row ``i`` is frame ``i`` (an integer
            index gives the frame numbers).
        output_path: the labeled video to write.
        pcutoff: points with likelihood ``> pcutoff`` are drawn.
        dot_size: disc radius in pixels (config.yaml ``dotsize``).
        cmap: matplotlib colormap (config.yaml ``colormap``).
        color_by: ``"bodypart"`` (one colour per bodypart) or ``"individual"``.
        skeleton: pairs of bodypart names (config.yaml ``skeleton``) or indices.
        skeleton_color: colour of skeleton lines (config.yaml ``skeleton_color``).
        trailpoints: also draw each point's positions in this many previous
            frames, as smaller discs.
        codec: four-character code of the output (``"mp4v"`` for .mp4).
        cropping: ``(x1, x2, y1, y2)`` if the video was analysed on that crop:
            the DataFrame's coordinates are then relative to ``(x1, y1)``.
        display_cropped: with ``cropping``, write only the cropped area
            (otherwise the full frame with the points shifted by ``(x1, y1)``,
            as DeepLabCut's ``displaycropped=False``).
        progress: called with the number of frames written since the last
            call (e.g. ``tqdm(total=n).update``).
        alpha: opacity of the drawing (config.yaml ``alphavalue``).
        bodyparts / individuals: draw only these.
        low_confidence: ``"hide"`` or ``"cross"`` for points at or below pcutoff.
        fps: output frame rate (default: the input's).
        batch_size / prefetch: decoding batch size and queue length.

    Returns:
        ``output_path`` as a Path.

    Raises:
        deeplabcut.errors.VideoError: the video cannot be read or written (a
            video that breaks mid-way raises
            :class:`deeplabcut.video.TruncatedVideoError` and leaves no output).
        deeplabcut.errors.LabelError: the DataFrame is not in DeepLabCut's layout.
    """
    if color_by not in ("bodypart", "individual"):
        raise ConfigError(f"color_by must be 'bodypart' or 'individual', got {color_by!r}.")
    table = poses_from_dataframe(dataframe, bodyparts=bodyparts, individuals=individuals)
    skeleton_pairs = skeleton_indices(skeleton, table.bodyparts)
    num_colors = len(table.bodyparts) if color_by == "bodypart" else len(table.individuals)
    palette = colors_to_rgb255(get_colors(num_colors, cmap))

    reader = VideoReader(video_path, cropping=cropping)
    offset = np.zeros(2)
    if reader.cropping is not None and not display_cropped:
        x1, _, y1, _ = reader.cropping  # crop coordinates -> full-frame coordinates
        offset = np.array([x1, y1], dtype=float)
        reader = VideoReader(video_path)

    # frame number -> row of the table (-1: no data for that frame)
    num_rows = int(table.frame_indices.max()) + 1 if len(table.frame_indices) else 0
    row_of_frame = np.full(num_rows, -1, dtype=np.int64)
    valid = table.frame_indices >= 0
    row_of_frame[table.frame_indices[valid]] = np.flatnonzero(valid)
    def poses_at(frame_index: int) -> np.ndarray | None:
        """``(N, K, 3)`` of one frame in output-frame pixels, or None without data."""
        if 0 <= frame_index < num_rows and row_of_frame[frame_index] >= 0:
            frame_poses = table.poses[row_of_frame[frame_index]].copy()
            frame_poses[..., :2] += offset
            return frame_poses
        return None

    trail_radius = max(dot_size / 2.0, 1.0)
    draw_options = dict(
        colors=palette, pcutoff=pcutoff, alpha=alpha, color_by=color_by, copy=False
    )
    output_path = Path(output_path)
    with VideoWriter(output_path, fps or reader.fps, reader.frame_size, codec=codec) as writer:
        for first_index, batch in _until_truncation(reader.iter_batches(batch_size, prefetch=prefetch)):
            for offset_in_batch in range(len(batch)):
                frame_index = first_index + offset_in_batch
                frame = batch[offset_in_batch]
                for lag in range(trailpoints, 0, -1):
                    past = poses_at(frame_index - lag)
                    if past is not None:
                        draw_poses(frame, past, dot_size=trail_radius, **draw_options)
                current = poses_at(frame_index)
                if current is not None:
                    draw_poses(
                        frame,
                        current,
                        dot_size=dot_size,
                        skeleton=skeleton_pairs,
                        skeleton_color=skeleton_color,
                        low_confidence=low_confidence,
                        **draw_options,
                    )
                writer.write(frame)
            if progress is not None:
                progress(len(batch))
    return output_path


def _until_truncation(batches):
    """Yield the batches of a video; a video that ends early is drawn up to where it broke.

    The labeled video is then shorter than the declared length, and a
    ``UserWarning`` names the frame where decoding stopped.
    """
    try:
        yield from batches
    except TruncatedVideoError as err:
        warnings.warn(str(err), stacklevel=3)
