"""DEKR head (Geng et al., CVPR 2021): keypoint+center heatmaps and per-keypoint offsets.

Two branches read the same stride-4 features:

* heatmap: 1x1 conv + BN + ReLU to ``width`` channels, ``num_blocks``
  BasicBlocks, a final conv to ``K + 1`` channels (the center last);
* offset: 1x1 conv + BN + ReLU to ``15 K`` channels, seen as K groups of 15;
  each group goes through ``num_blocks`` adaptive-convolution blocks and a
  final conv to 2 channels; outputs are ``2K`` channels ``(x_k, y_k)``.

The K per-keypoint offset regressors are run as one grouped computation
(:class:`~deeplabcut.pose_estimation_pytorch.models.modules.AdaptiveConvBlock`
with ``groups=K`` and a grouped final conv) rather than a Python loop.

State-dict keys are those of DeepLabCut 3's ``DEKRHead``
(``heatmap_head.transition_heatmap.*``, ``heatmap_head.head_heatmap.*``,
``offset_head.transition_offset.*``, ``offset_head.offset_feature_layers.{k}.{block}.*``,
``offset_head.offset_final_layer.{k}.*``): the grouped offset parameters are
split per keypoint when saving and concatenated back when loading (state-dict
hooks), so snapshots go both ways between DeepLabCut 3 and this code.
``named_parameters()`` shows the grouped names.

Weight init ``dekr``: convolution weights Normal(0, 0.001), biases 0, BN
weight 1 and bias 0 (as the DEKR authors' code), and the adaptive blocks start
as plain 3x3 convolutions (identity transform, zero translation).
``normal``: the same without the adaptive-block reset. ``null``: PyTorch defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.codecs.dekr import DEKRCodec
from deeplabcut.pose_estimation_pytorch.models.heads.base import BaseHead, deeplabcut_codec
from deeplabcut.pose_estimation_pytorch.models.modules.adaptive_conv import (
    AdaptiveConvBlock,
    DeformableConv3x3,
    kernel_taps,
)
from deeplabcut.pose_estimation_pytorch.models.modules.blocks import (
    BN_MOMENTUM,
    BasicBlock,
    make_residual_layer,
)
from deeplabcut.pose_estimation_pytorch.models.registry import HEADS

WEIGHT_INITS = ("dekr", "normal", None)


def _transition(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM),
        nn.ReLU(inplace=True),
    )


def _final_conv(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1) -> nn.Conv2d:
    if kernel_size not in (1, 3):
        raise ConfigError(f"DEKR final_conv_kernel must be 1 or 3, got {kernel_size}")
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, groups=groups)


class DEKRHeatmapBranch(nn.Module):
    """``(B, C, h, w) -> (B, K+1, h, w)`` keypoint and center heatmaps."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        num_heatmaps: int,
        num_blocks: int = 1,
        dilation_rate: int = 1,
        final_conv_kernel: int = 1,
    ) -> None:
        super().__init__()
        self.transition_heatmap = _transition(in_channels, channels)
        self.head_heatmap = nn.ModuleList(
            [
                make_residual_layer(BasicBlock, channels, channels, num_blocks, dilation=dilation_rate),
                _final_conv(channels, num_heatmaps, final_conv_kernel),
            ]
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.transition_heatmap(features)
        return self.head_heatmap[1](self.head_heatmap[0](x))


class DEKROffsetBranch(nn.Module):
    """``(B, C, h, w) -> (B, 2K, h, w)`` offsets, channels ``(x_0, y_0, x_1, y_1...)``."""

    def __init__(
        self,
        in_channels: int,
        num_keypoints: int,
        channels_per_keypoint: int = 15,
        num_blocks: int = 2,
        dilation_rate: int = 1,
        final_conv_kernel: int = 1,
    ) -> None:
        super().__init__()
        self.num_keypoints = num_keypoints
        total = num_keypoints * channels_per_keypoint
        self.transition_offset = _transition(in_channels, total)
        self.offset_feature_layers = nn.Sequential(
            *(
                AdaptiveConvBlock(channels_per_keypoint, groups=num_keypoints, dilation=dilation_rate)
                for _ in range(num_blocks)
            )
        )
        self.offset_final_layer = _final_conv(total, 2 * num_keypoints, final_conv_kernel, groups=num_keypoints)
        # Snapshots use DeepLabCut 3's per-keypoint key names (loadable by either library).
        self.register_state_dict_post_hook(_save_in_dlc_layout)
        self.register_load_state_dict_pre_hook(_load_from_dlc_layout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.transition_offset(features)
        return self.offset_final_layer(self.offset_feature_layers(x))


def _regular_grid() -> torch.Tensor:
    """DeepLabCut's ``regular_matrix`` buffer: rows ``dy`` and ``dx`` of the 9 taps."""
    return torch.stack(kernel_taps())


def _save_in_dlc_layout(module: DEKROffsetBranch, state_dict: dict, prefix: str, local_metadata: Any) -> None:
    """State-dict post-hook: write the grouped offset layers under DeepLabCut's per-keypoint keys."""
    num_keypoints = module.num_keypoints
    layers = f"{prefix}offset_feature_layers."
    blocks = set()
    for key in [k for k in state_dict if k.startswith(layers)]:
        block, parameter = key[len(layers) :].split(".", 1)
        blocks.add(block)
        value = state_dict.pop(key)
        if parameter.endswith("num_batches_tracked"):
            pieces = [value.detach().clone() for _ in range(num_keypoints)]
        else:
            pieces = [piece.detach().clone() for piece in value.chunk(num_keypoints, dim=0)]
        for keypoint, piece in enumerate(pieces):
            state_dict[f"{layers}{keypoint}.{block}.{parameter}"] = piece
    for block in sorted(blocks):
        for keypoint in range(num_keypoints):
            state_dict[f"{layers}{keypoint}.{block}.regular_matrix"] = _regular_grid()
    for parameter in ("weight", "bias"):
        key = f"{prefix}offset_final_layer.{parameter}"
        if key in state_dict:
            value = state_dict.pop(key)
            for keypoint, piece in enumerate(value.chunk(num_keypoints, dim=0)):
                state_dict[f"{prefix}offset_final_layer.{keypoint}.{parameter}"] = piece.detach().clone()


def _load_from_dlc_layout(module: nn.Module, state_dict: dict, prefix: str, *args: Any) -> None:
    """Load pre-hook: accept DeepLabCut's per-keypoint keys (see :func:`convert_dlc_offset_keys`)."""
    convert_dlc_offset_keys(state_dict, prefix)


def convert_dlc_offset_keys(state_dict: dict[str, torch.Tensor], prefix: str = "") -> None:
    """Rewrite, in place, DeepLabCut 3's per-keypoint offset-branch keys into grouped ones.

    ``{prefix}offset_feature_layers.{k}.{block}.{param}`` for k = 0..K-1 become
    ``{prefix}offset_feature_layers.{block}.{param}`` (concatenated along the
    output channels; ``regular_matrix`` buffers are dropped, BN
    ``num_batches_tracked`` take the largest), and
    ``{prefix}offset_final_layer.{k}.{weight,bias}`` become
    ``{prefix}offset_final_layer.{weight,bias}``.
    """
    per_keypoint = re.compile(re.escape(prefix) + r"offset_feature_layers\.(\d+)\.(\d+)\.(.+)$")
    final = re.compile(re.escape(prefix) + r"offset_final_layer\.(\d+)\.(weight|bias)$")
    groups: dict[str, dict[int, torch.Tensor]] = {}
    for key in list(state_dict):
        match = per_keypoint.match(key)
        if match:
            keypoint, block, parameter = int(match.group(1)), match.group(2), match.group(3)
            value = state_dict.pop(key)
            if parameter != "regular_matrix":
                groups.setdefault(f"{prefix}offset_feature_layers.{block}.{parameter}", {})[keypoint] = value
            continue
        match = final.match(key)
        if match:
            keypoint, parameter = int(match.group(1)), match.group(2)
            groups.setdefault(f"{prefix}offset_final_layer.{parameter}", {})[keypoint] = state_dict.pop(key)
    for new_key, by_keypoint in groups.items():
        values = [by_keypoint[k] for k in sorted(by_keypoint)]
        if new_key.endswith("num_batches_tracked"):
            state_dict[new_key] = torch.stack(values).max()
        else:
            state_dict[new_key] = torch.cat(values, dim=0)


def init_dekr_weights(module: nn.Module, reset_adaptive_blocks: bool = True) -> None:
    """Normal(0, 0.001) conv weights, zero biases, unit BN; adaptive blocks as plain 3x3 convs."""
    for child in module.modules():
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d, DeformableConv3x3)):
            nn.init.normal_(child.weight, std=0.001)
            if getattr(child, "bias", None) is not None:
                nn.init.zeros_(child.bias)
        elif isinstance(child, nn.BatchNorm2d):
            nn.init.ones_(child.weight)
            nn.init.zeros_(child.bias)
    if reset_adaptive_blocks:
        for child in module.modules():
            if isinstance(child, AdaptiveConvBlock):
                child.reset_to_regular_grid()


