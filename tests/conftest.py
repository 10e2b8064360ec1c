"""Shared fixtures: the real openfield example (copied), tiny hand-made projects, tiny trainable DEKR projects,
hand-made DeepLabCut pose DataFrames."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from deeplabcut.formats.collected_data import LabeledFrames, arrays_to_labels, write_collected_data
from deeplabcut.project.config import read_config, write_config
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.project.create import create_new_project
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.training_dataset.create import create_training_dataset

# pretrained: true (the templates' default) must not reach for the network during tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
# The real example project: ../shared/data beside the repo, or wherever DLC_OPENFIELD points.
OPENFIELD = Path(os.environ.get("DLC_OPENFIELD", REPO_ROOT.parent / "shared" / "data" / "openfield-Pranav-2018-10-30"))
OPENFIELD_BENCHMARK_TEST = ["img0000", "img0020", "img0040", "img0060", "img0080", "img0100"]


def torchrun_environment() -> dict[str, str]:
    """The environment of a ``torchrun`` subprocess: this checkout's ``src``, one thread per rank, no rank variables."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def openfield_available() -> bool:
    return (OPENFIELD / "labeled-data" / "m4s1" / "CollectedData_Pranav.h5").is_file()


requires_openfield = pytest.mark.skipif(
    not openfield_available(),
    reason=f"the openfield example project is not at {OPENFIELD} (it lives in ../shared/data beside the repo; set DLC_OPENFIELD to its folder to use another copy)",
)


@pytest.fixture
def one_torch_thread():
    """torch on one CPU thread for the test (restored after): exported graphs and engines are compared with it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def torch_engine_for_auto(monkeypatch):
    """Inference engine ``auto`` runs PyTorch in tests: converting each runner's network to OpenVINO takes
    seconds. Tests of the engines ask for one by name, or set ``engines.AUTO_CPU_ENGINE`` back."""
    from deeplabcut.pose_estimation_pytorch.inference import engines

    monkeypatch.setattr(engines, "AUTO_CPU_ENGINE", "torch")


@pytest.fixture
def openfield_project(tmp_path: Path) -> Path:
    """A writable copy of the openfield example; returns its config path."""
    if not openfield_available():
        pytest.skip(f"the openfield example project is not at {OPENFIELD} (set DLC_OPENFIELD to its folder)")
    target = tmp_path / OPENFIELD.name
    shutil.copytree(OPENFIELD, target, ignore=shutil.ignore_patterns("*.mp4"))
    return target / "config.yaml"


def write_video(path: Path, num_frames: int = 5, size: tuple[int, int] = (64, 48), fps: int = 10) -> Path:
    """A small mp4 whose frame i is filled with grey level 6*i (at most 42 frames); size is (width, height)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(num_frames):
        writer.write(np.full((size[1], size[0], 3), 6 * i, np.uint8))
    writer.release()
    return path


