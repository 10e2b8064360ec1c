"""train_network under torchrun: 2 CPU processes (gloo) train one model with DistributedDataParallel.

Each test launches ``python -m torch.distributed.run --standalone
--nproc_per_node=2 -m deeplabcut train ...`` as a subprocess: the command
``docs/clusters.md`` gives users.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import torchrun_environment
from deeplabcut.cli import parse_override
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime import DistributedContext, list_snapshots
from deeplabcut.pose_estimation_pytorch.train_module import build_training
from top_down_shuffles import make_tiny_top_down_shuffle

pytestmark = pytest.mark.slow


def torchrun_command(config: Path, nproc: int, *arguments: str) -> list[str]:
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
        "-m", "deeplabcut", "train", str(config), *arguments,
    ]  # fmt: skip


def run_torchrun(config: Path, nproc: int, *arguments: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        torchrun_command(config, nproc, *arguments), env=torchrun_environment(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def kill_with_descendants(process: subprocess.Popen) -> None:
    """SIGKILL torchrun and its workers (which it may start in sessions of their own), and wait until all are gone."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    pids, queue = [], [process.pid]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        queue.extend(children.get(pid, []))
    for pid in reversed(pids):  # workers first
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    process.stdout.close()
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in pids[1:]):
        assert time.monotonic() < deadline, "the workers did not die"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0].lower()
    except (OSError, IndexError):
        return "zombie"


def steps(train_folder: Path, name: str = "learning_stats.csv") -> list[int]:
    with (train_folder / name).open() as stream:
        return [int(row["step"]) for row in csv.DictReader(stream)]


def weights_at(train_folder: Path, epoch: int, prefix: str = "snapshot") -> dict[str, torch.Tensor]:
    (snapshot,) = [s for s in list_snapshots(train_folder, prefix) if s.epoch == epoch]
    return torch.load(snapshot.path, weights_only=True)["model"]


#: Top-down HRNet on fixed 48x64 crops without augmentation (no random draw depends on the process), batch norm frozen (its statistics in eval
#: mode, not the batch's), losses normalized by their number of elements (not by the batch's count of
#: labeled cells): every loss term is then a plain mean over the batch, so the gradient of a batch of 4
#: is the mean of the gradients of its two halves, which is what DDP computes from 2 processes with 2
#: crops each. With batch statistics or per-batch normalization the two runs differ by design.
EQUAL_GRADIENT_SETTINGS = [
    "model.backbone.freeze_bn_stats=true",
    "model.heads.bodypart.criterion.heatmap.normalize_by=elements",
    "model.heads.bodypart.criterion.locref.normalize_by=elements",
    "data.train.affine=null",
    "data.train.color_jitter=null",
    "data.train.gaussian_noise=null",
    "runner.mixed_precision=false",  # bf16 (auto on CPUs with native bf16) rounds differently per batch split
]


def test_two_processes_train_the_weights_of_one_process_with_the_same_global_batch(tmp_path: Path):
    # 15 labeled frames of one animal, 80% for training: 12 crops, 3 steps of 4 (1 process) or of 2 + 2 (2 processes).
    config = make_tiny_top_down_shuffle(
        tmp_path / "ddp", multianimal=False, net_type="top_down_hrnet_w18", num_labeled_frames=15, epochs=2, detector_epochs=0
    )
    single_root = tmp_path / "single"
    shutil.copytree(config.parent.parent, single_root)
    single_config = single_root / config.parent.name / "config.yaml"
    assert len(ShuffleData(config).split_indices["train"]) == 12

    done = run_torchrun(config, 2, "--batch-size", "2", *EQUAL_GRADIENT_SETTINGS)
    updates = dict(parse_override(item) for item in EQUAL_GRADIENT_SETTINGS)
    train_network(single_config, batch_size=4, pytorch_cfg_updates=updates)

    ddp, single = ShuffleData(config).train_folder, ShuffleData(single_config).train_folder
    for epoch in (1, 2):
        reference, trained = weights_at(single, epoch), weights_at(ddp, epoch)
        for name, value in reference.items():
            torch.testing.assert_close(trained[name], value, rtol=1e-4, atol=1e-5, msg=f"epoch {epoch}: {name}")
    # The weights moved by far more than the tolerance between the two epochs: the comparison is not trivial.
    first, second = weights_at(single, 1), weights_at(single, 2)
    assert max(float((second[name] - first[name]).abs().max()) for name in first if first[name].is_floating_point()) > 1e-3
    assert read_pytorch_config(ShuffleData(config).pose_config_path)["train_settings"]["batch_size"] == 2

    # Rank 0 alone wrote and printed: each epoch once in train.txt, in the output and in learning_stats.csv.
    assert steps(ddp) == [1, 2]
    log = (ddp / "train.txt").read_text()
    assert log.count("Epoch 1/2 |") == 1 and log.count("Epoch 2/2 |") == 1
    assert done.stdout.count("Epoch 2/2 |") == 1
    assert "2 processes x batch_size 2 = 4 images per step" in log
    assert sorted(p.name for p in ddp.iterdir()) == sorted(p.name for p in single.iterdir())


