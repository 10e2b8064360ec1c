"""config.yaml: reading repairs placeholders in memory only, writing keeps comments, bad values are named."""

from pathlib import Path

import pytest

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    parse_crop,
    read_config,
    video_stems,
    write_config,
)


def test_openfield_placeholders_are_filled_in_memory_only(openfield_project: Path):
    before = openfield_project.read_bytes()
    cfg = read_config(openfield_project)
    assert cfg["project_path"] == str(openfield_project.parent)
    assert list(cfg["video_sets"]) == [str(openfield_project.parent / "videos" / "m4s1.mp4")]
    assert cfg["video_sets"][str(openfield_project.parent / "videos" / "m4s1.mp4")]["crop"] == "0, 640, 0, 480"
    assert video_stems(cfg) == ["m4s1"]
    assert get_bodyparts(cfg) == ["snout", "leftear", "rightear", "tailbase"]
    assert get_unique_bodyparts(cfg) == [] and get_individuals(cfg) == ["animal"]
    assert openfield_project.read_bytes() == before


def test_write_keeps_comments_and_key_order(openfield_project: Path):
    cfg = read_config(openfield_project)
    cfg["pcutoff"] = 0.5
    write_config(openfield_project, cfg)
    text = openfield_project.read_text()
    assert "# Plotting configuration" in text and "#if cropping is true for analysis" in text
    assert "pcutoff: 0.5" in text
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))]
    assert keys.index("Task") < keys.index("video_sets") < keys.index("pcutoff") < keys.index("TrainingFraction")
    assert read_config(openfield_project)["pcutoff"] == 0.5


def _edit(config_path: Path, old: str, new: str) -> None:
    text = config_path.read_text()
    assert old in text
    config_path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("scorer: Pranav\n", "", "scorer"),
        ("- 0.95", "- 0.955", "more than 2 decimals"),
        ("- 0.95", "- 1.5", "between 0 and 1"),
        ("pcutoff: 0.4", "pcutoff: 4", "pcutoff"),
        ("- rightear", "- snout", "more than once"),
        ("skeleton: []", "skeleton: [[snout, nose]]", "nose"),
        ("    crop: 0, 640, 0, 480", "    crop: 0, 640", "four numbers"),
    ],
)
def test_malformed_values_are_named(openfield_project: Path, old: str, new: str, message: str):
    _edit(openfield_project, old, new)
    with pytest.raises(ConfigError, match=message) as info:
        read_config(openfield_project)
    assert str(openfield_project) in str(info.value) or "crop" in str(info.value)


def test_missing_file_and_invalid_yaml(tmp_path: Path):
    with pytest.raises(MissingFileError, match="does not exist"):
        read_config(tmp_path / "config.yaml")
    bad = tmp_path / "config.yaml"
    bad.write_text("Task: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_config(bad)


def test_multianimal_lists_are_checked(tiny_multianimal_project: Path):
    _edit(tiny_multianimal_project, "- mouse2", "- single")
    with pytest.raises(ConfigError, match="'single' cannot be an individual"):
        read_config(tiny_multianimal_project)


def test_parse_crop():
    assert parse_crop("0, 640, 0, 480") == (0, 640, 0, 480)
    assert parse_crop([1, 2, 3, 4.0]) == (1, 2, 3, 4)
    with pytest.raises(ConfigError, match="x1 < x2"):
        parse_crop("5, 5, 0, 1")
