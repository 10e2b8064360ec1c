"""Snapshot files: DeepLabCut's names, best sorts last, weights_only loading, one way into a model."""

from pathlib import Path

import pytest
import torch

from deeplabcut.errors import ConfigError, MissingFileError, ModelError
from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import (
    load_checkpoint,
    load_snapshot,
    save_checkpoint,
    select_snapshots,
)


def state(epoch: int) -> dict:
    return {"metadata": {"epoch": epoch, "metrics": {}, "losses": {}}, "model": {"w": torch.ones(1) * epoch}}


def test_selection(tmp_path: Path):
    for name in ("snapshot-005.pt", "snapshot-010.pt", "snapshot-best-007.pt", "snapshot-detector-010.pt"):
        save_checkpoint(tmp_path / name, state(1))
    assert [s.path.name for s in select_snapshots(tmp_path, -1)] == ["snapshot-best-007.pt"]
    assert [s.path.name for s in select_snapshots(tmp_path, 0)] == ["snapshot-005.pt"]
    assert len(select_snapshots(tmp_path, "all")) == 3
    assert select_snapshots(tmp_path, "best")[0].uid == "best-7"
    with pytest.raises(ConfigError, match="out of range"):
        select_snapshots(tmp_path, 3)
    with pytest.raises(MissingFileError, match="Train the network first"):
        select_snapshots(tmp_path / "empty", -1)


def test_checkpoints_load_with_weights_only(tmp_path: Path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "snapshot-001.pt", {"metadata": {"epoch": 1}, "model": model.state_dict(), "optimizer": optimizer.state_dict()})
    loaded = load_checkpoint(tmp_path / "snapshot-001.pt")
    torch.testing.assert_close(loaded["model"]["weight"], model.weight.detach())
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind


def test_a_snapshot_loads_into_its_model_and_names_itself_when_it_does_not_fit(tmp_path: Path):
    trained = torch.nn.Sequential()
    trained.add_module("backbone", torch.nn.Linear(3, 2))
    trained.add_module("head", torch.nn.Linear(2, 1))
    save_checkpoint(tmp_path / "snapshot-004.pt", {"metadata": {"epoch": 4, "net_type": "dekr_16"}, "model": trained.state_dict()})

    model = torch.nn.Sequential()
    model.add_module("backbone", torch.nn.Linear(3, 2))
    model.add_module("head", torch.nn.Linear(2, 1))
    checkpoint = load_snapshot(model, tmp_path / "snapshot-004.pt")
    assert checkpoint["metadata"]["epoch"] == 4
    torch.testing.assert_close(model.head.weight, trained.head.weight)

    other = torch.nn.Sequential()
    other.add_module("backbone", torch.nn.Linear(3, 2))
    other.add_module("head", torch.nn.Linear(2, 5))
    with pytest.raises(ModelError, match=r"(?s)snapshot-004.pt' \(it was trained as net_type dekr_16\) does not fit.*load_head_weights=False"):
        load_snapshot(other, tmp_path / "snapshot-004.pt")
    load_snapshot(other, tmp_path / "snapshot-004.pt", load_head_weights=False)  # the backbone alone fits
    torch.testing.assert_close(other.backbone.weight, trained.backbone.weight)
    with pytest.raises(MissingFileError, match="does not exist"):
        load_snapshot(other, tmp_path / "snapshot-005.pt")
