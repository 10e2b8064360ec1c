"""Streaming video reading over OpenCV, with background decoding.

Frames come out as RGB ``uint8`` arrays of shape ``(height, width, 3)``,
cropped to ``[y1:y2, x1:x2]`` when a crop ``(x1, x2, y1, y2)`` is given (the
order DeepLabCut writes in ``config.yaml``). Pixel coordinates of a cropped
frame are relative to its top-left corner ``(x1, y1)``.

Nothing here holds more than a few frames at a time: memory stays flat
whatever the length of the video.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from deeplabcut.errors import ConfigError, MissingFileError, VideoError, where

VIDEO_EXTENSIONS = ("avi", "mp4", "mov", "mpeg", "mpg", "mpv", "mkv", "flv", "qt", "yuv")
"""File extensions DeepLabCut treats as videos."""

PREFETCH_THREAD_NAME = "deeplabcut-video-prefetch"
"""Name of the background decoding thread (one per running :meth:`VideoReader.iter_batches`)."""

_REENCODE_HINT = (
    "Check that the path is right and that the file plays in a video player; if it "
    "does, OpenCV may lack its codec: re-encode it, e.g. "
    "`ffmpeg -i input.avi -c:v libx264 -pix_fmt yuv420p output.mp4`."
)


class VideoNotFoundError(VideoError, MissingFileError):
    """The video file does not exist."""


class TruncatedVideoError(VideoError):
    """Decoding stopped before the number of frames the video declares.

    Attributes:
        path: the video.
        frames_read: how many frames were decoded (and handed out) before the
            failure; frame ``frames_read`` is the first one that could not be
            read. Everything handed out before is valid and can be kept.
        expected_frames: the frame count the video declares.
    """

    def __init__(self, path: Path, frames_read: int, expected_frames: int) -> None:
        self.path = Path(path)
        self.frames_read = frames_read
        self.expected_frames = expected_frames
        super().__init__(
            f"Decoding of video {where(path)} stopped at frame {frames_read} of "
            f"{expected_frames}: the file is truncated or damaged from there on. "
            f"The first {frames_read} frames were read. Re-encode or re-export the video "
            "(e.g. `ffmpeg -i damaged.mp4 -c:v libx264 repaired.mp4`) to analyse the rest, "
            "or count frames by decoding (robust_nframes=True) to accept the shorter length."
        )


Cropping = tuple[int, int, int, int]
"""``(x1, x2, y1, y2)`` in pixels of the full frame; frames are ``frame[y1:y2, x1:x2]``."""


def _validate_cropping(
    cropping: Sequence[int] | None, width: int, height: int, path: Path
) -> Cropping | None:
    """Clip a crop to the frame; raise if it is malformed or empty."""
    if cropping is None:
        return None
    values = [int(round(float(value))) for value in cropping]
    if len(values) != 4:
        raise ConfigError(
            f"Cropping for video {where(path)} must be 4 numbers (x1, x2, y1, y2); got {cropping!r}."
        )
    x1, x2, y1, y2 = values
    x1, y1 = max(x1, 0), max(y1, 0)
    x2, y2 = min(x2, width), min(y2, height)
    if x2 <= x1 or y2 <= y1:
        raise ConfigError(
            f"Cropping (x1, x2, y1, y2) = {tuple(values)} leaves no pixels of video {where(path)} "
            f"({width}x{height} pixels); need 0 <= x1 < x2 <= {width} and 0 <= y1 < y2 <= {height}. "
            "Fix the crop in config.yaml (video_sets) or in the cropping argument."
        )
    return x1, x2, y1, y2


class VideoReader:
    """Read a video frame by frame or in batches, as RGB ``uint8`` arrays.

    Args:
        path: the video file.
        cropping: optional ``(x1, x2, y1, y2)`` in pixels; frames are returned as
            ``frame[y1:y2, x1:x2]`` (clipped to the frame).
        robust_nframes: count frames by decoding the whole file instead of
            trusting the container's frame count (slower, exact).

    Raises:
        VideoNotFoundError: the file does not exist.
        VideoError: OpenCV cannot open the file (unknown codec, not a video).
        ConfigError: the crop is malformed or empty.

    Example:
        >>> reader = VideoReader("videos/m3v1mp4.mp4")
        >>> for first_index, batch in reader.iter_batches(batch_size=8):
        ...     predictions = model(batch)   # batch: (b, H, W, 3) RGB uint8
    """

    def __init__(
        self,
        path: str | Path,
        cropping: Sequence[int] | None = None,
        robust_nframes: bool = False,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoNotFoundError(
                f"Video {where(self.path)} does not exist. Check the path (the videos listed "
                "in config.yaml video_sets must exist, or be symlinked into the project's "
                "videos/ folder)."
            )
        capture = self._open_capture()
        try:
            self.fps = float(capture.get(cv2.CAP_PROP_FPS))
            self.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
            self.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self._declared_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
        finally:
            capture.release()
        if self.width <= 0 or self.height <= 0:
            raise VideoError(f"Video {where(self.path)} reports no frame size. {_REENCODE_HINT}")
        self.codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00")
        self.cropping = _validate_cropping(cropping, self.width, self.height, self.path)
        self._counted_frames: int | None = None
        if robust_nframes or self._declared_frames <= 0:
            self._counted_frames = self.count_frames()
        self._random_access: cv2.VideoCapture | None = None

    # ------------------------------------------------------------------ info

    def _open_capture(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise VideoError(f"OpenCV cannot open video {where(self.path)}. {_REENCODE_HINT}")
        return capture

    @property
    def num_frames(self) -> int:
        """Number of frames: the container's count, or a decoded count if
        ``robust_nframes`` was asked (or the container gives none)."""
        if self._counted_frames is not None:
            return self._counted_frames
        return self._declared_frames

    def __len__(self) -> int:
        return self.num_frames

    @property
    def frame_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels of the frames handed out (after cropping)."""
        if self.cropping is None:
            return self.width, self.height
        x1, x2, y1, y2 = self.cropping
        return x2 - x1, y2 - y1

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """``(height, width, 3)`` of the frames handed out (after cropping)."""
        width, height = self.frame_size
        return height, width, 3

    def count_frames(self) -> int:
        """Count frames by decoding the whole video (grab only, no colour conversion)."""
        capture = self._open_capture()
        try:
            count = 0
            while capture.grab():
                count += 1
        finally:
            capture.release()
        return count

    def __repr__(self) -> str:
        return (
            f"VideoReader({str(self.path)!r}, {self.width}x{self.height}, {self.fps:.2f} fps, "
            f"{self.num_frames} frames, cropping={self.cropping})"
        )

    # --------------------------------------------------------------- decoding

    def _convert(self, bgr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Crop and convert a decoded BGR frame to RGB (into ``out`` if given)."""
        if self.cropping is not None:
            x1, x2, y1, y2 = self.cropping
            bgr = bgr[y1:y2, x1:x2]
        if out is None:
            return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=out)
        return out

    def _check_complete(self, frames_read: int, stop: int | None) -> None:
        expected = self.num_frames if stop is None else min(stop, self.num_frames)
        if frames_read < expected:
            raise TruncatedVideoError(self.path, frames_read, self.num_frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.iter_frames()

    def iter_frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Yield frames ``start, start+1, ...`` (up to ``stop``) as new RGB arrays.

        Raises:
            TruncatedVideoError: after the last decodable frame, if decoding
                stops before the declared frame count (``frames_read`` says
                where).
        """
        capture = self._open_capture()
        index = start
        try:
            if start:
                capture.set(cv2.CAP_PROP_POS_FRAMES, start)
            buffer = None
            while stop is None or index < stop:
                ok, buffer = capture.read(buffer)
                if not ok:
                    buffer = None
                    break
                yield self._convert(buffer)
                index += 1
        finally:
            capture.release()
        self._check_complete(index, stop)

    def read_frame(self, index: int) -> np.ndarray:
        """Return frame ``index`` (0-based) as an RGB array (seeks; slow for many frames)."""
        if not 0 <= index < self.num_frames:
            raise IndexError(
                f"Frame {index} is outside video {where(self.path)} (frames 0..{self.num_frames - 1})."
            )
        if self._random_access is None:
            self._random_access = self._open_capture()
        self._random_access.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = self._random_access.read()
        if not ok:
            raise VideoError(
                f"Frame {index} of video {where(self.path)} cannot be decoded. {_REENCODE_HINT}"
            )
        return self._convert(bgr)

    def _read_batches(self, batch_size: int) -> Iterator[tuple[int, np.ndarray]]:
        """Synchronous batches ``(first_index, (b, H, W, 3))``; frames go straight
        from the decoder into the batch array."""
        capture = self._open_capture()
        frames_read = 0
        try:
            decoded = None
            while True:
                batch = np.empty((batch_size, *self.frame_shape), dtype=np.uint8)
                filled = 0
                while filled < batch_size:
                    ok, decoded = capture.read(decoded)
                    if not ok:
                        decoded = None
                        break
                    self._convert(decoded, out=batch[filled])
                    filled += 1
                if filled:
                    yield frames_read, batch[:filled]
                frames_read += filled
                if filled < batch_size:
                    break
        finally:
            capture.release()
        self._check_complete(frames_read, None)

    def iter_batches(self, batch_size: int, prefetch: int = 4) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_frame_index, frames)`` with ``frames`` of shape ``(b, H, W, 3)``.

        Every batch holds ``batch_size`` frames except possibly the last.
        With ``prefetch > 0`` a background thread decodes ahead into a queue
        of at most ``prefetch`` batches, so the consumer (the model) does not
        wait on decoding while host memory stays bounded (about
        ``(prefetch + 2) * batch_size`` frames). OpenCV releases the GIL while
        decoding, so decoding really overlaps with the consumer's work.

        Stopping early is safe: when the loop is left (``break``, an exception,
        or ``close()`` on the returned generator), the thread is stopped and
        joined. An error in the decoding thread is re-raised here, after the
        batches decoded before it.

        Raises:
            TruncatedVideoError: after the last decodable batch, if the video
                ends before its declared frame count.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        if prefetch <= 0:
            return self._read_batches(batch_size)
        return self._prefetch_batches(batch_size, prefetch)

    def _prefetch_batches(self, batch_size: int, prefetch: int) -> Iterator[tuple[int, np.ndarray]]:
        batches: queue.Queue = queue.Queue(maxsize=prefetch)
        stop = threading.Event()
        thread = threading.Thread(
            target=self._produce_batches,
            args=(batch_size, batches, stop),
            name=PREFETCH_THREAD_NAME,
            daemon=True,
        )
        thread.start()
        try:
            while True:
                item = batches.get()
                if item is _END_OF_VIDEO:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):  # unblock a producer waiting on put()
                    while True:
                        batches.get_nowait()
                thread.join(timeout=0.05)

    def _produce_batches(self, batch_size: int, batches: queue.Queue, stop: threading.Event) -> None:
        """Background thread body: decode batches into the queue until done or stopped."""

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    batches.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            with contextlib.closing(self._read_batches(batch_size)) as producer:
                for item in producer:
                    if not put(item):
                        return
            put(_END_OF_VIDEO)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)

    # -------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Release the capture kept for :meth:`read_frame` (iteration opens its own)."""
        if self._random_access is not None:
            self._random_access.release()
            self._random_access = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_END_OF_VIDEO = object()
