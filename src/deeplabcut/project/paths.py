"""Every file and folder name of a DeepLabCut project, in one place.

Names follow DeepLabCut 3 exactly so that existing projects, model folders and
analysis outputs are interchangeable. Paths returned here are relative to the
project folder unless a function says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ENGINE_MODEL_FOLDER = {"pytorch": "dlc-models-pytorch", "tensorflow": "dlc-models"}
ENGINE_EVALUATION_FOLDER = {"pytorch": "evaluation-results-pytorch", "tensorflow": "evaluation-results"}
POSE_CONFIG_NAME = "pytorch_config.yaml"
SNAPSHOT_PREFIX = "snapshot"
DETECTOR_SNAPSHOT_PREFIX = "snapshot-detector"


def training_fraction_percent(fraction: float) -> int:
    """``int(100 * fraction)``, truncating as DeepLabCut does (0.95 -> 95, 0.29 -> 28)."""
    return int(100 * fraction)


def training_set_folder(cfg: dict[str, Any]) -> Path:
    """``training-datasets/iteration-<N>/UnaugmentedDataSet_<Task><date>``."""
    return (
        Path("training-datasets")
        / f"iteration-{cfg['iteration']}"
        / f"UnaugmentedDataSet_{cfg['Task']}{cfg['date']}"
    )


def data_and_documentation_filenames(
    cfg: dict[str, Any], fraction: float, shuffle: int
) -> tuple[Path, Path]:
    """The training-data file and the split documentation pickle of one shuffle.

    Returns ``(<Task>_<scorer><P>shuffle<k>.mat|.pickle,
    Documentation_data-<Task>_<P>shuffle<k>.pickle)`` inside the training set folder.
    """
    folder = training_set_folder(cfg)
    percent = training_fraction_percent(fraction)
    extension = ".pickle" if cfg.get("multianimalproject") else ".mat"
    data_file = folder / f"{cfg['Task']}_{cfg['scorer']}{percent}shuffle{shuffle}{extension}"
    documentation = folder / f"Documentation_data-{cfg['Task']}_{percent}shuffle{shuffle}.pickle"
    return data_file, documentation


def shuffle_name(cfg: dict[str, Any], fraction: float, shuffle: int) -> str:
    """``<Task><date>-trainset<P>shuffle<k>``, the name of a shuffle's model folder."""
    return f"{cfg['Task']}{cfg['date']}-trainset{training_fraction_percent(fraction)}shuffle{shuffle}"


def model_folder(
    cfg: dict[str, Any],
    fraction: float,
    shuffle: int,
    modelprefix: str = "",
    engine: str = "pytorch",
) -> Path:
    """``[<modelprefix>/]dlc-models-pytorch/iteration-<N>/<Task><date>-trainset<P>shuffle<k>``."""
    return _shuffle_folder(ENGINE_MODEL_FOLDER[engine], cfg, fraction, shuffle, modelprefix)


def evaluation_folder(
    cfg: dict[str, Any],
    fraction: float,
    shuffle: int,
    modelprefix: str = "",
    engine: str = "pytorch",
) -> Path:
    """``[<modelprefix>/]evaluation-results-pytorch/iteration-<N>/<Task><date>-trainset<P>shuffle<k>``."""
    return _shuffle_folder(ENGINE_EVALUATION_FOLDER[engine], cfg, fraction, shuffle, modelprefix)


def _shuffle_folder(top: str, cfg: dict[str, Any], fraction: float, shuffle: int, modelprefix: str) -> Path:
    return Path(modelprefix or "") / top / f"iteration-{cfg['iteration']}" / shuffle_name(cfg, fraction, shuffle)


def net_name(net_type: str) -> str:
    """Net type as it appears in scorer names: ``dekr_w32`` -> ``DekrW32``."""
    return "".join(part.capitalize() for part in net_type.split("_"))


