"""The one-command demo: a synthetic multi-animal project through every step of the workflow.

It runs exactly the calls of the PyTorch API guide, in order
(``create_training_dataset``, ``train_network``, ``evaluate_network``,
``analyze_videos``, ``convert_detections2tracklets``, ``stitch_tracklets``,
``create_labeled_video``), then scores the tracks against the synthetic ground
truth and says where every picture and file is.

Any net type works. Bottom-up ones (DEKR) train one model; top-down ones
(TokenPose, top-down HRNet) train their detector and then their pose model on
crops, and the summary adds the detector's box mAP and recall.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

#: Training epochs of the demo per template family, ``(detector epochs, pose model epochs)``,
#: on a CPU and on a GPU; bottom-up families have no detector (0). Sized so that the demo
#: of each family's smallest width (dekr_16, token_pose_w16, top_down_hrnet_w18) takes
#: about 10 minutes or less on a 2-core laptop CPU; wider networks take longer. Measured
#: training cost on one core (ms of CPU time per image or crop, demo sizes): dekr_16 230
#: (192x192 crops), the detector 40 (192x192 frames), token_pose_w16 42 (128x96 crops;
#: 169 at the template's 256x192), top_down_hrnet_w18 74 (128x128 crops). An epoch sees
#: 48 frames, i.e. 144 crops of the 3 animals.
DEMO_EPOCHS: dict[str, dict[str, tuple[int, int]]] = {
    "dekr": {"cpu": (0, 40), "gpu": (0, 120)},
    "tokenpose": {"cpu": (50, 60), "gpu": (100, 200)},
    "top_down_hrnet": {"cpu": (50, 25), "gpu": (100, 120)},
}
#: Epochs of a family that :data:`DEMO_EPOCHS` does not list.
DEFAULT_EPOCHS = {"cpu": (30, 40), "gpu": (100, 120)}
#: TokenPose crops of the demo, ``(height, width)``: the demo's animals are about 90 px
#: long with the box margin, so 128x96 crops lose no detail, and they train about 4x
#: faster on a CPU than the template's 256x192 (feature and heatmap grids follow, stride 4).
TOKENPOSE_DEMO_CROP = (128, 96)
#: ``pytorch_config.yaml`` overrides of the demo per template family: speed choices only,
#: never training recipes. Every family otherwise trains with the settings a user gets:
#: the template's, with its from-scratch recipe when the backbone starts from random
#: weights (DEKR: lr 1e-3, affine scaling [0.8, 1.2]; templates/dekr.yaml, config/recipes.py),
#: which is how the demo's dekr_16 trains. TokenPose's crops: token_pose_w16's own already
#: are 128x96 (net_types.yaml); the wider ones' 256x192 would cost about 4x the CPU time.
DEMO_TRAINING: dict[str, dict[str, Any]] = {
    "tokenpose": {
        "data.train.top_down_crop": {"height": TOKENPOSE_DEMO_CROP[0], "width": TOKENPOSE_DEMO_CROP[1]},
        "data.inference.top_down_crop": {"height": TOKENPOSE_DEMO_CROP[0], "width": TOKENPOSE_DEMO_CROP[1]},
        "model.neck.feature_size": [TOKENPOSE_DEMO_CROP[0] // 4, TOKENPOSE_DEMO_CROP[1] // 4],
        "model.heads.bodypart.heatmap_size": [TOKENPOSE_DEMO_CROP[0] // 4, TOKENPOSE_DEMO_CROP[1] // 4],
    },
}


@dataclass(frozen=True)
class DemoPlan:
    """What the demo trains: the net type, its epochs and its overrides."""

    net_type: str
    top_down: bool
    epochs: int
    detector_epochs: int
    updates: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, net_type: str, gpu: bool, epochs: int | None = None, detector_epochs: int | None = None) -> DemoPlan:
        """The demo's plan for ``net_type``; ``epochs``/``detector_epochs`` replace the family's defaults.

        Raises:
            ConfigError: an unknown net type, or a top-down one without detector epochs
                (the demo analyses a video, which needs the detector).
        """
        from deeplabcut.errors import ConfigError
        from deeplabcut.pose_estimation_pytorch.config.make_config import net_type_method, resolve_net_type

        family, _ = resolve_net_type(net_type)
        top_down = net_type_method(net_type) == "td"
        default_detector, default_pose = DEMO_EPOCHS.get(family, DEFAULT_EPOCHS)["gpu" if gpu else "cpu"]
        detector_epochs = (default_detector if detector_epochs is None else int(detector_epochs)) if top_down else 0
        epochs = default_pose if epochs is None else int(epochs)
        if top_down and detector_epochs < 1:
            raise ConfigError(
                f"The demo of the top-down net type '{net_type}' needs detector_epochs >= 1: "
                "it analyses a video, where the detector finds the animals."
            )
        if epochs < 1:
            raise ConfigError(f"The demo needs epochs >= 1 (the pose model's), got {epochs}.")
        return cls(net_type, top_down, epochs, detector_epochs, dict(DEMO_TRAINING.get(family, {})))

    def describe(self, crop_size: tuple[int, int] | None = None) -> str:
        """One line: what was trained."""
        if not self.top_down:
            return f"{self.net_type} (bottom-up) for {_epochs(self.epochs)}"
        crops = f" on {crop_size[1]}x{crop_size[0]} crops (height x width)" if crop_size else " on crops"
        return (
            f"{self.net_type} (top-down): the detector for {_epochs(self.detector_epochs)}, "
            f"then the pose model for {_epochs(self.epochs)}{crops} around each animal"
        )


def _epochs(count: int) -> str:
    return f"{count} epoch" if count == 1 else f"{count} epochs"


@dataclass
class DemoResult:
    """Where the demo's outputs are, and how well the models did.

    Attributes:
        trained: what was trained (net type, epochs; top-down: both models).
        test_rmse, test_map: pose scores on the held-out frames (top-down: with
            the boxes the detector found, as video analysis sees them).
        learning_curve: the pose model's ``learning_curve.png``.
        detector_learning_curve: top-down: ``learning_curve_detector.png``; None otherwise.
        detector_map, detector_recall: top-down: the detector's box mAP@50:95 and
            recall@50 on the held-out frames (0-100); None otherwise.
        labeled_boxes_rmse: top-down: test RMSE of the pose model alone, on crops
            around the labeled animals; None otherwise.
    """

    config: Path
    labeled_video: Path
    evaluation_images: Path
    learning_curve: Path
    tracks: Path
    test_rmse: float
    test_map: float
    tracking_error: float
    identity_swaps: int
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    trained: str = ""
    detector_learning_curve: Path | None = None
    detector_map: float | None = None
    detector_recall: float | None = None
    labeled_boxes_rmse: float | None = None

    def summary(self) -> str:
        top_down = self.detector_map is not None
        lines = [
            "",
            "Demo finished in {:.0f} s ({}).".format(
                self.seconds, ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.steps.items())
            ),
        ]
        if self.trained:
            lines.append(f"  trained: {self.trained}")
        if top_down:
            lines += [
                f"  detector, test box mAP@50:95 / recall@50 (0-100): {self.detector_map:.1f} / {self.detector_recall:.1f}",
                f"  test RMSE with the detected boxes:                 {self.test_rmse:.2f} px",
                f"  test RMSE with the labeled boxes (pose model only): {self.labeled_boxes_rmse:.2f} px",
            ]
        else:
            lines.append(f"  test RMSE (mean keypoint error on held-out frames): {self.test_rmse:.2f} px")
        mAP = "test mAP with the detected boxes (OKS, 0-100):     " if top_down else "test mAP (object keypoint similarity, 0-100):       "
        lines += [
            f"  {mAP}{self.test_map:.1f}",
            f"  tracking error against the ground truth:           {self.tracking_error:.2f} px per keypoint",
            f"  identity swaps against the ground truth:           {self.identity_swaps}",
            "Files:",
            f"  project:           {self.config}",
            f"  labeled video:     {self.labeled_video}",
            f"  evaluation images: {self.evaluation_images}",
        ]
        if self.detector_learning_curve is not None:
            lines += [
                f"  learning curves:   {self.detector_learning_curve} (detector)",
                f"                     {self.learning_curve} (pose model)",
            ]
        else:
            lines.append(f"  learning curve:    {self.learning_curve}")
        lines.append(f"  tracks:            {self.tracks}")
        return "\n".join(lines)


def score_tracks(config_path: str | Path, tracks_file: str | Path) -> tuple[float, int]:
    """``(tracking error, identity swaps)`` of a synthetic project's tracks against its ground truth.

    The error is the mean distance in pixels between each tracked keypoint and the
    true keypoint of the animal its track is matched to (NaN when nothing matched);
    swaps count each frame where a track changes the animal it follows
    (``deeplabcut.tracking.evaluation``). Unique bodyparts are left out.
    """
    from deeplabcut.formats.tracks import read_tracks_h5, tracks_from_dataframe
    from deeplabcut.synthetic import load_ground_truth
    from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error

    truth = load_ground_truth(config_path)
    tracks, _, bodyparts = tracks_from_dataframe(read_tracks_h5(tracks_file))
    order = [bodyparts.index(name) for name in truth.bodyparts]
    predicted = tracks[:, :, order, :2]
    errors = per_frame_error(predicted, truth.keypoints)
    error = float(np.nanmean(errors)) if np.isfinite(errors).any() else float("nan")
    return error, count_identity_switches(predicted, truth.keypoints)


def run_demo(
    output: str | Path = "demo-output",
    net_type: str = "dekr_16",
    epochs: int | None = None,
    device: str | None = None,
    num_individuals: int = 3,
    num_bodyparts: int = 7,
    frame_size: tuple[int, int] = (192, 192),
    num_frames: int = 300,
    num_labeled_frames: int = 60,
    seed: int = 0,
    detector_epochs: int | None = None,
) -> DemoResult:
    """Generate a synthetic multi-animal project in ``output`` and run the whole workflow on it.

    Args:
        output: folder of the demo project (a previous demo project there is replaced).
        net_type: the model to train (``dekr_16``, ``token_pose_w16``, ``top_down_hrnet_w18``, ...).
        epochs: training epochs of the pose model (default: :data:`DEMO_EPOCHS` of its
            family, on a CPU or a GPU).
        device: ``"cpu"``, ``"cuda"`` (default: a GPU when there is one).
        detector_epochs: top-down net types: the detector's training epochs (default:
            :data:`DEMO_EPOCHS`); ignored for bottom-up ones.

    Raises:
        ConfigError: an unknown net type, or epochs below 1.
    """
    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.formats import evaluation_results
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
    from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger
    from deeplabcut.pose_estimation_pytorch.data import top_down_crop_size
    from deeplabcut.project import paths
    from deeplabcut.synthetic import create_synthetic_project

    log = get_logger()
    started = time.perf_counter()
    steps: dict[str, float] = {}
    gpu = torch.cuda.is_available() and device in (None, "auto") or str(device).startswith("cuda")
    plan = DemoPlan.of(net_type, gpu, epochs, detector_epochs)

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        steps[name] = now - since
        return now

    output = Path(output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    log.info("Generating a synthetic project (%d animals, %d bodyparts) in %s", num_individuals, num_bodyparts, output)
    config_path = create_synthetic_project(
        output,
        num_individuals=num_individuals,
        num_bodyparts=num_bodyparts,
        num_frames=num_frames,
        num_labeled_frames=num_labeled_frames,
        frame_size=frame_size,
        seed=seed,
        overwrite=True,
    )
    video = str(next((Path(config_path).parent / "videos").glob("*.mp4")))
    now = step("generate", started)

    deeplabcut.create_training_dataset(config_path, net_type=net_type, Shuffles=[1], overwrite=True)
    detector_settings = {"detector_epochs": plan.detector_epochs, "detector_save_epochs": 10} if plan.top_down else {}
    api.train_network(
        config_path, shuffle=1, trainingsetindex=0, epochs=plan.epochs, save_epochs=10, eval_interval=10,
        device=device, pytorch_cfg_updates=plan.updates, **detector_settings,
    )  # fmt: skip
    now = step("train", now)
    results = api.evaluate_network(config_path, shuffle=1, trainingsetindex="all", plotting=True, device=device)
    now = step("evaluate", now)
    api.analyze_videos(config_path, [video], videotype=".mp4", auto_track=False, device=device, overwrite=True)
    api.convert_detections2tracklets(config_path, videos=[video], videotype=".mp4", overwrite=True)
    tracks_files = deeplabcut.stitch_tracklets(config_path, videos=[video], videotype=".mp4")
    now = step("analyze and track", now)
    labeled = deeplabcut.create_labeled_video(config_path, videos=[video], videotype=".mp4", overwrite=True, draw_skeleton=True)
    step("label video", now)

    tracking_error, identity_swaps = score_tracks(config_path, tracks_files[0])
    model = TrainedModel.resolve(config_path, shuffle=1)
    project, scorer = model.shuffle, model.scorer
    row = results.iloc[-1]
    result = DemoResult(
        config=Path(config_path),
        labeled_video=labeled[0],
        evaluation_images=project.evaluation_folder / paths.labeled_images_folder_name(scorer),
        learning_curve=project.train_folder / paths.LEARNING_CURVE_FILENAME,
        tracks=tracks_files[0],
        test_rmse=float(row["test rmse"]),
        test_map=float(row["test mAP"]),
        tracking_error=tracking_error,
        identity_swaps=identity_swaps,
        seconds=time.perf_counter() - started,
        steps=steps,
        trained=plan.describe(top_down_crop_size(model.pytorch_config["data"]) if plan.top_down else None),
    )
    if plan.top_down:
        folder = project.evaluation_folder
        boxes = evaluation_results.read_results(folder / paths.detector_results_filename(scorer)).iloc[-1]
        labeled_boxes = evaluation_results.read_results(folder / paths.ground_truth_boxes_results_filename(scorer)).iloc[-1]
        result.detector_learning_curve = project.train_folder / paths.DETECTOR_LEARNING_CURVE_FILENAME
        result.detector_map = float(boxes["test mAP@50:95"])
        result.detector_recall = float(boxes["test recall@50"])
        result.labeled_boxes_rmse = float(labeled_boxes["test rmse"])
    log.info(result.summary())
    return result


if __name__ == "__main__":  # pragma: no cover
    run_demo()
