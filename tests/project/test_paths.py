"""DeepLabCut's file and folder names."""

from pathlib import Path

from deeplabcut.project.paths import (
    AnalysisFiles,
    data_and_documentation_filenames,
    image_analysis_path,
    inference_cfg_path,
    labeled_video_path,
    model_folder,
    net_name,
    scorer_name,
    snapshot_filename,
    snapshot_pattern,
    training_fraction_percent,
)

CFG = {"Task": "openfield", "date": "Oct30", "scorer": "Pranav", "iteration": 0, "multianimalproject": False}


def test_fraction_percent_truncates_like_deeplabcut():
    assert training_fraction_percent(0.95) == 95
    assert training_fraction_percent(0.29) == 28


def test_names():
    assert str(model_folder(CFG, 0.95, 1)) == "dlc-models-pytorch/iteration-0/openfieldOct30-trainset95shuffle1"
    data, doc = data_and_documentation_filenames(CFG, 0.95, 2)
    assert str(data).endswith("UnaugmentedDataSet_openfieldOct30/openfield_Pranav95shuffle2.mat")
    assert doc.name == "Documentation_data-openfield_95shuffle2.pickle"
    assert net_name("dekr_w32") == "DekrW32" and net_name("token_pose_w16") == "TokenPoseW16"
    assert net_name("top_down_hrnet_w32") == "HrnetW32"  # DeepLabCut names a top-down backbone by the backbone
    assert scorer_name(CFG, 1, "dekr_32", "200") == "DLC_Dekr32_openfieldOct30shuffle1_snapshot_200"
    assert snapshot_filename(5) == "snapshot-005.pt" and snapshot_filename(120, best=True) == "snapshot-best-120.pt"
    match = snapshot_pattern().match("snapshot-best-120.pt")
    assert match and match["best"] and match["epoch"] == "120"
    assert snapshot_pattern().match("snapshot-detector-010.pt") is None


def test_training_and_evaluation_output_names():
    from datetime import datetime
    from pathlib import Path

    from deeplabcut.project.paths import (
        combined_evaluation_file,
        evaluation_image_filename,
        evaluation_predictions_filename,
        evaluation_results_filename,
        keypoint_results_filename,
        labeled_images_folder_name,
        previous_run_folder_name,
    )

    scorer = "DLC_Dekr32_openfieldOct30shuffle1_snapshot_best-200"
    assert evaluation_predictions_filename(scorer) == f"{scorer}.h5"
    assert evaluation_results_filename(scorer) == f"{scorer}-results.csv"
    assert keypoint_results_filename(scorer) == f"{scorer}-keypoint-results.csv"
    assert labeled_images_folder_name(scorer) == f"LabeledImages_{scorer}"
    assert evaluation_image_filename("train", "labeled-data/m4s1/img0020.png") == "Training-m4s1-img0020.png"
    assert evaluation_image_filename("test", "labeled-data/m4s1/img0020.png") == "Test-m4s1-img0020.png"
    assert previous_run_folder_name(datetime(2024, 3, 5, 14, 7, 9)) == "previous-run-20240305-140709"
    cfg = {"iteration": 2}
    assert combined_evaluation_file(cfg) == Path("evaluation-results-pytorch/iteration-2/CombinedEvaluation-results.csv")
    assert combined_evaluation_file(cfg, "prefix") == Path("prefix/evaluation-results-pytorch/iteration-2/CombinedEvaluation-results.csv")


def test_analysis_file_names():
    scorer = "DLC_DekrW32_openfieldOct30shuffle1_snapshot_200"
    files = AnalysisFiles.of(Path("/data/videos/m3v1.day1.mp4"), scorer)
    assert files.prefix == Path(f"/data/videos/m3v1.day1{scorer}")  # no separator, dots kept
    assert files.h5.name == f"m3v1.day1{scorer}.h5" and files.poses(filtered=True).name.endswith("_filtered.h5")
    assert files.full.name == f"m3v1.day1{scorer}_full.pickle"
    assert files.assemblies.name == f"m3v1.day1{scorer}_assemblies.pickle"
    assert files.meta.name == f"m3v1.day1{scorer}_meta.pickle"
    assert files.tracklets("ellipse").name.endswith(f"{scorer}_el.pickle")
    assert files.tracks("box").name.endswith(f"{scorer}_bx.h5")
    assert files.tracks("ellipse", filtered=True).name.endswith("_el_filtered.h5")
    assert files.plot_poses_folder == Path("/data/videos/plot-poses/m3v1.day1")
    assert AnalysisFiles.of(Path("v.mp4"), scorer, "/out").folder == Path("/out")
    tracks = files.tracks("ellipse")
    assert labeled_video_path(tracks, 0.6, "bodypart").name == f"m3v1.day1{scorer}_el_bp_p60_labeled.mp4"
    assert labeled_video_path(files.h5, 0.1).name == f"m3v1.day1{scorer}_p10_labeled.mp4"
    assert inference_cfg_path(Path("/p/dlc-models-pytorch/iteration-0/x")) == Path(
        "/p/dlc-models-pytorch/iteration-0/x/test/inference_cfg.yaml"
    )
    assert image_analysis_path("/out", "/imgs/session1", scorer) == Path(f"/out/session1{scorer}.h5")