def scorer_name(
    cfg: dict[str, Any],
    shuffle: int,
    net_type: str,
    snapshot_uid: str,
    detector_uid: str | None = None,
) -> str:
    """DeepLabCut's scorer: ``DLC_<NetName>_<Task><date>shuffle<k>[_detector_<d>]_snapshot_<uid>``."""
    detector = f"_detector_{detector_uid}" if detector_uid is not None else ""
    return (
        f"DLC_{net_name(net_type)}_{cfg['Task']}{cfg['date']}shuffle{shuffle}"
        f"{detector}_snapshot_{snapshot_uid}"
    )


def snapshot_filename(epoch: int, best: bool = False, prefix: str = SNAPSHOT_PREFIX) -> str:
    """``snapshot-005.pt`` or ``snapshot-best-120.pt``."""
    return f"{prefix}-{'best-' if best else ''}{epoch:03d}.pt"


def snapshot_pattern(prefix: str = SNAPSHOT_PREFIX) -> re.Pattern[str]:
    """Regex matching snapshot file names of ``prefix`` (groups ``best`` and ``epoch``)."""
    return re.compile(rf"^{re.escape(prefix)}(?P<best>-best)?-(?P<epoch>\d+)\.pt$")


def labeled_data_folder(project_path: str | Path, video_stem: str) -> Path:
    """``<project>/labeled-data/<video stem>`` (absolute when ``project_path`` is)."""
    return Path(project_path) / "labeled-data" / video_stem


def collected_data_filename(scorer: str, extension: str = ".h5") -> str:
    """``CollectedData_<scorer>.h5``."""
    return f"CollectedData_{scorer}{extension}"


# -- training and evaluation outputs (names DeepLabCut 3 writes) -----------------

#: In a shuffle's ``train/`` folder: one row per epoch (see ``train_module.logger``).
LEARNING_STATS_FILENAME = "learning_stats.csv"
#: In ``train/``: the plot of ``learning_stats.csv``.
LEARNING_CURVE_FILENAME = "learning_curve.png"
#: In ``train/`` of a top-down shuffle: the detector's rows (``metrics/test.mAP@50:95``...).
DETECTOR_LEARNING_STATS_FILENAME = "learning_stats_detector.csv"
#: In ``train/`` of a top-down shuffle: the plot of ``learning_stats_detector.csv``.
DETECTOR_LEARNING_CURVE_FILENAME = "learning_curve_detector.png"
#: In ``train/``: the human-readable training log.
TRAINING_LOG_FILENAME = "train.txt"
#: In ``train/`` while ``train_network`` runs: its lock (``utils.locks``), naming the running process.
TRAINING_LOCK_FILENAME = ".train.lock"
#: In an ``evaluation-results-pytorch/iteration-<N>/`` folder: every evaluation of the iteration.
COMBINED_EVALUATION_FILENAME = "CombinedEvaluation-results.csv"


def previous_run_folder_name(started: datetime) -> str:
    """``previous-run-<YYYYmmdd-HHMMSS>``: where a new training run moves the files of an earlier one."""
    return f"previous-run-{started.strftime('%Y%m%d-%H%M%S')}"


def evaluation_predictions_filename(scorer: str) -> str:
    """``<scorer>.h5``: an evaluation's predictions on every labeled image."""
    return f"{scorer}.h5"


def evaluation_results_filename(scorer: str) -> str:
    """``<scorer>-results.csv``: an evaluation's train/test scores (one row)."""
    return f"{scorer}-results.csv"


def keypoint_results_filename(scorer: str) -> str:
    """``<scorer>-keypoint-results.csv``: an evaluation's errors per bodypart."""
    return f"{scorer}-keypoint-results.csv"


def detector_results_filename(scorer: str) -> str:
    """``<scorer>-detector-results.csv``: a top-down evaluation's box scores (mAP@50:95, recall)."""
    return f"{scorer}-detector-results.csv"


