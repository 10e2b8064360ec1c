"""The one-command demo: a synthetic multi-animal project through every step of the workflow.

It runs exactly the calls of the PyTorch API guide, in order
(``create_training_dataset``, ``train_network``, ``evaluate_network``,
``analyze_videos``, ``convert_detections2tracklets``, ``stitch_tracklets``,
``create_labeled_video``), then scores the tracks against the synthetic ground
truth and says where every picture and file is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

#: Settings of the default demo, sized to finish in a few minutes on a 2-core laptop CPU.
CPU_EPOCHS = 40
GPU_EPOCHS = 120
#: Training settings of the demo. The synthetic animals all have one size, so the
#: scale augmentation is narrower than DeepLabCut's default [0.5, 1.25], and a
#: higher learning rate than DEKR's 5e-4 converges within the demo's epochs.
DEMO_TRAINING = {"runner.optimizer.params.lr": 0.001, "data.train.affine.scaling": [0.8, 1.2]}


@dataclass
class DemoResult:
    """Where the demo's outputs are, and how well the model did."""

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

    def summary(self) -> str:
        lines = [
            "",
            "Demo finished in {:.0f} s ({}).".format(
                self.seconds, ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.steps.items())
            ),
            f"  test RMSE (mean keypoint error on held-out frames): {self.test_rmse:.2f} px",
            f"  test mAP (object keypoint similarity, 0-100):       {self.test_map:.1f}",
            f"  tracking error against the ground truth:           {self.tracking_error:.2f} px per keypoint",
            f"  identity swaps against the ground truth:           {self.identity_swaps}",
            "Files:",
            f"  project:           {self.config}",
            f"  labeled video:     {self.labeled_video}",
            f"  evaluation images: {self.evaluation_images}",
            f"  learning curve:    {self.learning_curve}",
            f"  tracks:            {self.tracks}",
        ]
        return "\n".join(lines)


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
) -> DemoResult:
    """Generate a synthetic multi-animal project in ``output`` and run the whole workflow on it.

    Args:
        output: folder of the demo project (a previous demo project there is replaced).
        net_type: the model to train.
        epochs: training epochs (default: 40 on CPU, 120 on a GPU).
        device: ``"cpu"``, ``"cuda"`` (default: a GPU when there is one).
    """
    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger
    from deeplabcut.pose_estimation_pytorch.data import ShuffleData
    from deeplabcut.project.paths import LEARNING_CURVE_FILENAME
    from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
    from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error
    from deeplabcut.formats.tracks import read_tracks_h5, tracks_from_dataframe

    log = get_logger()
    started = time.perf_counter()
    steps: dict[str, float] = {}
    gpu = torch.cuda.is_available() and device in (None, "auto") or str(device).startswith("cuda")
    epochs = epochs or (GPU_EPOCHS if gpu else CPU_EPOCHS)

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
    api.train_network(
        config_path, shuffle=1, trainingsetindex=0, epochs=epochs, save_epochs=10, eval_interval=10, device=device,
        pytorch_cfg_updates=DEMO_TRAINING,
    )
    now = step("train", now)
    results = api.evaluate_network(config_path, shuffle=1, trainingsetindex="all", plotting=True, device=device)
    now = step("evaluate", now)
    api.analyze_videos(config_path, [video], videotype=".mp4", auto_track=False, device=device, overwrite=True)
    api.convert_detections2tracklets(config_path, videos=[video], videotype=".mp4", overwrite=True)
    tracks_files = deeplabcut.stitch_tracklets(config_path, videos=[video], videotype=".mp4")
    now = step("analyze and track", now)
    labeled = deeplabcut.create_labeled_video(config_path, videos=[video], videotype=".mp4", overwrite=True, draw_skeleton=True)
    step("label video", now)

    truth = load_ground_truth(config_path)
    tracks, _, bodyparts = tracks_from_dataframe(read_tracks_h5(tracks_files[0]))
    order = [bodyparts.index(name) for name in truth.bodyparts]
    predicted = tracks[:, :, order, :2]
    errors = per_frame_error(predicted, truth.keypoints)
    project = ShuffleData(config_path)
    scorer_images = next(project.evaluation_folder.glob("LabeledImages_*"))
    row = results.iloc[-1]
    result = DemoResult(
        config=Path(config_path),
        labeled_video=labeled[0],
        evaluation_images=scorer_images,
        learning_curve=project.train_folder / LEARNING_CURVE_FILENAME,
        tracks=tracks_files[0],
        test_rmse=float(row["test rmse"]),
        test_map=float(row["test mAP"]),
        tracking_error=float(np.nanmean(errors)),
        identity_swaps=count_identity_switches(predicted, truth.keypoints),
        seconds=time.perf_counter() - started,
        steps=steps,
    )
    log.info(result.summary())
    return result


if __name__ == "__main__":  # pragma: no cover
    run_demo()