def _channels(config: Mapping[str, Any], section: str) -> list[int]:
    channels = config.get("channels")
    if not isinstance(channels, Sequence) or len(channels) != 3:
        raise ConfigError(
            f"DEKRHead {section}.channels must be [input, hidden, output] channels, got {channels!r}"
        )
    return [int(c) for c in channels]


@HEADS.register("DEKRHead")
class DEKRHead(BaseHead):
    """DEKR head with its codec (:class:`DEKRCodec`) and criteria (``heatmap``, ``offset``).

    Args:
        in_channels: feature channels (from the backbone's ``out_channels``).
        input_stride: feature stride (from the backbone's ``stride``).
        heatmap_config: ``{channels: [in, width, K+1], num_blocks, dilation_rate,
            final_conv_kernel}`` (``channels[0]`` must equal ``in_channels``).
        offset_config: ``{channels: [in, 15K, K], num_offset_per_kpt: 15,
            num_blocks, dilation_rate, final_conv_kernel}``.
        codec: the ``DEKRCodec`` section (DeepLabCut's ``target_generator`` +
            ``predictor`` sections are accepted instead).
        criterion: ``{heatmap: {type, weight}, offset: {type, weight}}``.
        weight_init: ``dekr``, ``normal`` or ``null`` (see module docstring).
        stride: DeepLabCut's head stride; must be 1 (DEKR does not upsample).
        label_keypoint_key, name: see :class:`BaseHead`.
    """

    output_names = ("heatmap", "offset")

    def __init__(
        self,
        in_channels: int,
        input_stride: float,
        heatmap_config: Mapping[str, Any],
        offset_config: Mapping[str, Any],
        criterion: Mapping[str, Any],
        codec: Mapping[str, Any] | DEKRCodec | None = None,
        weight_init: str | None = "dekr",
        stride: int = 1,
        label_keypoint_key: str = "keypoints",
        name: str = "bodypart",
        target_generator: Mapping[str, Any] | None = None,
        predictor: Mapping[str, Any] | None = None,
    ) -> None:
        if codec is None:
            if target_generator is None or predictor is None:
                raise ConfigError(f"DEKRHead '{name}' needs a 'codec' section")
            codec = deeplabcut_codec(target_generator, predictor, f"DEKRHead '{name}'")
        super().__init__(self.build_codec(codec), criterion, input_stride, label_keypoint_key, name=name)
        if stride != 1:
            raise ConfigError(f"DEKRHead '{name}': stride must be 1 (no upsampling), got {stride}")
        if weight_init not in WEIGHT_INITS:
            raise ConfigError(f"DEKRHead '{name}': weight_init must be one of {WEIGHT_INITS}, got {weight_init!r}")
        heatmap_channels = _channels(heatmap_config, "heatmap_config")
        offset_channels = _channels(offset_config, "offset_config")
        num_keypoints = heatmap_channels[2] - 1
        per_keypoint = int(offset_config.get("num_offset_per_kpt", 15))
        for section, given in (("heatmap_config", heatmap_channels[0]), ("offset_config", offset_channels[0])):
            if given != in_channels:
                raise ConfigError(
                    f"DEKRHead '{name}': {section}.channels[0] is {given} but the backbone outputs "
                    f"{in_channels} channels (backbone_output_channels); fix the config"
                )
        if offset_channels[2] != num_keypoints or offset_channels[1] != per_keypoint * num_keypoints:
            raise ConfigError(
                f"DEKRHead '{name}': offset_config.channels must be [{in_channels}, "
                f"{per_keypoint * num_keypoints}, {num_keypoints}] for {num_keypoints} bodyparts, "
                f"got {offset_channels}"
            )
        if self.codec.num_bodyparts != num_keypoints:
            raise ConfigError(
                f"DEKRHead '{name}': codec num_bodyparts is {self.codec.num_bodyparts} but "
                f"heatmap_config.channels[2] is {heatmap_channels[2]} (bodyparts + 1 center)"
            )
        self.num_keypoints = num_keypoints
        self.heatmap_head = DEKRHeatmapBranch(
            in_channels,
            heatmap_channels[1],
            heatmap_channels[2],
            num_blocks=int(heatmap_config.get("num_blocks", 1)),
            dilation_rate=int(heatmap_config.get("dilation_rate", 1)),
            final_conv_kernel=int(heatmap_config.get("final_conv_kernel", 1)),
        )
        self.offset_head = DEKROffsetBranch(
            in_channels,
            num_keypoints,
            per_keypoint,
            num_blocks=int(offset_config.get("num_blocks", 2)),
            dilation_rate=int(offset_config.get("dilation_rate", 1)),
            final_conv_kernel=int(offset_config.get("final_conv_kernel", 1)),
        )
        if weight_init is not None:
            init_dekr_weights(self, reset_adaptive_blocks=weight_init == "dekr")
        self._finish_setup()

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"heatmap": self.heatmap_head(features), "offset": self.offset_head(features)}

