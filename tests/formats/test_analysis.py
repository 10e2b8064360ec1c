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


def test_analysis_and_evaluation_files_round_trip(tmp_path):
    import pandas as pd

    from deeplabcut.formats.analysis import read_analysis, write_analysis, write_evaluation_predictions

    poses = np.arange(2 * 2 * 2 * 3, dtype=float).reshape(2, 2, 2, 3)
    unique = np.array([[[1.0, 2.0, 0.5]], [[-1.0, -1.0, -1.0]]])
    df = predictions_dataframe("s", ["a", "b"], poses, ["m1", "m2"], ["led"], unique)
    assert np.isnan(df.loc[1, ("s", "single", "led")]).all()  # padded unique bodypart
    path = tmp_path / "videoDLC_s.h5"
    write_analysis(df, path, save_as_csv=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["videoDLC_s.csv", "videoDLC_s.h5"]
    with pd.HDFStore(path, mode="r") as store:
        assert store.keys() == ["/df_with_missing"] and store.get_storer("df_with_missing").is_table
    pd.testing.assert_frame_equal(read_analysis(path), df)
    csv = pd.read_csv(path.with_suffix(".csv"), header=[0, 1, 2, 3], index_col=0)
    assert list(csv.columns) == list(df.columns)
    np.testing.assert_allclose(csv.to_numpy(), df.to_numpy())

    evaluation = tmp_path / "DLC_s.h5"
    write_evaluation_predictions(df, evaluation)
    assert not evaluation.with_suffix(".csv").exists()
    with pd.HDFStore(evaluation, mode="r") as store:
        assert store.keys() == ["/df_with_missing"] and not store.get_storer("df_with_missing").is_table
    pd.testing.assert_frame_equal(pd.read_hdf(evaluation, "df_with_missing"), df)
    pd.testing.assert_frame_equal(read_analysis(evaluation, key="tracks"), df)  # falls back to the only key
