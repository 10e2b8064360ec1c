"""DeepLabCut's file and folder names."""

from deeplabcut.project.paths import (
    data_and_documentation_filenames,
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
