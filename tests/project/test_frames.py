"""extract_frames: DeepLabCut's image names, frames from the right part of the video, nothing overwritten."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.project.config import read_config, write_config
from deeplabcut.project.create import create_new_project
from deeplabcut.project.frames import extract_frames, frame_image_name
from deeplabcut.video import VideoReader

from conftest import write_video


def make_project(tmp_path: Path, num_frames: int = 40) -> Path:
    video = write_video(tmp_path / "clip.mp4", num_frames=num_frames, size=(64, 48))
    config_path = Path(create_new_project("f", "e", [video], working_directory=tmp_path))
    cfg = read_config(config_path)
    cfg["numframes2pick"] = 5
    write_config(config_path, cfg)
    return config_path


def test_names_are_zero_padded_like_deeplabcut():
    assert frame_image_name(7, 2330) == "img0007.png"
    assert frame_image_name(42, 100) == "img42.png"
    assert frame_image_name(3, 5) == "img3.png"


@pytest.mark.parametrize("algo", ["uniform", "kmeans"])
def test_extracts_numframes2pick_frames(tmp_path: Path, algo: str):
    config_path = make_project(tmp_path)
    written = extract_frames(config_path, algo=algo, seed=0)
    assert len(written) == 5
    with VideoReader(config_path.parent / "videos" / "clip.mp4") as reader:
        frames = list(reader)
    for path in written:
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        assert image.shape == (48, 64, 3)
        np.testing.assert_array_equal(image, frames[int(path.stem[3:])])  # really frame <index>


def test_start_stop_and_no_overwrite(tmp_path: Path):
    config_path = make_project(tmp_path)
    cfg = read_config(config_path)
    cfg["start"], cfg["stop"] = 0.5, 1.0
    write_config(config_path, cfg)
    first = extract_frames(config_path, algo="uniform", seed=1)
    assert all(int(p.stem[3:]) >= 20 for p in first)
    marker = first[0].read_bytes()
    first[0].write_bytes(b"labeled already")
    second = extract_frames(config_path, algo="uniform", seed=1)
    assert second == [] and first[0].read_bytes() == b"labeled already" and marker


def test_manual_mode_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="manual"):
        extract_frames(make_project(tmp_path), mode="manual")
