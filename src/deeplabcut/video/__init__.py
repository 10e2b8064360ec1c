"""Streaming video I/O: a reader with background decoding and an atomic writer."""

from deeplabcut.video.reader import (
    PREFETCH_THREAD_NAME,
    VIDEO_EXTENSIONS,
    Cropping,
    TruncatedVideoError,
    VideoNotFoundError,
    VideoReader,
)
from deeplabcut.video.writer import VideoWriter

__all__ = [
    "PREFETCH_THREAD_NAME",
    "VIDEO_EXTENSIONS",
    "Cropping",
    "TruncatedVideoError",
    "VideoNotFoundError",
    "VideoReader",
    "VideoWriter",
]
