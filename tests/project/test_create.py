"""create_new_project / add_new_videos: DeepLabCut's layout, checked videos, no partial projects."""

import datetime as dt
import warnings
from pathlib import Path

import pytest

from deeplabcut.errors import MissingFileError, VideoError
from deeplabcut.project.config import read_config
from deeplabcut.project.create import add_new_videos, config_date, create_new_project

from conftest import write_video


def test_creates_deeplabcut_layout(tmp_path: Path):
    video = write_video(tmp_path / "mouse.mp4", size=(64, 48))
    config_path = Path(create_new_project("open", "ana", [video], working_directory=tmp_path))
    project = config_path.parent
    assert project.name == f"open-ana-{dt.date.today().isoformat()}"
    for folder in ("videos", "labeled-data/mouse", "training-datasets", "dlc-models"):
        assert (project / folder).is_dir()
    assert (project / "videos" / "mouse.mp4").is_symlink()
    cfg = read_config(config_path)
    assert cfg["Task"] == "open" and cfg["scorer"] == "ana"
    assert cfg["date"] == config_date(dt.date.today())
    assert cfg["video_sets"] == {str(project / "videos" / "mouse.mp4"): {"crop": "0, 64, 0, 48"}}
    assert cfg["multianimalproject"] is False and isinstance(cfg["bodyparts"], list)


def test_multianimal_defaults_and_copy(tmp_path: Path):
    video = write_video(tmp_path / "mice.mp4")
    config_path = Path(create_new_project("p", "e", video, working_directory=tmp_path, multianimal=True, copy_videos=True))
    cfg = read_config(config_path)
    assert cfg["bodyparts"] == "MULTI!"
    assert cfg["individuals"] == ["individual1", "individual2", "individual3"]
    assert cfg["multianimalbodyparts"] == ["bodypart1", "bodypart2", "bodypart3"]
    assert cfg["identity"] is False and cfg["default_track_method"] == "ellipse"
    assert not (config_path.parent / "videos" / "mice.mp4").is_symlink()


def test_config_date_has_no_zero_padding():
    assert config_date(dt.date(2024, 11, 5)) == "Nov5"
    assert config_date(dt.date(2018, 10, 30)) == "Oct30"


def test_unreadable_video_creates_nothing(tmp_path: Path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    with pytest.raises(VideoError, match="broken.mp4"):
        create_new_project("p", "e", [broken], working_directory=tmp_path)
    assert not any(p.name.startswith("p-e-") for p in tmp_path.iterdir())


def test_missing_video(tmp_path: Path):
    with pytest.raises(MissingFileError, match="nothere.mp4"):
        create_new_project("p", "e", [tmp_path / "nothere.mp4"], working_directory=tmp_path)


def test_existing_project_is_left_unchanged(tmp_path: Path):
    video = write_video(tmp_path / "v.mp4")
    config_path = Path(create_new_project("p", "e", [video], working_directory=tmp_path))
    before = config_path.read_text()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = create_new_project("p", "e", [video], working_directory=tmp_path)
    assert again == str(config_path) and config_path.read_text() == before
    assert any("already exists" in str(w.message) for w in caught)


def test_add_new_videos(tmp_path: Path):
    first = write_video(tmp_path / "a.mp4")
    config_path = create_new_project("p", "e", [first], working_directory=tmp_path)
    second = write_video(tmp_path / "b.mp4", size=(32, 16))
    added = add_new_videos(config_path, [second, first], coords=[(1, 30, 2, 15), (0, 64, 0, 48)])
    cfg = read_config(config_path)
    assert len(added) == 1 and len(cfg["video_sets"]) == 2
    assert cfg["video_sets"][added[0]]["crop"] == "1, 30, 2, 15"
    assert (Path(cfg["project_path"]) / "labeled-data" / "b").is_dir()
