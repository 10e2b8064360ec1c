"""Labeled frames with matplotlib: markers where the points are, files that open."""

from __future__ import annotations

import cv2
import matplotlib.pyplot as plt
import numpy as np

from deeplabcut.visualization import LabeledFramePlotter, plot_labeled_frame

RED, BLUE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)


def window_colour(picture: np.ndarray, x: float, y: float, half: int = 2) -> np.ndarray:
    window = picture[int(y) - half : int(y) + half + 1, int(x) - half : int(x) + half + 1]
    return window.reshape(-1, 3).max(axis=0)


def test_ground_truth_only_picture_keeps_the_image_size(tmp_path):
    image = np.full((120, 160, 3), 40, dtype=np.uint8)
    labels = np.array([[[30.0, 40.0], [120.0, 90.0]]])
    path = tmp_path / "check" / "img0001_labeled.png"
    picture = plot_labeled_frame(
        image, labels, None, bodyparts=["snout", "tail"], colors=[RED, BLUE], output_path=path, legend=False
    )
    assert picture.shape == image.shape
    on_disk = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(on_disk, picture)
    assert window_colour(picture, 30, 40)[0] > 150  # red "+" at the first label
    assert window_colour(picture, 120, 90)[2] > 150  # blue "+" at the second
    np.testing.assert_array_equal(picture[5, 5], (40, 40, 40))  # elsewhere: the image itself
    np.testing.assert_array_equal(picture[100, 60], (40, 40, 40))


def test_predictions_are_drawn_whether_confident_or_not():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    predictions = np.array([[[20.0, 20.0, 0.9], [70.0, 70.0, 0.2], [-1.0, -1.0, -1.0]]])
    picture = plot_labeled_frame(
        image, None, predictions, bodyparts=["a", "b", "c"], colors=[RED, BLUE, RED], pcutoff=0.6, legend=False, alpha=1.0
    )
    assert window_colour(picture, 20, 20)[0] > 200  # dot
    assert window_colour(picture, 70, 70)[2] > 150  # "x"
    assert not picture[:8, :8].any()  # the -1 padding is not drawn at (-1, -1)


def test_animal_boxes_are_drawn_where_they_are():
    image = np.zeros((100, 120, 3), dtype=np.uint8)
    boxes = np.array([[20.0, 30.0, 80.0, 70.0], [-1.0, -1.0, -1.0, -1.0]])
    picture = plot_labeled_frame(image, None, None, bboxes=boxes, bbox_scores=np.array([0.9, -1.0]), legend=False)
    for x, y in [(20, 50), (80, 50), (50, 30), (50, 70)]:  # on each side
        assert window_colour(picture, x, y, half=1)[0] > 150
    assert not picture[50, 50].any()  # inside: the image
    assert not picture[:5, :5].any()  # the -1 row is not a box


def test_one_plotter_serves_images_of_different_sizes_without_pyplot(tmp_path):
    plotter = LabeledFramePlotter()
    for index, (height, width) in enumerate([(64, 80), (120, 90), (64, 80)]):
        image = np.zeros((height, width, 3), dtype=np.uint8)
        labels = np.array([[[10.0, 10.0], [width - 10.0, height - 10.0]]])
        predictions = np.concatenate([labels + 2, np.full((1, 2, 1), 0.9)], axis=-1)
        picture = plotter.plot(
            image, labels, predictions, bodyparts=["a", "b"], mode="individual",
            individuals=["mouse"], title=f"img{index}", output_path=tmp_path / f"{index}.png",
        )
        assert picture.shape[0] == height and picture.shape[1] > width  # the legend strip is beside the image
        assert (picture[:, :width][0, -1] == 0).all()  # the image area is the image
        assert (tmp_path / f"{index}.png").stat().st_size > 0
    assert plt.get_fignums() == []  # no pyplot figures left open
