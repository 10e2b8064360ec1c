"""Predictions as DeepLabCut DataFrames: padding becomes NaN, points just outside the frame stay."""

import numpy as np

from deeplabcut.formats.analysis import predictions_dataframe


def test_padding_is_nan_but_negative_coordinates_stay():
    poses = np.array([[[[-0.5, 10.0, 0.9], [3.0, 4.0, 0.8]], [[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]]]])
    df = predictions_dataframe("s", ["a", "b"], poses, individuals=["m1", "m2"])
    assert df.loc[0, ("s", "m1", "a", "x")] == -0.5  # a real prediction left of the frame
    assert df.xs("m2", level="individuals", axis=1).isna().all().all()  # the -1 padding
    single = predictions_dataframe("s", ["a", "b"], poses[:, :1])
    assert single.columns.names == ["scorer", "bodyparts", "coords"] and single.shape == (1, 6)
