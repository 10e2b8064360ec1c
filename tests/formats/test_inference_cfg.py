"""A shuffle's test/inference_cfg.yaml: the template filled for the project, written and read back."""

from __future__ import annotations

from deeplabcut.formats.inference_cfg import inference_cfg_for_project, read_inference_cfg, write_inference_cfg

TEMPLATE = {"variant": 0, "minimalnumberofconnections": 1, "topktoretain": 1, "withid": False, "pcutoff": 0.1}


def test_filled_written_and_read_back(tmp_path):
    cfg = inference_cfg_for_project(TEMPLATE, num_bodyparts=5, num_individuals=3, identity=None)
    assert cfg == {**TEMPLATE, "minimalnumberofconnections": 2, "topktoretain": 3, "withid": False}
    assert TEMPLATE["topktoretain"] == 1  # the template is not changed
    assert inference_cfg_for_project(TEMPLATE, 1, 1, True)["minimalnumberofconnections"] == 1
    path = tmp_path / "test" / "inference_cfg.yaml"
    write_inference_cfg(path, cfg)
    back = read_inference_cfg(path)
    assert back == cfg and list(back) == list(cfg) and type(back) is dict