def test_a_killed_run_resumes_at_its_epoch_under_another_number_of_processes(tiny_dekr_factory):
    config = tiny_dekr_factory(multianimal=False, epochs=40)
    train_folder = ShuffleData(config).train_folder
    process = subprocess.Popen(
        torchrun_command(config, 2, "--epochs", "40", "runner.snapshots.save_epochs=1", "runner.eval_interval=1"),
        env=torchrun_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not any(s.epoch >= 2 for s in list_snapshots(train_folder)):
            assert process.poll() is None, process.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "no snapshot of epoch 2 within 300 s"
            time.sleep(0.2)
    finally:
        kill_with_descendants(process)  # the launcher and both workers, at once
    reached = max(s.epoch for s in list_snapshots(train_folder))
    assert 2 <= reached < 40  # the kill may leave a temporary file (e.g. of the curve): the resume removes it
    logged = steps(train_folder)
    assert logged == list(range(1, logged[-1] + 1)) and logged[-1] >= reached  # each epoch once: rank 0 alone logs
    log = (train_folder / "train.txt").read_text()
    assert all(log.count(f"Epoch {epoch}/40 |") == 1 for epoch in logged)

    # Resume in this process (1 process instead of 2), from the newest snapshot, to 2 more epochs.
    latest = max(list_snapshots(train_folder), key=lambda s: s.epoch)
    result = train_network(config, snapshot_path=latest.path, epochs=latest.epoch + 2)
    assert result.last_epoch == latest.epoch + 2
    assert sorted(result.history) == [latest.epoch + 1, latest.epoch + 2]
    assert steps(train_folder) == list(range(1, latest.epoch + 3))
    assert max(s.epoch for s in list_snapshots(train_folder)) == latest.epoch + 2
    assert not list(train_folder.glob(".*tmp*"))


def test_sync_batchnorm_on_the_cpu_is_refused_before_anything_is_built(tiny_dekr_project: Path):
    project = ShuffleData(tiny_dekr_project)
    pose_cfg = read_pytorch_config(project.pose_config_path)
    pose_cfg["train_settings"]["sync_batchnorm"] = True
    pose_cfg["device"] = "cpu"
    with pytest.raises(ConfigError, match="sync_batchnorm"):
        build_training(project, pose_cfg, distributed=DistributedContext(rank=0, world_size=2))
    # One process: nothing to synchronize, the setting is ignored.
    setup = build_training(project, pose_cfg)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in setup.model.modules())


def test_two_processes_train_a_top_down_shuffle_detector_then_pose_model(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, multianimal=True, epochs=1, detector_epochs=1)
    done = run_torchrun(config, 2, "--batch-size", "2", "--detector-batch-size", "2")
    train_folder = ShuffleData(config).train_folder
    assert [s.epoch for s in list_snapshots(train_folder, "snapshot-detector")] == [1]
    assert [s.epoch for s in list_snapshots(train_folder)] == [1]
    assert steps(train_folder, "learning_stats_detector.csv") == [1] and steps(train_folder) == [1]
    assert done.stdout.count("Detector epoch 1/1 |") == 1 and done.stdout.count("Epoch 1/1 |") == 1
