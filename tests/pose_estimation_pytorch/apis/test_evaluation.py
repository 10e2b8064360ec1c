"""evaluate_network on hand-made predictions: the numbers are the hand-computed ones, in DeepLabCut's files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import deeplabcut.pose_estimation_pytorch.apis.evaluation as evaluation
from deeplabcut.formats import evaluation_results
from deeplabcut.pose_estimation_pytorch.apis import evaluate_network
from deeplabcut.pose_estimation_pytorch.data import ShuffleData, load_image
from deeplabcut.project.config import read_config, write_config
from deeplabcut.training_dataset.create import create_training_dataset


class FakeRunner:
    """Predicts the labels of each image moved by ``shift`` px, with score ``score``.

    Images are recognised by their pixels; multi-animal projects get one
    prediction per labeled animal (unlabeled bodyparts predicted at 0, 0).
    """

    def __init__(self, project: ShuffleData, shift=(3.0, 4.0), score=0.9):
        self.rows = {load_image(project.path / p).tobytes(): i for i, p in enumerate(project.labels.image_paths)}
        self.labels = project.labels
        self.shift = np.asarray(shift)
        self.score = score

    def predict(self, images):
        for image in images:
            row = self.rows[image.tobytes()]
            animals = np.nan_to_num(self.labels.keypoints[row], nan=0.0) + self.shift
            poses = np.concatenate([animals, np.full((*animals.shape[:2], 1), self.score)], axis=-1)
            unique = np.nan_to_num(self.labels.unique_keypoints[row]) + self.shift
            unique = np.concatenate([unique, np.full((len(unique), 1), self.score)], axis=-1)
            yield {"bodyparts": poses, "unique_bodyparts": unique}


@pytest.fixture
def fake_runner(monkeypatch):
    """Replace model loading by a FakeRunner made for the given project."""

    def install(project: ShuffleData, **kwargs) -> FakeRunner:
        runner = FakeRunner(project, **kwargs)
        monkeypatch.setattr(
            evaluation.PoseInferenceRunner, "from_snapshot", staticmethod(lambda *args, **kw: runner)
        )
        return runner

    return install


def _snapshots(project: ShuffleData, epochs=(5,), best=(10,)):
    project.train_folder.mkdir(parents=True, exist_ok=True)
    for epoch in epochs:
        torch.save({"metadata": {"epoch": epoch}, "model": {}}, project.train_folder / f"snapshot-{epoch:03d}.pt")
    for epoch in best:
        torch.save({"metadata": {"epoch": epoch}, "model": {}}, project.train_folder / f"snapshot-best-{epoch:03d}.pt")


def test_single_animal_rmse_is_the_mean_pixel_distance(tiny_single_animal_project: Path, fake_runner):
    create_training_dataset(tiny_single_animal_project, net_type="dekr_16")
    project = ShuffleData(tiny_single_animal_project)
    _snapshots(project)
    fake_runner(project, shift=(3.0, 4.0), score=0.9)

    results = evaluate_network(tiny_single_animal_project, shuffle=1, trainingsetindex="all", plotting=True)
    row = results.iloc[0]
    assert row["train rmse"] == pytest.approx(5.0) and row["test rmse"] == pytest.approx(5.0)
    assert row["train rmse_pcutoff"] == pytest.approx(5.0)
    assert results.index[0] == (0.95, 1, 10, -1, 0.6)  # -1 picks the best snapshot

    scorer = "DLC_DekrW18_tinyNov24shuffle1_snapshot_best-10".replace("Nov24", project.cfg["date"])
    folder = project.evaluation_folder
    predictions = pd.read_hdf(folder / f"{scorer}.h5", "df_with_missing")
    assert predictions.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(predictions.columns[:3]) == [(scorer, "animal", "snout", "x"), (scorer, "animal", "snout", "y"), (scorer, "animal", "snout", "likelihood")]
    labels = project.labels
    np.testing.assert_allclose(predictions.iloc[0, 0:2], np.nan_to_num(labels.keypoints[0, 0, 0]) + [3, 4])
    csv = pd.read_csv(folder / f"{scorer}-results.csv", index_col=list(range(5)))
    assert list(csv.columns) == evaluation_results.RESULT_VALUES
    assert csv.index.names == evaluation_results.RESULT_INDEX
    per_bodypart = pd.read_csv(folder / f"{scorer}-keypoint-results.csv", index_col=0)
    assert list(per_bodypart.index) == ["Train error (px)", "Test error (px)"]
    np.testing.assert_allclose(per_bodypart.to_numpy(), 5.0)
    images = list((folder / f"LabeledImages_{scorer}").glob("*.png"))
    assert len(images) == 10 and any(p.name.startswith("Test-tiny-") for p in images)
    combined = pd.read_csv(folder.parent / "CombinedEvaluation-results.csv")
    assert len(combined) == 1


def test_pcutoff_and_snapshot_selection(tiny_single_animal_project: Path, fake_runner):
    create_training_dataset(tiny_single_animal_project, net_type="dekr_16")
    project = ShuffleData(tiny_single_animal_project)
    _snapshots(project, epochs=(5, 8), best=())
    fake_runner(project, shift=(6.0, 8.0), score=0.5)

    results = evaluate_network(tiny_single_animal_project, Shuffles=[1], snapshotindex="all", show_errors=False)
    assert [index[2] for index in results.index] == [5, 8]
    assert results["test rmse"].tolist() == [10.0, 10.0]
    assert results["test rmse_pcutoff"].isna().all()  # every score 0.5 < pcutoff 0.6

    cfg = read_config(tiny_single_animal_project)
    cfg["snapshotindex"] = 0
    write_config(tiny_single_animal_project, cfg)
    assert evaluate_network(tiny_single_animal_project, shuffles=[1], show_errors=False).index[0][2] == 5
    assert evaluate_network(tiny_single_animal_project, shuffles=[1], pcutoff=0.4, show_errors=False)["test rmse_pcutoff"].iloc[0] == 10.0
    combined = pd.read_csv(project.path / "evaluation-results-pytorch" / "iteration-0" / "CombinedEvaluation-results.csv")
    assert len(combined) == 3  # epochs 5 and 8 at pcutoff 0.6, epoch 5 at pcutoff 0.4


def test_multianimal_perfect_predictions_have_full_map(tiny_multianimal_project: Path, fake_runner):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    project = ShuffleData(tiny_multianimal_project)
    _snapshots(project)
    fake_runner(project, shift=(0.0, 0.0), score=0.95)
    row = evaluate_network(tiny_multianimal_project, show_errors=False).iloc[0]
    assert row["train rmse"] == 0.0 and row["test rmse"] == 0.0
    assert row["train mAP"] == 100.0 and row["train mAR"] == 100.0


def test_every_file_is_read_once_for_all_snapshots(tiny_single_animal_project: Path, fake_runner, monkeypatch):
    from collections import Counter

    import ruamel.yaml

    import deeplabcut.pose_estimation_pytorch.data.project as project_module

    create_training_dataset(tiny_single_animal_project, net_type="dekr_16")
    project = ShuffleData(tiny_single_animal_project)
    _snapshots(project, epochs=(5, 8), best=(10,))
    fake_runner(project)
    parsed: Counter[str] = Counter()
    real_load, real_read = ruamel.yaml.YAML.load, project_module.read_collected_data

    def counting_load(self, stream):
        parsed[Path(getattr(stream, "name", "<text>")).name] += 1
        return real_load(self, stream)

    def counting_read(path, *args, **kwargs):
        parsed[Path(path).name] += 1
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(ruamel.yaml.YAML, "load", counting_load)
    monkeypatch.setattr(project_module, "read_collected_data", counting_read)
    assert len(evaluate_network(tiny_single_animal_project, snapshotindex="all", show_errors=False)) == 3
    assert parsed == {"config.yaml": 1, "pytorch_config.yaml": 1, "pytorch_config_extras.yaml": 1, "CollectedData_tester.h5": 1}
