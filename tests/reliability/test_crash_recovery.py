"""Issue 12, class 7: no litter, no lost rows, nothing partial taken for done, after ``kill -9``.

A child process trains (or analyzes) and SIGKILLs itself at a chosen moment;
the next run in the same folder removes the temporary files of the killed
write, resumes to the same final epoch with a complete ``learning_stats.csv``
(rows lost between a snapshot and its row are rebuilt from the snapshot), and
analyzes again a video whose result is partial.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from deeplabcut.pose_estimation_pytorch.apis import analyze_videos, train_network
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots, load_checkpoint
from deeplabcut.pose_estimation_pytorch.train_module import CSVLogger
from deeplabcut.project.paths import AnalysisFiles, TRAINING_LOCK_FILENAME
from deeplabcut.utils.atomic import leftover_temporary_files
from deeplabcut.video import TruncatedVideoError, VideoReader

from conftest import make_tiny_dekr_shuffle
from reliability.crash import analyzed_poses, install_frame_mean_runner, make_video_project, python_child, video_answer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is a POSIX signal")

EPOCHS, KILLED_AT = 3, 2

def tiny_shuffle(root: Path) -> Path:
    """A single-animal tiny-DEKR shuffle: 4 training images (one batch), 1 test image."""
    return make_tiny_dekr_shuffle(root, multianimal=False, num_frames=10, num_labeled_frames=5, frame_size=(64, 64))


#: The child: train EPOCHS epochs (a snapshot each), SIGKILL itself in epoch KILLED_AT at the named moment.
TRAIN_AND_DIE = f"""
import sys
import torch
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.apis.utils import ProgressReporter
from deeplabcut.pose_estimation_pytorch.train_module import CSVLogger
from reliability.crash import kill_self

config, moment = sys.argv[1:]
if moment == "mid-epoch":  # after the epoch's batch, before its snapshot and row
    batch = ProgressReporter._batch
    def killing(self, epoch, index, loss):
        if epoch == {KILLED_AT} and index == 0:
            kill_self()
        batch(self, epoch, index, loss)
    ProgressReporter._batch = killing
