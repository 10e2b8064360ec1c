"""Which trained model an API call means, resolved once.

Every API takes the same DeepLabCut arguments to name a model: ``config``,
``shuffle``, ``trainingsetindex``, ``modelprefix`` and ``snapshotindex``.
:meth:`TrainedModel.resolve` turns them into one :class:`TrainedModel`, reading
``config.yaml`` and ``pytorch_config.yaml`` and listing the snapshots once;
the APIs then pass that object to each other instead of the arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from deeplabcut.errors import ConfigError, MissingFileError, ModelError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import dlc_net_type
from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.inference.engines import describe_engines
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.pose_estimation_pytorch.runtime import Snapshot, resolve_device, select_snapshots
from deeplabcut.project.paths import DETECTOR_SNAPSHOT_PREFIX, scorer_name

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
        detector_snapshot: the detector's snapshot (``snapshot-detector-*.pt``) of a
            top-down model; None for bottom-up models.
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
        detector_snapshotindex: int | str | None = None,
        require_detector: bool = True,
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
            detector_snapshotindex: for top-down models, which ``snapshot-detector-*.pt``
                (an index with the best last, or ``"best"``); None takes config.yaml's
                ``detector_snapshotindex``. Ignored for bottom-up models.
            require_detector: a top-down model without detector snapshot is an error;
                with False it resolves with ``detector_snapshot=None`` (evaluation then
                crops the labeled animals).

        Raises:
            MissingFileError: the shuffle's ``pytorch_config.yaml`` or its snapshots do not exist.
            ConfigError: a bad ``trainingsetindex`` or ``snapshotindex``, or config.yaml and
                the model disagree on the bodyparts.
        """
        data = ShuffleData(config, shuffle=shuffle, trainingsetindex=trainingsetindex, modelprefix=modelprefix, cfg=cfg)
        pytorch_config = data.pytorch_config()
        if select == "none":
            return cls(shuffle=data, pytorch_config=pytorch_config)
        if snapshotindex is None:
            snapshotindex = data.cfg.get("snapshotindex", -1)
        if snapshotindex == "all" and select == "one":
            snapshotindex = -1
        snapshots = tuple(select_snapshots(data.train_folder, snapshotindex))
        detector = None
        if is_top_down(pytorch_config):
            if detector_snapshotindex is None:
                detector_snapshotindex = data.cfg.get("detector_snapshotindex", -1)
            if detector_snapshotindex in ("all", None):
                detector_snapshotindex = -1
            try:
                detector = select_snapshots(data.train_folder, detector_snapshotindex, prefix=DETECTOR_SNAPSHOT_PREFIX)[0]
            except MissingFileError:
                if require_detector:
                    raise
        model = cls(shuffle=data, pytorch_config=pytorch_config, snapshots=snapshots, detector_snapshot=detector)
        return model.with_snapshot(snapshots[0], keep_all=True)

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

    @property
    def top_down(self) -> bool:
        """Whether a detector finds the animals first (``method: td``)."""
        return is_top_down(self.pytorch_config)

    def with_snapshot(self, snapshot: Snapshot, keep_all: bool = False) -> TrainedModel:
        """The same model at ``snapshot`` (one of several selected), with its scorer name.

        With ``keep_all`` the other selected snapshots are kept (``snapshot`` first
        names the scorer).
        """
        detector_uid = self.detector_snapshot.uid if self.detector_snapshot is not None else None
        # DeepLabCut's NetType name, so that both tools give the same shuffle the same scorer.
        scorer = scorer_name(self.cfg, self.shuffle.shuffle, dlc_net_type(self.pytorch_config["net_type"]), snapshot.uid, detector_uid)
        snapshots = self.snapshots if keep_all else (snapshot,)
        return TrainedModel(self.shuffle, self.pytorch_config, snapshots, scorer, self.detector_snapshot)

    def device(self, device: str | None = None) -> torch.device:
        """``device`` if given, else the pytorch config's ``device`` (``auto``: a GPU when there is one)."""
        return resolve_device(device or self.pytorch_config.get("device"))

    @property
    def detector_epochs(self) -> int:
        """The detector snapshot's epoch (DeepLabCut's ``Detector epochs (TD only)``), -1 without a detector."""
        return self.detector_snapshot.epoch if self.detector_snapshot is not None else -1

    def runner(
        self,
        device: str | None = None,
        batch_size: int = 1,
        transform: Callable[..., dict[str, Any]] | None = None,
        engine: str | None = None,
    ) -> PoseInferenceRunner:
        """The inference runner of :attr:`snapshot` (and, top-down, of :attr:`detector_snapshot`).

        One factory for every model: bottom-up models predict whole frames,
        top-down models detect, crop and map each crop back
        (:meth:`PoseInferenceRunner.from_snapshot` reads ``method`` from the config).
        Logs the inference engine and precision that run, and a warning when the one
        asked for is not installed (``torch`` runs then).

        Args:
            device: as :meth:`device`.
            batch_size: frames per forward pass.
            transform: a user's preprocessing callable (see ``PoseInferenceRunner``).
            engine: ``auto``, ``torch``, ``openvino`` or ``onnxruntime`` (None: ``inference.engine``
                of the pytorch config, else ``auto``); see ``inference/engines.py``.
        """
        detector = self.detector_snapshot.path if self.detector_snapshot is not None else None
        runner = PoseInferenceRunner.from_snapshot(
            self.pytorch_config,
            self.snapshot.path,
            self.device(device),
            batch_size=batch_size,
            transform=transform,
            detector_snapshot_path=detector,
            engine=engine,
        )
        engines = getattr(runner, "engines", None)  # (stand-in runners of tests have none)
        if engines:
            log = get_logger()
            for message in dict.fromkeys(chosen.fallback for chosen in engines.values() if chosen.fallback):
                log.warning(message)
            log.info("Inference engine: %s", describe_engines(engines))
        return runner


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
