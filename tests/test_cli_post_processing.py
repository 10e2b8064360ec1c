"""The post-processing commands: filterpredictions, analyzeskeleton, convert-to-csv, convert-to-nwb, label-video --filtered."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deeplabcut.cli import build_parser, main
from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
from deeplabcut.training_dataset.create import create_training_dataset


def analysed_single_animal_project(root: Path) -> tuple[str, Path, str]:
    config = create_synthetic_project(root, multianimal=False, num_bodyparts=3, num_frames=20, num_labeled_frames=5, frame_size=(64, 64), seed=4)
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 2}, "model": {}}, project.train_folder / "snapshot-002.pt")
    scorer = TrainedModel.resolve(config).scorer
    video = next((Path(config).parent / "videos").glob("*.mp4"))
    truth = load_ground_truth(config).keypoints
    poses = np.concatenate([truth, np.full((*truth.shape[:3], 1), 0.9)], axis=-1)
    write_analysis(predictions_dataframe(scorer, read_config(config)["bodyparts"], poses), video.parent / f"{video.stem}{scorer}.h5")
    return str(config), video, scorer


def test_post_processing_from_the_command_line(tmp_path):
    config, video, scorer = analysed_single_animal_project(tmp_path)
    prefix = video.parent / f"{video.stem}{scorer}"

    assert main(["filterpredictions", config, str(video), "--filtertype", "spline", "--windowlength", "3"]) == 0
    assert Path(f"{prefix}_filtered.h5").is_file() and Path(f"{prefix}_filtered.csv").is_file()
    assert main(["analyzeskeleton", config, str(video), "--filtered", "--save-as-csv"]) == 0
    skeleton = pd.read_hdf(f"{prefix}_filtered_skeleton.h5", "df_with_missing")
    assert set(skeleton.columns.get_level_values(1)) == {"length", "orientation", "likelihood"}
    assert main(["label-video", config, str(video), "--filtered"]) == 0
    assert Path(f"{prefix}_filtered_p60_labeled.mp4").is_file()
    assert main(["convert-to-csv", str(video.parent)]) == 0
    assert Path(f"{prefix}.csv").is_file() and Path(f"{prefix}_filtered_skeleton.csv").is_file()
    if importlib.util.find_spec("pynwb") and importlib.util.find_spec("ndx_pose"):  # the optional extra "nwb"
        assert main(["convert-to-nwb", config, str(video.parent)]) == 0
        assert Path(f"{prefix}_ind1.nwb").is_file() and Path(f"{prefix}_filtered_ind1.nwb").is_file()


def test_bad_post_processing_input_is_one_line_and_exit_code_1(tmp_path, capsys):
    config, video, _ = analysed_single_animal_project(tmp_path)
    assert main(["filterpredictions", config, str(video), "--windowlength", "4"]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "windowlength" in error
    assert main(["analyzeskeleton", config, str(video), "--filtered"]) == 1  # nothing filtered yet
    assert "filterpredictions" in capsys.readouterr().err
    assert main(["convert-to-csv", str(tmp_path / "nowhere")]) == 1


def test_post_processing_arguments_keep_deeplabcuts_names():
    parser = build_parser()
    args = parser.parse_args(["filterpredictions", "c.yaml", "v.mp4", "--filtertype", "arima", "--ARdegree", "5", "--MAdegree", "2", "--p-bound", "0.01"])
    assert (args.filtertype, args.ARdegree, args.MAdegree, args.p_bound, args.save_as_csv) == ("arima", 5, 2, 0.01, True)
    assert parser.parse_args(["filterpredictions", "c.yaml", "v.mp4", "--no-csv"]).save_as_csv is False
    with pytest.raises(SystemExit):
        parser.parse_args(["filterpredictions", "c.yaml", "v.mp4", "--filtertype", "kalman"])