elif moment == "mid-snapshot-save":  # half the snapshot's bytes are in its temporary file
    save = torch.save
    def killing(state, path, *args, **kwargs):
        save(state, path, *args, **kwargs)
        if state["metadata"]["epoch"] == {KILLED_AT}:
            data = open(path, "rb").read()
            open(path, "wb").write(data[: len(data) // 2])
            kill_self()
    torch.save = killing
elif moment == "between-snapshot-and-row":
    log = CSVLogger.log
    def killing(self, step, record):
        if step == {KILLED_AT}:
            kill_self()
        log(self, step, record)
    CSVLogger.log = killing
train_network(config, epochs={EPOCHS}, save_epochs=1, max_snapshots_to_keep=10)
"""


@pytest.mark.parametrize("moment", ["mid-epoch", "mid-snapshot-save", "between-snapshot-and-row"])
def test_training_killed_resumes_to_the_same_epoch_with_every_row(tmp_path: Path, capsys, moment):
    config = tiny_shuffle(tmp_path)
    train_folder = ShuffleData(config).train_folder
    killed = python_child(TRAIN_AND_DIE, str(config), moment)
    assert killed.returncode == -9, killed.stderr[-2000:]

    snapshots = {s.epoch: s for s in list_snapshots(train_folder)}
    litter = [p.name for p in leftover_temporary_files(train_folder)]
    assert sorted(CSVLogger(train_folder / "learning_stats.csv").rows) == [1]
    if moment == "between-snapshot-and-row":
        assert sorted(snapshots) == [1, 2] and litter == []
    elif moment == "mid-snapshot-save":
        assert sorted(snapshots) == [1] and len(litter) == 1 and litter[0].startswith(".snapshot-002.")
    else:
        assert sorted(snapshots) == [1] and litter == []
    assert (train_folder / TRAINING_LOCK_FILENAME).exists()  # left by the killed process, and not held

    result = train_network(config, snapshot_path=snapshots[max(snapshots)].path)
    out = capsys.readouterr().out

    assert result.last_epoch == EPOCHS
    rows = CSVLogger(train_folder / "learning_stats.csv").rows
    assert sorted(rows) == list(range(1, EPOCHS + 1))
    for epoch, row in rows.items():
        assert math.isfinite(row["losses/train.total_loss"]) and row["learning_rate"] > 0, epoch
    assert EPOCHS in {s.epoch for s in list_snapshots(train_folder)}
    assert leftover_temporary_files(train_folder) == []
    assert not (train_folder / TRAINING_LOCK_FILENAME).exists()
    if moment == "between-snapshot-and-row":
        assert "learning_stats.csv lacked the row(s) of epoch(s) 2; rebuilt them from the metadata of their snapshots." in out
        logged = load_checkpoint(snapshots[2].path)["metadata"]["learning_stats"]
        assert "losses/train.total_loss" in logged and "learning_rate" in logged
        assert rows[2] == pytest.approx({name: value for name, value in logged.items() if not math.isnan(value)})
    else:
        assert "rebuilt" not in out
    if moment == "mid-snapshot-save":
        assert f"Removed 1 temporary file(s) left in {train_folder} by an interrupted run: {litter[0]}." in out


#: The child: analyze one video with the stand-in model and SIGKILL itself at the named moment.
ANALYZE_AND_DIE = """
import os
import sys
from deeplabcut.pose_estimation_pytorch.apis import analyze_videos
from reliability.crash import install_frame_mean_runner, kill_self

config, video, moment = sys.argv[1:]
if moment == "mid-video":
    install_frame_mean_runner(3, kill_after_frames=12)
else:  # "mid-write": the new .h5 is in place, the new _meta.pickle's temporary file is written, not renamed
    install_frame_mean_runner(3)
    replace = os.replace
    def killing(source, target):
        if str(target).endswith("_meta.pickle"):
            kill_self()
        replace(source, target)
    os.replace = killing
analyze_videos(config, [video], overwrite=True)
"""


@pytest.mark.parametrize(
    "moment, earlier",
    [("mid-video", False), ("mid-video", True), ("mid-write", True)],
    ids=["mid-video", "mid-video-of-a-new-analysis", "mid-write-of-a-new-analysis"],
)
def test_analysis_killed_is_done_again_and_never_taken_for_done(tmp_path: Path, monkeypatch, capsys, moment, earlier):
    config = make_video_project(tmp_path)
    video = next((config.parent / "videos").glob("*.mp4"))
    runner = install_frame_mean_runner(3, monkeypatch)
    scorer = analyze_videos(config, [video])  # an earlier, complete analysis...
    files = AnalysisFiles.of(video, scorer)
    earlier_meta = files.meta.read_bytes()
    if not earlier:  # ...or none
        for path in (files.h5, files.meta):
            path.unlink()

    killed = python_child(ANALYZE_AND_DIE, str(config), str(video), moment)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert files.lock.exists()  # left by the killed process, and not held
    if moment == "mid-video":  # nothing was written: an earlier complete result stands
        assert files.meta.exists() == files.h5.exists() == earlier and not files.partial.exists()
        assert leftover_temporary_files(files.folder) == []
    else:  # a new .h5 beside the earlier _meta.pickle: not a complete analysis, and marked so
        assert files.meta.read_bytes() == earlier_meta
        assert json.loads(files.partial.read_text())["state"] == "writing"
        assert [p.name.startswith(f".{files.prefix.name}_meta.") for p in leftover_temporary_files(files.folder)] == [True]
    capsys.readouterr()

    runner.frames_seen = 0
    analyze_videos(config, [video])
    out = capsys.readouterr().out
    if moment == "mid-video" and earlier:
        assert "was already analyzed" in out and runner.frames_seen == 0
    elif moment == "mid-video":
        assert "was already analyzed" not in out and runner.frames_seen == 30
    else:
        assert "was already analyzed" not in out and runner.frames_seen == 30
        assert f"{video.name}: writing the result files of its earlier analysis (at " in out
        assert "was interrupted; analyzing it again." in out
        assert "Removed 1 temporary file(s)" in out
    np.testing.assert_allclose(analyzed_poses(video, scorer), video_answer(video), atol=1e-4)
    assert not files.partial.exists() and not files.lock.exists()
    assert leftover_temporary_files(files.folder) == []


def test_a_truncated_video_is_marked_partial_and_analyzed_again(tmp_path: Path, monkeypatch, capsys):
    config = make_video_project(tmp_path)
    video = next((config.parent / "videos").glob("*.mp4"))
    runner = install_frame_mean_runner(3, monkeypatch)
    real_batches = VideoReader.iter_batches

    def breaking(self, batch_size, prefetch=4):
        for first, frames in real_batches(self, batch_size, prefetch):
            if first >= 16:
                raise TruncatedVideoError(self.path, first, self.num_frames)
            yield first, frames

    with monkeypatch.context() as broken:
        broken.setattr(VideoReader, "iter_batches", breaking)
        scorer = analyze_videos(config, [video])
    files = AnalysisFiles.of(video, scorer)
    note = json.loads(files.partial.read_text())
    assert (note["state"], note["frames_analyzed"]) == ("partial", 16)
    assert note["reason"] == "decoding stopped at frame 16 of 30"
    assert len(analyzed_poses(video, scorer)) == 16
    out = capsys.readouterr().out
    assert f"{video.name}: the result covers only its first 16 frames (decoding stopped at frame 16 of 30); marked partial" in out

    runner.frames_seen = 0
    analyze_videos(config, [video])  # the video reads to the end now
    out = capsys.readouterr().out
    assert "was already analyzed" not in out
    assert f"{video.name}: its earlier analysis is partial (decoding stopped at frame 16 of 30, 16 frames analyzed); analyzing it again." in out
    assert runner.frames_seen == 30
    np.testing.assert_allclose(analyzed_poses(video, scorer), video_answer(video), atol=1e-4)
    assert not files.partial.exists()

    analyze_videos(config, [video])
    assert "was already analyzed" in capsys.readouterr().out
