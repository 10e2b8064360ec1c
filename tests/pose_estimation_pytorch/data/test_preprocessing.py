"""One parser for the resize/padding/normalisation keys of data.train and data.inference."""

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.data.transforms import build_transforms


def test_deeplabcut_inference_section():
    section = {"auto_padding": {"pad_width_divisor": 32, "pad_height_divisor": 16}, "normalize_images": True}
    assert Preprocessing.from_config(section) == Preprocessing(None, None, (32, 16), True)


def test_missing_keys_mean_no_resize_no_padding_and_normalization():
    assert Preprocessing.from_config(None) == Preprocessing() == Preprocessing(None, None, None, True)
    assert Preprocessing.from_config({"resize": None, "longest_max_size": 0, "auto_padding": False}) == Preprocessing()


def test_values_are_typed():
    parsed = Preprocessing.from_config({"resize": {"height": 60.0, "width": 80, "keep_ratio": False}, "longest_max_size": 640})
    assert parsed.resize == {"height": 60, "width": 80, "keep_ratio": False}
    assert parsed.longest_max_size == 640 and parsed.resizes


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"resize": {"height": 60}}, "data.inference.resize"),
        ({"resize": [60, 80]}, "data.inference.resize"),
        ({"resize": {"height": 60, "width": -8}}, "data.inference.resize.width"),
        ({"resize": {"height": 60, "width": 80, "keep_ratio": "yes"}}, "data.inference.resize.keep_ratio"),
        ({"longest_max_size": 12.5}, "data.inference.longest_max_size"),
        ({"auto_padding": True}, "data.inference.auto_padding"),
        ({"auto_padding": {"pad_width_divisor": 0}}, "data.inference.auto_padding.pad_width_divisor"),
        ({"auto_padding": {"pad_height_divisor": "32"}}, "data.inference.auto_padding.pad_height_divisor"),
        ({"normalize_images": "false"}, "data.inference.normalize_images"),
        ({"normalise_images": True}, "data.inference"),
        ({"elastic_transform": True}, "data.inference"),
    ],
)
def test_errors_name_the_key(section, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        Preprocessing.from_config(section)


def test_training_transforms_read_the_same_keys():
    section = {"resize": {"height": 60, "width": 80}, "auto_padding": {"pad_width_divisor": 64}, "normalize_images": False}
    transform = build_transforms(section)
    parsed = Preprocessing.from_config(section)
    assert (transform.resize, transform.pad_divisors, transform.normalize) == (parsed.resize, parsed.pad_divisors, False)
    out = transform(image=np.zeros((120, 160, 3), np.uint8))
    assert out["image"].shape == (64, 128, 3)  # 60x80 padded to multiples of 32 and 64
    with pytest.raises(ConfigError, match=r"data\.train\.auto_padding\.pad_width_divisor"):
        build_transforms({"auto_padding": {"pad_width_divisor": 0}}, where="data.train")
