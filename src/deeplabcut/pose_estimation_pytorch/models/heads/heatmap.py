"""Deconvolution heatmap head (+ location refinement), used for unique bodyparts.

``heatmap_head`` and ``locref_head`` are each a stack of ``ConvTranspose2d``
layers (ReLU between them, no padding: ``out = (in - 1) * stride + kernel``),
optionally followed by a plain conv. With DeepLabCut's unique-bodypart
config, one 3x3 stride-2 transposed conv turns stride-4 features into a
stride-2 map of ``2h + 1`` cells. State-dict keys match DeepLabCut 3's
``HeatmapHead`` (``heatmap_head.deconv_layers.0.weight``...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec
from deeplabcut.pose_estimation_pytorch.models.heads.base import BaseHead, deeplabcut_codec
from deeplabcut.pose_estimation_pytorch.models.registry import HEADS


class DeconvModule(nn.Module):
    """Transposed convolutions from ``channels[0]`` to ``channels[-1]`` (and an optional final conv).

    Args:
        channels: ``[in, out_1, ..., out_n]`` channels.
        kernel_size: ``[k_1, ..., k_n]``.
        strides: ``[s_1, ..., s_n]`` (upsampling factors).
        final_conv: ``{out_channels, kernel_size}`` of a conv after the stack, or ``None``.
    """

    def __init__(
        self,
        channels: Sequence[int],
        kernel_size: Sequence[int],
        strides: Sequence[int],
        final_conv: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        if not len(channels) == len(kernel_size) + 1 == len(strides) + 1:
            raise ConfigError(
                f"heatmap head: needs one more channel count than kernel sizes and strides, got "
                f"channels={list(channels)}, kernel_size={list(kernel_size)}, strides={list(strides)}"
            )
        self.kernel_size = [int(k) for k in kernel_size]
        self.strides = [int(s) for s in strides]
        layers: list[nn.Module] = []
        for index, (k, s) in enumerate(zip(self.kernel_size, self.strides)):
            if index:
                layers.append(nn.ReLU())
            layers.append(nn.ConvTranspose2d(channels[index], channels[index + 1], kernel_size=k, stride=s))
        self.deconv_layers = nn.Sequential(*layers) if layers else nn.Identity()
        self.final_conv: nn.Module = nn.Identity()
        self.final_kernel = 1
        if final_conv:
            self.final_kernel = int(final_conv["kernel_size"])
            self.final_conv = nn.Conv2d(channels[-1], int(final_conv["out_channels"]), self.final_kernel)
        self.out_channels = int(final_conv["out_channels"]) if final_conv else int(channels[-1])
        self.upsampling = float(math.prod(self.strides))

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """Output ``(h, w)`` for an input of ``size`` cells."""
        height, width = size
        for k, s in zip(self.kernel_size, self.strides):
            height, width = (height - 1) * s + k, (width - 1) * s + k
        return height - self.final_kernel + 1, width - self.final_kernel + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_conv(self.deconv_layers(x))


@HEADS.register("HeatmapHead")
class HeatmapHead(BaseHead):
    """Heatmap (+ locref) head with a :class:`HeatmapCodec`; outputs ``heatmap`` and ``locref``.

    Args:
        in_channels: feature channels (from the backbone).
        input_stride: feature stride (from the backbone).
        heatmap_config: ``{channels: [in, ..., K], kernel_size: [...], strides: [...]}``.
        locref_config: the same with ``2K`` output channels, or ``None`` (no locref).
        codec: the ``HeatmapCodec`` section (DeepLabCut's ``target_generator`` +
            ``predictor`` sections are accepted instead).
        criterion: ``{heatmap: {type, weight}, locref: {type, weight}}``.
        weight_init: ``normal`` (Normal(0, 0.001) weights, zero biases) or ``null``.
        label_keypoint_key: batch key of the keypoints (``keypoints_unique`` for unique bodyparts).
        name: see :class:`BaseHead`.
    """

    def __init__(
        self,
        in_channels: int,
        input_stride: float,
        heatmap_config: Mapping[str, Any],
        criterion: Mapping[str, Any],
        locref_config: Mapping[str, Any] | None = None,
        codec: Mapping[str, Any] | HeatmapCodec | None = None,
        weight_init: str | None = "normal",
        label_keypoint_key: str = "keypoints",
        name: str = "unique_bodypart",
        target_generator: Mapping[str, Any] | None = None,
        predictor: Mapping[str, Any] | None = None,
    ) -> None:
        if codec is None:
            if target_generator is None or predictor is None:
                raise ConfigError(f"HeatmapHead '{name}' needs a 'codec' section")
            codec = deeplabcut_codec(target_generator, predictor, f"HeatmapHead '{name}'")
            label_keypoint_key = target_generator.get("label_keypoint_key", label_keypoint_key)
        super().__init__(self.build_codec(codec), criterion, input_stride, label_keypoint_key, name=name)
        if weight_init not in ("normal", None):
            raise ConfigError(f"HeatmapHead '{name}': weight_init must be normal or null, got {weight_init!r}")
        for section, config in (("heatmap_config", heatmap_config), ("locref_config", locref_config)):
            if config is not None and int(config["channels"][0]) != in_channels:
                raise ConfigError(
                    f"HeatmapHead '{name}': {section}.channels[0] is {config['channels'][0]} but the "
                    f"backbone outputs {in_channels} channels; fix the config"
                )
        self.heatmap_head = DeconvModule(**heatmap_config)
        self.locref_head = DeconvModule(**locref_config) if locref_config is not None else None
        num_heatmaps = self.heatmap_head.out_channels
        if self.codec.num_heatmaps != num_heatmaps:
            raise ConfigError(
                f"HeatmapHead '{name}': codec num_heatmaps is {self.codec.num_heatmaps} but the "
                f"heatmap layers output {num_heatmaps} channels"
            )
        if self.locref_head is not None:
            if self.locref_head.out_channels != 2 * num_heatmaps:
                raise ConfigError(
                    f"HeatmapHead '{name}': locref_config must output {2 * num_heatmaps} channels "
                    f"(2 per heatmap), got {self.locref_head.out_channels}"
                )
            if self.locref_head.strides != self.heatmap_head.strides:
                raise ConfigError(f"HeatmapHead '{name}': heatmap and locref layers need the same strides")
        self.output_names = ("heatmap", "locref") if self.locref_head is not None else ("heatmap",)
        self.codec.generate_locref = self.locref_head is not None
        self.upsampling = self.heatmap_head.upsampling
        if weight_init == "normal":
            for module in self.modules():
                if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                    nn.init.normal_(module.weight, std=0.001)
                    nn.init.zeros_(module.bias)
        self._finish_setup()

    def output_size(self, feature_size: tuple[int, int]) -> tuple[int, int]:
        return self.heatmap_head.output_size(feature_size)

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        outputs = {"heatmap": self.heatmap_head(features)}
        if self.locref_head is not None:
            outputs["locref"] = self.locref_head(features)
        return outputs

