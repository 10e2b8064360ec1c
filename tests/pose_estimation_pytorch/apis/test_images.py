"""analyze_images: one row per image, DeepLabCut's columns, predictions in image pixels."""

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from deeplabcut.pose_estimation_pytorch.apis import analyze_images
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.training_dataset.create import create_training_dataset


class ConstantRunner:
    def __init__(self, num_individuals: int, num_bodyparts: int, num_unique: int):
        self.shape = (num_individuals, num_bodyparts)
        self.num_unique = num_unique

    def predict(self, images):
        for index, image in enumerate(images):
            poses = np.full((*self.shape, 3), 0.8)
            poses[..., 0] = index + 1
            poses[..., 1] = image.shape[0] / 2
            poses[-1] = -1  # one animal not found
            yield {"bodyparts": poses, "unique_bodyparts": np.full((self.num_unique, 3), 0.5)}


def test_folder_of_images(tiny_multianimal_project: Path, monkeypatch, tmp_path: Path):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    project = ShuffleData(tiny_multianimal_project)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 3}, "model": {}}, project.train_folder / "snapshot-003.pt")
    runner = ConstantRunner(len(project.individuals), len(project.bodyparts), len(project.unique_bodyparts))
    monkeypatch.setattr(PoseInferenceRunner, "from_snapshot", staticmethod(lambda *a, **k: runner))

    folder = project.path / "labeled-data" / "tiny"
    results = analyze_images(tiny_multianimal_project, folder, frame_type=".png", output_dir=tmp_path, plotting=True)
    (path, df), = results.items()
    assert path.parent == tmp_path and path.name.startswith("tinyDLC_DekrW18_")
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(df.index[:2]) == ["img000.png", "img001.png"]
    assert df.iloc[1, 0] == 2.0 and df.iloc[0, 1] == 48.0  # x = image number, y = half the height (96 px)
    assert df.xs("mouse2", level="individuals", axis=1).isna().all().all()  # the animal not found is NaN
    pd.testing.assert_frame_equal(pd.read_hdf(path, "df_with_missing"), df)
    assert len(list((tmp_path / f"LabeledImages_{path.stem[len('tiny'):]}").glob("*.png"))) == 10
