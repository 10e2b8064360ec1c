"""The schema of pytorch_config.yaml: every key checked for type, range and name; one error that
names the file, the key path, the value and what is allowed; a seeded fuzz of random values."""

from __future__ import annotations

import copy
import time
import traceback

import numpy as np
import pytest

from deeplabcut.errors import ConfigValueError, DLCError
from deeplabcut.pose_estimation_pytorch.config.make_config import available_net_types, make_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.schema import (
    check_inference_arguments,
    spec_at,
    validate_pytorch_config,
)
from deeplabcut.pose_estimation_pytorch.models.registry import check_model_types
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.utils.yaml_io import write_yaml


@pytest.fixture(scope="module")
def project_cfg(tmp_path_factory) -> dict:
    config = create_synthetic_project(
        tmp_path_factory.mktemp("schema"), multianimal=True, num_individuals=2, num_bodyparts=3,
        num_frames=4, num_labeled_frames=4, frame_size=(64, 64),
    )
    return read_config(config)


@pytest.fixture
def dekr_cfg(project_cfg) -> dict:
    return make_pytorch_config(project_cfg, "dekr_16", "pytorch_config.yaml")


def test_every_generated_config_is_valid(project_cfg):
    for net_type in available_net_types():
        cfg = make_pytorch_config(project_cfg, net_type, "pytorch_config.yaml")
        validate_pytorch_config(cfg, net_type)
        check_model_types(cfg, net_type)


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("train_settings.epochs", -1, "train_settings.epochs = -1 is not allowed; expected an integer >= 0"),
        ("train_settings.epochs", "ten", "train_settings.epochs = 'ten' is not allowed; expected an integer >= 0"),
        ("train_settings.epochs", True, "train_settings.epochs = True is not allowed"),
        ("train_settings.batch_size", -2, "train_settings.batch_size = -2 is not allowed; expected an integer >= 1"),
        ("train_settings.batch_size", 2.5, "expected an integer >= 1"),
        ("data.train.crop_sampling.width", "big", "data.train.crop_sampling.width = 'big' .*an integer >= 1"),
        ("data.train.crop_sampling.method", "random", "one of 'uniform', 'keypoints', 'density', 'hybrid'"),
        ("data.train.affine.p", 1.5, "data.train.affine.p = 1.5 .*a number from 0.0 to 1.0"),
        ("data.train.affine.scaling", [0.5], "a list of 2 items"),
        ("runner.snapshots.save_epochs", 0, "runner.snapshots.save_epochs = 0"),
        ("runner.mixed_precision", "fp8", "one of 'auto', 'bf16'"),
        ("device", "gpu0", "device = 'gpu0' .*'auto', 'cpu', 'cuda', 'cuda:N'"),
        ("method", "sideways", "one of 'bu', 'td', 'ctd'"),
        ("inference.eval.pcutoff", 2, "inference.eval.pcutoff = 2"),
        ("train_settings.epochz", 5, "Unknown config key 'epochz'.*Did you mean 'epochs'\\?"),
        ("runner.snapshot", {"save_epochs": 5}, "Unknown config key 'snapshot'.*Did you mean 'snapshots'\\?"),
        ("data.train.colour_jitter", True, "Unknown augmentation key 'colour_jitter'.*Did you mean 'color_jitter'\\?"),
    ],
)
def test_one_error_names_the_file_the_key_the_value_and_what_is_allowed(tmp_path, dekr_cfg, path, value, expected):
    node = dekr_cfg
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    file = tmp_path / "pytorch_config.yaml"
    write_yaml(file, dekr_cfg)
    with pytest.raises(ConfigValueError, match=expected) as error:
        read_pytorch_config(file)
    assert str(file) in str(error.value) and error.value.key == path and error.value.value == value


def test_devices(dekr_cfg):
    for device in ("auto", "cpu", "cuda", "cuda:1", "mps"):
        validate_pytorch_config({**dekr_cfg, "device": device}, "test")
    for device in ("gpu0", "cuda:", "CUDA", "cuda:x", 0):
        with pytest.raises(ConfigValueError, match="device"):
            validate_pytorch_config({**dekr_cfg, "device": device}, "test")


def test_our_train_settings_are_in_the_schema(dekr_cfg):
    settings = {**dekr_cfg["train_settings"], "sync_batchnorm": True, "from_scratch_recipe": False}
    validate_pytorch_config({**dekr_cfg, "train_settings": settings}, "test")
    with pytest.raises(ConfigValueError, match="sync_batchnorm"):
        validate_pytorch_config({**dekr_cfg, "train_settings": {**settings, "sync_batchnorm": "yes"}}, "test")


