"""Atomic video writing over OpenCV.

Frames are written to a temporary file beside the target (same folder, same
extension, so OpenCV picks the same container) and renamed onto the target
when the writer is closed successfully. A crash or an exception leaves no
half-written video under the final name.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import cv2
import numpy as np

from deeplabcut.errors import VideoError, where


class VideoWriter:
    """Write RGB ``uint8`` frames to a video file, atomically.

    Args:
        path: the output video; its extension chooses the container (``.mp4``,
            ``.avi``...). Missing parent folders are created.
        fps: frames per second.
        frame_size: ``(width, height)`` in pixels of every frame.
        codec: a four-character code, e.g. ``"mp4v"`` (``.mp4``, DeepLabCut's
            default) or ``"MJPG"`` (``.avi``).
        is_color: ``False`` to write single-channel ``(H, W)`` frames.

    Raises:
        VideoError: OpenCV cannot open a writer with this codec and container.

    Use it as a context manager; the file appears under ``path`` only when
    the block ends without an exception::

        with VideoWriter("labeled.mp4", fps=30, frame_size=(640, 480)) as writer:
            for frame in frames:
                writer.write(frame)   # (480, 640, 3) RGB uint8
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        frame_size: tuple[int, int],
        codec: str = "mp4v",
        is_color: bool = True,
    ) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self.codec = codec
        self.is_color = is_color
        self.frames_written = 0
        if len(codec) != 4:
            raise VideoError(
                f"Codec {codec!r} for video {where(self.path)} must be a four-character code "
                "such as 'mp4v' (for .mp4) or 'MJPG' (for .avi)."
            )
        if not self.fps > 0:
            raise VideoError(f"Video {where(self.path)} needs fps > 0, got {fps}.")
        if min(self.frame_size) <= 0:
            raise VideoError(
                f"Video {where(self.path)} needs a positive frame size (width, height), got {frame_size}."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._temporary = self.path.with_name(
            f".{self.path.stem}.{uuid.uuid4().hex[:8]}.tmp{self.path.suffix}"
        )
        self._writer: cv2.VideoWriter | None = cv2.VideoWriter(
            str(self._temporary),
            cv2.VideoWriter_fourcc(*codec),
            self.fps,
            self.frame_size,
            is_color,
        )
        if not self._writer.isOpened():
            self._writer.release()
            self._writer = None
            self._remove_temporary()
            raise VideoError(
                f"OpenCV cannot write video {where(self.path)} with codec {codec!r}: this "
                "OpenCV build has no such encoder for this container. Use codec='mp4v' for "
                ".mp4 or codec='MJPG' for .avi (both ship with OpenCV)."
            )

    @property
    def _expected_shape(self) -> tuple[int, ...]:
        width, height = self.frame_size
        return (height, width, 3) if self.is_color else (height, width)

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: RGB ``uint8`` of shape ``(height, width, 3)``
        (``(height, width)`` when ``is_color=False``)."""
        if self._writer is None:
            raise VideoError(f"Video {where(self.path)} is already closed; open a new VideoWriter.")
        if frame.shape != self._expected_shape or frame.dtype != np.uint8:
            raise VideoError(
                f"Frame {self.frames_written} for video {where(self.path)} has shape {frame.shape} "
                f"and dtype {frame.dtype}; expected {self._expected_shape} uint8 (the frame_size "
                "given to VideoWriter is (width, height))."
            )
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if self.is_color else frame)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and move it onto ``path`` (replacing an older file)."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        if not self._temporary.is_file() or self._temporary.stat().st_size == 0:
            self._remove_temporary()
            raise VideoError(
                f"OpenCV produced no data for video {where(self.path)} (codec {self.codec!r}); "
                "try codec='mp4v' for .mp4 or 'MJPG' for .avi."
            )
        os.replace(self._temporary, self.path)

    def abort(self) -> None:
        """Stop writing and delete the partial file; ``path`` is left untouched."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        if self._temporary.exists():
            self._temporary.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # a writer dropped without close() never publishes a partial file
        if getattr(self, "_writer", None) is not None:
            try:
                self.abort()
            except Exception:
                pass
