"""What the benchmarks that run the real DeepLabCut 3.0.2 share (``dlc_interop.py``, ``side_by_side.py``).

DeepLabCut is installed in a virtual environment of its own (both packages are
named ``deeplabcut``); its calls run in child processes of that Python, with
the working directory outside this repository, ``PYTHONPATH`` removed and, on
the CPU, ``CUDA_VISIBLE_DEVICES=""``.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
OPENFIELD = ROOT.parent / "shared" / "data" / "openfield-Pranav-2018-10-30"
OPENFIELD_VIDEO = OPENFIELD / "videos" / "m3v1mp4.mp4"
DEFAULT_DLC_PYTHON = Path(os.environ.get("DLC_PYTHON", "/work/dlc-venv/bin/python"))

#: DeepLabCut 3.0.2's train_network always starts from ImageNet weights it downloads with timm
#: (apis/training.py: ``pretrained = True`` unless a snapshot or ``weight_init`` is given). There is
#: no network here, so in DeepLabCut's process timm builds the backbone with random weights instead.
#: Run this code in DeepLabCut's process before its first model is built.
OFFLINE_WEIGHTS_CODE = textwrap.dedent(
    """
    import timm
    _create_model = timm.create_model
    def create_model(*args, **kwargs):
        kwargs["pretrained"] = False
        return _create_model(*args, **kwargs)
    timm.create_model = create_model
    """
)


def dlc_environment(device: str = "cpu") -> dict[str, str]:
    """The environment of a child process of DeepLabCut's Python: no ``PYTHONPATH``, no GPU unless ``device`` is one."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    if not device.startswith("cuda"):
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def cut_clip(source: Path, target: Path, frames: int | None, repeat: int = 1) -> Path:
    """Write the first ``frames`` frames of ``source`` (all with None) to ``target`` (mp4v),
    ``repeat`` times one after the other.

    ``repeat`` > 1 makes a longer video of the same content (for memory against video length);
    only then are the frames held in memory.
    """
    if frames is None and repeat == 1:
        shutil.copy2(source, target)
        return target
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30
    writer, kept, count = None, [], 0
    while frames is None or count < frames:
        ok, frame = capture.read()
        if not ok:
            break
        if writer is None:
            height, width = frame.shape[:2]
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        writer.write(frame)
        if repeat > 1:
            kept.append(frame)
        count += 1
    capture.release()
    if writer is None:
        raise RuntimeError(f"No frame could be read from {source}.")
    for _ in range(repeat - 1):
        for frame in kept:
            writer.write(frame)
    writer.release()
    return target