def test_inference_arguments():
    check_inference_arguments("analyze_videos", batch_size=4, device="cuda:0")
    check_inference_arguments("analyze_videos")  # defaults
    with pytest.raises(ConfigValueError, match=r"analyze_videos\(\): batch_size = -1 is not allowed; expected an integer >= 1"):
        check_inference_arguments("analyze_videos", batch_size=-1)
    with pytest.raises(ConfigValueError, match=r"evaluate_network\(\): device = 'gpu0'"):
        check_inference_arguments("evaluate_network", device="gpu0")


def test_model_types_are_checked_through_the_registries(dekr_cfg):
    for path, bad in [
        (("model", "backbone"), "HRNett"),
        (("model", "heads", "bodypart"), "DEKRHed"),
        (("model", "heads", "bodypart", "codec"), "DEKRCodek"),
        (("model", "heads", "bodypart", "criterion", "heatmap"), "MSE"),
    ]:
        cfg = copy.deepcopy(dekr_cfg)
        node = cfg
        for part in path:
            node = node[part]
        node["type"] = bad
        with pytest.raises(ConfigValueError, match=f"{'.'.join(path)}.type = '{bad}'.*known .* types: .*") as error:
            check_model_types(cfg, "'pytorch_config.yaml'")
        assert "HRNet" in str(error.value) or "DEKR" in str(error.value) or "Weighted" in str(error.value)


def test_open_sections_take_new_keys_and_known_paths_have_specs(dekr_cfg):
    cfg = copy.deepcopy(dekr_cfg)
    cfg["runner"]["optimizer"]["params"]["weight_decay"] = 0.01
    cfg["model"]["backbone"]["anything"] = 1  # checked by the backbone's builder
    validate_pytorch_config(cfg, "test")
    assert spec_at("train_settings.epochs").describe() == "an integer >= 0"
    assert spec_at("runner.optimizer.params.lr") is None


# --- fuzz --------------------------------------------------------------------------------------

SEED = 20261130
CASES = 150
TIME_BUDGET_S = 8.0
RANDOM_VALUES = [
    -1, 0, 1, 7, 2**40, -0.5, 0.5, 3.7, float("nan"), float("inf"), True, False, None, "", "ten", "auto", "cuda:1",
    [], [1], [0.5, 1.25], ["a", "b"], {}, {"p": 0.5}, {"type": "HRNet"}, {"unknown": 1},
]


def leaf_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from leaf_paths(value, (*prefix, key))


def test_fuzz_random_values_at_random_key_paths_get_only_our_errors(tmp_path, dekr_cfg, project_cfg):
    """Random YAML values at random key paths of real generated configs: the reader either accepts
    the file (and what it accepts writes and reads back the same) or raises one of our errors."""
    rng = np.random.default_rng(SEED)
    bases = [dekr_cfg, make_pytorch_config(project_cfg, "top_down_hrnet_w18", "pytorch_config.yaml")]
    start = time.perf_counter()
    outcomes = {"accepted": 0, "refused": 0}
    for case in range(CASES):
        if time.perf_counter() - start > TIME_BUDGET_S:
            break
        cfg = copy.deepcopy(bases[case % len(bases)])
        paths = list(leaf_paths(cfg))
        path = paths[int(rng.integers(len(paths)))]
        if rng.random() < 0.15:  # a new key next to an existing one
            path = (*path[:-1], f"{path[-1]}x")
        value = copy.deepcopy(RANDOM_VALUES[int(rng.integers(len(RANDOM_VALUES)))])
        node = cfg
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        file = tmp_path / f"case{case}" / "pytorch_config.yaml"
        write_yaml(file, cfg)
        try:
            read = read_pytorch_config(file)
            check_model_types(read, str(file))
            write_pytorch_config(file, read)
            assert read_pytorch_config(file) == read, f"case {case}: {'.'.join(path)} = {value!r} did not read back"
            outcomes["accepted"] += 1
        except DLCError:
            outcomes["refused"] += 1
        except Exception:  # noqa: BLE001
            pytest.fail(f"case {case}: {'.'.join(path)} = {value!r} raised a foreign error:\n{traceback.format_exc()}")
    assert outcomes["accepted"] > 10 and outcomes["refused"] > 10, outcomes
    # (the time budget is a guard for slow machines; on ours every case runs)