def ground_truth_boxes_results_filename(scorer: str) -> str:
    """``<scorer>-gt-boxes-results.csv``: a top-down evaluation's pose scores on crops around the labeled animals."""
    return f"{scorer}-gt-boxes-results.csv"


def labeled_images_folder_name(scorer: str) -> str:
    """``LabeledImages_<scorer>``: images drawn with predictions (evaluation, image analysis)."""
    return f"LabeledImages_{scorer}"


def evaluation_image_filename(split: str, image_path: str | Path) -> str:
    """``Training-<video>-<img>.png`` (``split`` "train") or ``Test-<video>-<img>.png`` (``split`` "test")."""
    image_path = Path(image_path)
    prefix = {"train": "Training", "test": "Test"}[split]
    return f"{prefix}-{image_path.parent.name}-{image_path.name}"


def combined_evaluation_file(cfg: dict[str, Any], modelprefix: str = "", engine: str = "pytorch") -> Path:
    """``[<modelprefix>/]evaluation-results-pytorch/iteration-<N>/CombinedEvaluation-results.csv``."""
    return (
        Path(modelprefix or "")
        / ENGINE_EVALUATION_FOLDER[engine]
        / f"iteration-{cfg['iteration']}"
        / COMBINED_EVALUATION_FILENAME
    )


# -- analysis outputs (analyze_videos, tracking, labeled videos, analyze_images) ---


def inference_cfg_path(shuffle_model_folder: str | Path) -> Path:
    """``<model folder>/test/inference_cfg.yaml``, the tracking settings of a multi-animal shuffle.

    ``shuffle_model_folder`` is the folder :func:`model_folder` names (absolute
    when the caller joined it to the project path).
    """
    return Path(shuffle_model_folder) / "test" / "inference_cfg.yaml"


#: Suffix of the tracklet pickle and tracks file per tracker (DeepLabCut's ``TRACK_METHODS``).
TRACK_METHODS = {"box": "_bx", "skeleton": "_sk", "ellipse": "_el", "transformer": "_tr"}


@dataclass(frozen=True)
class AnalysisFiles:
    """The files of one analyzed video: ``<folder>/<video stem><scorer><suffix>``.

    The scorer is glued to the video's stem with no separator, as DeepLabCut
    names them; names are built by appending, never with ``with_suffix``, so
    that dots in a video's name or a task are kept.
    """

    folder: Path
    video_stem: str
    scorer: str

    @classmethod
    def of(cls, video: Path, scorer: str, destfolder: str | Path | None = None) -> AnalysisFiles:
        """The files of ``video``, beside it unless ``destfolder`` is given."""
        video = Path(video)
        folder = Path(destfolder) if destfolder is not None else video.parent
        return cls(folder, video.stem, scorer)

    @property
    def prefix(self) -> Path:
        """``<folder>/<video stem><scorer>``."""
        return self.folder / f"{self.video_stem}{self.scorer}"

    def path(self, suffix: str) -> Path:
        return self.prefix.with_name(self.prefix.name + suffix)

    @property
    def h5(self) -> Path:
        """Poses (single-animal), or untracked detections with ``save_as_df`` (multi-animal)."""
        return self.path(".h5")

    def poses(self, filtered: bool = False) -> Path:
        """``<prefix>.h5``, or ``<prefix>_filtered.h5`` for filtered poses."""
        return self.path("_filtered.h5" if filtered else ".h5")

    @property
    def full(self) -> Path:
        return self.path("_full.pickle")

    @property
    def assemblies(self) -> Path:
        return self.path("_assemblies.pickle")

    @property
    def meta(self) -> Path:
        """Written last by ``analyze_videos``: its presence means the analysis is complete."""
        return self.path("_meta.pickle")

    @property
    def lock(self) -> Path:
        """``<folder>/.<video stem><scorer>.lock``: held by the ``analyze_videos`` analysing this video now."""
        return self.folder / f".{self.prefix.name}.lock"

    @property
    def partial(self) -> Path:
        """``<prefix>_partial.json``: present while an analysis runs, and kept when it covered only part of
        the video (read error, early end); its result files are then not a complete analysis."""
        return self.path("_partial.json")

    def tracklets(self, method: str) -> Path:
        return self.path(TRACK_METHODS[method] + ".pickle")

    def tracks(self, method: str, filtered: bool = False) -> Path:
        return self.path(TRACK_METHODS[method] + ("_filtered" if filtered else "") + ".h5")

    @property
    def plot_poses_folder(self) -> Path:
        """``<folder>/plot-poses/<video stem>``, where ``plot_trajectories`` puts its figures."""
        return self.folder / "plot-poses" / self.video_stem