def make_tiny_project(
    root: Path,
    multianimal: bool = True,
    num_images: int = 10,
    individuals: tuple[str, ...] = ("mouse1", "mouse2"),
    bodyparts: tuple[str, ...] = ("snout", "leftear", "rightear", "tail"),
    unique_bodyparts: tuple[str, ...] = ("food",),
    image_size: tuple[int, int] = (96, 128),
    seed: int = 0,
) -> Path:
    """A project with random images and labels written through the package's own writers.

    Returns the config path. ``image_size`` is (height, width).
    """
    rng = np.random.default_rng(seed)
    video = write_video(root / "tiny.mp4", size=(image_size[1], image_size[0]))
    config_path = Path(create_new_project("tiny", "tester", [video], working_directory=root, multianimal=multianimal))
    cfg = read_config(config_path)
    if multianimal:
        cfg["individuals"] = list(individuals)
        cfg["multianimalbodyparts"] = list(bodyparts)
        cfg["uniquebodyparts"] = list(unique_bodyparts)
    else:
        cfg["bodyparts"] = list(bodyparts)
        individuals, unique_bodyparts = ("animal",), ()
    cfg["skeleton"] = [[bodyparts[0], bodyparts[1]]]
    write_config(config_path, cfg)

    height, width = image_size
    folder = config_path.parent / "labeled-data" / "tiny"
    names = [f"img{i:03d}.png" for i in range(num_images)]
    for name in names:
        cv2.imwrite(str(folder / name), rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    keypoints = rng.uniform([4, 4], [width - 4, height - 4], size=(num_images, len(individuals), len(bodyparts), 2))
    keypoints[1, 0, 2] = np.nan  # an unlabeled bodypart
    unique = rng.uniform([4, 4], [width - 4, height - 4], size=(num_images, len(unique_bodyparts), 2))
    frames = LabeledFrames(
        image_paths=[f"labeled-data/tiny/{name}" for name in names],
        keypoints=keypoints,
        unique_keypoints=unique,
        bodyparts=list(bodyparts),
        unique_bodyparts=list(unique_bodyparts),
        individuals=list(individuals),
        scorer="tester",
    )
    write_collected_data(arrays_to_labels(frames, multianimal), folder / "CollectedData_tester.h5")
    return config_path


@pytest.fixture
def tiny_multianimal_project(tmp_path: Path) -> Path:
    return make_tiny_project(tmp_path, multianimal=True)


@pytest.fixture
def tiny_single_animal_project(tmp_path: Path) -> Path:
    return make_tiny_project(tmp_path, multianimal=False)


#: A small HRNet layout (1 module per stage, 1 block per branch, thin stem) for fast tests.
TINY_LAYOUT = {
    "stem_width": 16,
    "stem_channels": 16,
    "layer1_channels": 8,
    "layer1_blocks": 1,
    "stage_modules": [1, 1, 1],
    "stage_blocks": 1,
}
#: The same with a wider first stage, for tests that train.
TINY_BACKBONE = {**TINY_LAYOUT, "layer1_channels": 16}


def make_tiny_dekr_shuffle(
    root: Path,
    multianimal: bool = True,
    width: int = 8,
    num_frames: int = 60,
    num_labeled_frames: int = 24,
    frame_size: tuple[int, int] = (96, 96),
    **train_settings,
) -> Path:
    """A synthetic project with shuffle 1 whose model is a tiny DEKR; returns the config path."""
    config = create_synthetic_project(
        root,
        multianimal=multianimal,
        num_individuals=2 if multianimal else 1,
        num_bodyparts=3,
        num_frames=num_frames,
        num_labeled_frames=num_labeled_frames,
        frame_size=frame_size,
        seed=3,
    )
    create_training_dataset(config, net_type="dekr_16")
    pose_config_path = next((Path(config).parent / "dlc-models-pytorch" / "iteration-0").iterdir()) / "train" / "pytorch_config.yaml"
    pose_cfg = read_pytorch_config(pose_config_path)
    model = fill_placeholders(
        load_template("dekr"), {"width": width, "num_bodyparts": 3, "max_individuals": 2 if multianimal else 1}
    )["model"]
    model["backbone"].update(TINY_BACKBONE)
    pose_cfg["model"] = model
    pose_cfg["data"]["train"]["crop_sampling"].update(width=64, height=64)
    pose_cfg["data"]["train"].pop("motion_blur", None)
    pose_cfg["runner"]["optimizer"]["params"]["lr"] = 0.002
    pose_cfg["runner"]["scheduler"] = None
    pose_cfg["train_settings"].update({"batch_size": 4, **train_settings})
    write_pytorch_config(pose_config_path, pose_cfg)
    return Path(config)


@pytest.fixture
def tiny_dekr_project(tmp_path: Path) -> Path:
    return make_tiny_dekr_shuffle(tmp_path)


@pytest.fixture
def tiny_dekr_factory(tmp_path: Path):
    """``make(name, **kwargs)`` builds a tiny-DEKR project in its own folder under tmp_path."""

    def make(name: str = "project", **kwargs) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        return make_tiny_dekr_shuffle(folder, **kwargs)

    return make


# Hand-made DeepLabCut analysis DataFrames.

DATAFRAME_SCORER = "DLC_DekrW32_testNov24shuffle1_snapshot_10"


def single_animal_dataframe(xy_likelihood: np.ndarray, bodyparts: list[str]) -> pd.DataFrame:
    """``xy_likelihood``: (T, K, 3) -> 3-level columns scorer/bodyparts/coords."""
    columns = pd.MultiIndex.from_product(
        [[DATAFRAME_SCORER], bodyparts, ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    return pd.DataFrame(xy_likelihood.reshape(len(xy_likelihood), -1), columns=columns)


def multi_animal_dataframe(
    poses: dict[str, np.ndarray], bodyparts: dict[str, list[str]]
) -> pd.DataFrame:
    """``poses[individual]``: (T, K_i, 3) -> 4-level columns scorer/individuals/bodyparts/coords."""
    tuples, blocks = [], []
    for individual, array in poses.items():
        for bodypart in bodyparts[individual]:
            for coord in ("x", "y", "likelihood"):
                tuples.append((DATAFRAME_SCORER, individual, bodypart, coord))
        blocks.append(array.reshape(len(array), -1))
    columns = pd.MultiIndex.from_tuples(tuples, names=["scorer", "individuals", "bodyparts", "coords"])
    return pd.DataFrame(np.concatenate(blocks, axis=1), columns=columns)


@pytest.fixture
def dataframes():
    class Factory:
        single = staticmethod(single_animal_dataframe)
        multi = staticmethod(multi_animal_dataframe)

    return Factory


class BrightestPixel(torch.nn.Module):
    """A stand-in pose model: the one keypoint of one animal is its input's brightest pixel, scored ``score``."""

    def __init__(self, score: float = 1.0) -> None:
        super().__init__()
        self.score = score
        self.seen: list[tuple[int, ...]] = []

    def forward(self, images: torch.Tensor) -> dict:
        self.seen.append(tuple(images.shape))
        return {"bodypart": {"image": images.mean(dim=1, keepdim=True)}}

    def predict(self, outputs: dict) -> dict:
        image = outputs["bodypart"]["image"][:, 0]
        flat = image.flatten(1).argmax(dim=1)
        y, x = (flat // image.shape[2]).float(), (flat % image.shape[2]).float()
        return {"bodyparts": torch.stack([x, y, torch.full_like(x, self.score)], dim=-1)[:, None, None, :]}
