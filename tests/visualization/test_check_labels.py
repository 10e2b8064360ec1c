"""check_labels draws every labeled frame, with the labels where they are."""

from pathlib import Path

import cv2
import numpy as np

from deeplabcut.visualization.check_labels import check_labels
from deeplabcut.formats.collected_data import labels_to_arrays, read_collected_data


def test_draws_every_labeled_frame(tiny_multianimal_project: Path):
    calls = []
    folders = check_labels(tiny_multianimal_project, progress=calls.append)
    project = tiny_multianimal_project.parent
    assert folders == [project / "labeled-data" / "tiny_labeled"]
    drawn = sorted(folders[0].glob("*.png"))
    assert len(drawn) == 10 and len(calls) == 10
    labels = labels_to_arrays(
        read_collected_data(project / "labeled-data" / "tiny" / "CollectedData_tester.h5"),
        ["snout", "leftear", "rightear", "tail"], ["mouse1", "mouse2"], ["food"],
    )
    original = cv2.imread(str(project / "labeled-data" / "tiny" / "img000.png")).astype(int)
    picture = cv2.imread(str(drawn[0])).astype(int)
    assert picture.shape[0] == original.shape[0] and picture.shape[1] > original.shape[1]  # legend strip
    picture = picture[:, : original.shape[1]]
    x, y = np.round(labels.keypoints[0, 0, 0]).astype(int)
    assert np.abs(picture[y - 1 : y + 2, x - 1 : x + 2] - original[y - 1 : y + 2, x - 1 : x + 2]).sum() > 0
    far = np.abs(picture[:3, :3] - original[:3, :3]).mean()
    assert far < 5  # the background is the image itself