def labeled_video_path(analysis_file: Path, pcutoff: float, color_by: str | None = None) -> Path:
    """``<analysis file stem>[_bp|_id]_p<100 * pcutoff>_labeled.mp4`` beside the analysis file.

    Args:
        analysis_file: the ``.h5`` the video is drawn from (poses or tracks).
        color_by: multi-animal videos: ``"bodypart"`` (``_bp``) or
            ``"individual"`` (``_id``); ``None`` for single-animal videos.
    """
    tag = {"bodypart": "_bp", "individual": "_id"}[color_by] if color_by is not None else ""
    return analysis_file.with_name(f"{analysis_file.stem}{tag}_p{int(100 * pcutoff)}_labeled.mp4")


def image_analysis_path(output_folder: str | Path, images_folder: str | Path, scorer: str) -> Path:
    """``<output folder>/<images folder name><scorer>.h5``, the ``analyze_images`` result."""
    return Path(output_folder) / f"{Path(images_folder).name}{scorer}.h5"



# -- post-processing outputs (filterpredictions, analyzeskeleton, h5 -> nwb) ---------


def skeleton_analysis_path(analysis_file: str | Path) -> Path:
    """``<analysis file stem>_skeleton.h5`` beside it: ``analyzeskeleton``'s bones of a poses or tracks file."""
    analysis_file = Path(analysis_file)
    return analysis_file.with_name(f"{analysis_file.stem}_skeleton.h5")


def nwb_path(analysis_file: str | Path, individual: str) -> Path:
    """``<analysis file stem>_<individual>.nwb`` beside it: one NWB file per animal (DLC2NWB's names)."""
    analysis_file = Path(analysis_file)
    return analysis_file.with_name(f"{analysis_file.stem}_{individual}.nwb")


#: How the scorer part of an analysis file's name starts (DeepLabCut 2/3, and 1.x's ``DeepCut``).
SCORER_PREFIXES = ("DLC", "DeepCut")


def is_analysis_file_of(path: str | Path, video_stem: str) -> bool:
    """Whether ``path`` is an ``.h5`` that ``analyze_videos`` and later steps wrote for the video ``video_stem``.

    Its name is ``<video stem><scorer>[suffixes].h5`` with the scorer starting
    with ``DLC`` (or ``DeepCut``): poses, tracks (``_el``), filtered, skeleton files.
    """
    name = Path(path).name
    return name.endswith(".h5") and name.startswith(video_stem) and name[len(video_stem) :].startswith(SCORER_PREFIXES)


# -- refinement (extract_outlier_frames, refine_labels, merge_datasets) -----------------


def machine_labels_filename(iteration: int) -> str:
    """``machinelabels-iter<N>.h5``: a model's predictions on the outlier frames of iteration ``N``."""
    return f"machinelabels-iter{int(iteration)}.h5"


#: Beside ``machinelabels-iter<N>.h5``: the ``.csv`` of the latest machine labels (DeepLabCut's name).
MACHINE_LABELS_CSV_FILENAME = "machinelabels.csv"
#: Refined machine labels as DeepLabCut 2's refinement GUI saved them; ``merge_datasets`` folds them in.
REFINED_MACHINE_LABELS_FILENAME = "MachineLabelsRefine.h5"
