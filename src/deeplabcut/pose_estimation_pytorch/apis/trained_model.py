"""Which trained model an API call means, resolved once.

Every API takes the same DeepLabCut arguments to name a model: ``config``,
``shuffle``, ``trainingsetindex``, ``modelprefix`` and ``snapshotindex``.
:meth:`TrainedModel.resolve` turns them into one :class:`TrainedModel`, reading
``config.yaml`` and ``pytorch_config.yaml`` and listing the snapshots once;
the APIs then pass that object to each other instead of the arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from deeplabcut.errors import ConfigError, ModelError
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime import Snapshot, resolve_device, select_snapshots
from deeplabcut.project.paths import scorer_name

#: The spellings of ``snapshotindex`` besides an integer.
SNAPSHOT_INDEX_WORDS = ("all", "best")


@dataclass(frozen=True)
class TrainedModel:
    """One shuffle's model as an API call uses it.

    Attributes:
        shuffle: the shuffle: ``config.yaml`` (``shuffle.cfg``), its folders,
            bodyparts, individuals and (read on first use) labels and split.
        pytorch_config: the shuffle's ``train/pytorch_config.yaml``, parsed once.
        snapshots: the selected snapshot(s), best last; empty when none was asked
            for (training).
        scorer: DeepLabCut's scorer name of ``snapshots[0]``
            (``DLC_<Net>_<Task><date>shuffle<k>_snapshot_<uid>``); None without snapshots.
        detector_snapshot: the detector's snapshot of a top-down model; None for
            bottom-up models (the only ones available yet).
    """

    shuffle: ShuffleData
    pytorch_config: dict[str, Any]
    snapshots: tuple[Snapshot, ...] = ()
    scorer: str | None = None
    detector_snapshot: Snapshot | None = None

    @classmethod
    def resolve(
        cls,
        config: str | Path,
        shuffle: int = 1,
        trainingsetindex: int = 0,
        modelprefix: str = "",
        snapshotindex: int | str | None = None,
        select: Literal["one", "all", "none"] = "one",
        cfg: dict[str, Any] | None = None,
    ) -> TrainedModel:
        """Resolve DeepLabCut's arguments into the model they name.

        Args:
            config: path to the project's ``config.yaml``.
            shuffle, trainingsetindex, modelprefix: which model folder.
            snapshotindex: an index into the snapshots sorted with the best last
                (-1: the best, else the last), ``"best"`` or ``"all"``; None takes
                config.yaml's ``snapshotindex``.
            select: ``"one"`` snapshot (``"all"`` then means the last one, -1),
                ``"all"`` that ``snapshotindex`` names, or ``"none"`` (training).
            cfg: ``config.yaml`` already read (e.g. for several shuffles of one call).

        Raises:
            MissingFileError: the shuffle's ``pytorch_config.yaml`` or its snapshots do not exist.
            ConfigError: a bad ``trainingsetindex`` or ``snapshotindex``, or config.yaml and
                the model disagree on the bodyparts.
            ModelError: the shuffle is of a top-down net type (not available yet).
        """
        data = ShuffleData(config, shuffle=shuffle, trainingsetindex=trainingsetindex, modelprefix=modelprefix, cfg=cfg)
        pytorch_config = data.pytorch_config()
        require_bottom_up(pytorch_config, data.pose_config_path)
        if select == "none":
            return cls(shuffle=data, pytorch_config=pytorch_config)
        if snapshotindex is None:
            snapshotindex = data.cfg.get("snapshotindex", -1)
        if snapshotindex == "all" and select == "one":
            snapshotindex = -1
        snapshots = tuple(select_snapshots(data.train_folder, snapshotindex))
        scorer = scorer_name(data.cfg, data.shuffle, pytorch_config["net_type"], snapshots[0].uid)
        return cls(shuffle=data, pytorch_config=pytorch_config, snapshots=snapshots, scorer=scorer)

    @property
    def cfg(self) -> dict[str, Any]:
        """The project's ``config.yaml``."""
        return self.shuffle.cfg

    @property
    def snapshot(self) -> Snapshot:
        """The (first) selected snapshot.

        Raises:
            ModelError: none was selected.
        """
        if not self.snapshots:
            raise ModelError(f"No snapshot was selected for '{self.shuffle.model_folder}'.")
        return self.snapshots[0]

    def with_snapshot(self, snapshot: Snapshot) -> TrainedModel:
        """The same model at ``snapshot`` (one of several selected), with its scorer name."""
        scorer = scorer_name(self.cfg, self.shuffle.shuffle, self.pytorch_config["net_type"], snapshot.uid)
        return TrainedModel(self.shuffle, self.pytorch_config, (snapshot,), scorer, self.detector_snapshot)

    def device(self, device: str | None = None) -> torch.device:
        """``device`` if given, else the pytorch config's ``device`` (``auto``: a GPU when there is one)."""
        return resolve_device(device or self.pytorch_config.get("device"))


def require_bottom_up(pose_cfg: dict[str, Any], pose_config_path: str | Path) -> None:
    """Refuse shuffles of top-down net types (TokenPose here), whose models are not available yet.

    Raises:
        ModelError: naming the shuffle's config and what to do instead.
    """
    if pose_cfg.get("method") in ("td", "ctd"):
        net_type = str(pose_cfg.get("net_type"))
        family = " (TokenPose)" if net_type.startswith("token_pose") else ""
        raise ModelError(
            f"'{pose_config_path}' describes the top-down net type '{net_type}'{family}, which cannot be "
            "trained or run yet. Create a shuffle with a DEKR net type instead: "
            "deeplabcut.create_training_dataset(config, net_type='dekr_32')."
        )


def snapshot_index_argument(snapshotindex: Any, snapshot_index: Any) -> Any:
    """Accept DeepLabCut 3's spelling ``snapshot_index`` as well as ``snapshotindex``.

    Raises:
        ConfigError: both were given, with different values.
    """
    if snapshot_index is not None and snapshotindex is not None and snapshot_index != snapshotindex:
        raise ConfigError(f"Got snapshotindex={snapshotindex!r} and snapshot_index={snapshot_index!r}; give one.")
    return snapshotindex if snapshotindex is not None else snapshot_index


def parse_snapshot_index(text: str) -> int | str:
    """A ``snapshotindex`` typed as text (command line): ``"all"``, ``"best"`` or an integer.

    Raises:
        ValueError: anything else.
    """
    return text if text in SNAPSHOT_INDEX_WORDS else int(text)
