"""HRNet (Wang et al., 2019) in plain PyTorch, any width, with timm-compatible parameter names.

The network keeps a stride-4 high-resolution branch through the whole net and
adds branches at strides 8, 16 and 32 (widths ``w, 2w, 4w, 8w``), exchanging
information between them in every module. The layout is data
(:data:`HRNET_LAYOUT`): timm's ``hrnet_w18/w32/w48`` are a stem of two
stride-2 3x3 convolutions to 64 channels, ``layer1`` of 4 Bottlenecks, then
stages 2, 3 and 4 with 1, 4 and 3 modules of 4 BasicBlocks per branch. Any
width builds; smaller layouts (fewer modules or blocks) can be asked for in
the config, e.g. for tests. ``num_stages: 3`` stops after stage 3 (branches
at strides 4, 8 and 16), as TokenPose-B does with HRNet-W32; the kept keys
are a prefix of timm's, so its ImageNet weights still load (the stage-4 ones
are left unused).

State-dict keys of :class:`HRNetFeatures` are those of timm's
``HighResolutionNetFeatures`` (``conv1``, ``bn1``, ``conv2``, ``bn2``,
``layer1.*``, ``transition1.*``, ``stage2.*``... ``stage4.*`` and, with
``increased_channel_count``, ``incre_modules.*``), so timm's ImageNet weights
load directly. :class:`HRNet`, the backbone used by pose models, holds it as
``self.model`` exactly as DeepLabCut 3 does, so its keys are
``backbone.model.*`` inside a :class:`~deeplabcut.pose_estimation_pytorch.models.model.PoseModel`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET
from deeplabcut.pose_estimation_pytorch.models.backbones.base import BaseBackbone
from deeplabcut.pose_estimation_pytorch.models.modules.blocks import (
    BN_MOMENTUM,
    BasicBlock,
    Bottleneck,
    make_residual_layer,
)
from deeplabcut.pose_estimation_pytorch.models.modules.checkpoint import checkpointed
from deeplabcut.pose_estimation_pytorch.models.registry import BACKBONES
from deeplabcut.pose_estimation_pytorch.models.weights import (
    LoadReport,
    find_imagenet_weights,
    load_pretrained_weights,
)

#: Stage layout of timm's hrnet_w18/w30/w32/w40/w44/w48/w64 (the width is separate).
HRNET_LAYOUT = {
    "stem_width": 64,  # channels of the first stride-2 convolution
    "stem_channels": 64,  # channels of the second stride-2 convolution (input of layer1)
    "layer1_channels": 64,  # Bottleneck width of layer1 (outputs 4x that)
    "layer1_blocks": 4,
    "stage_modules": (1, 4, 3),  # modules in stages 2, 3, 4
    "stage_blocks": 4,  # BasicBlocks per branch in every module
}
#: Widths for which timm publishes ImageNet weights (``timm/hrnet_w{width}.ms_in1k``).
TIMM_IMAGENET_WIDTHS = (18, 30, 32, 40, 44, 48, 64)
#: Channels of timm's "incre" features (Bottleneck widths; outputs are 4x).
INCRE_CHANNELS = (32, 64, 128, 256)
BRANCH_STRIDES = (4, 8, 16, 32)


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _match_size(x: torch.Tensor, size: torch.Size | tuple[int, int]) -> torch.Tensor:
    """Crop ``x`` to ``size`` if it is larger (after a nearest x2^n upsampling of odd sizes).

    Always sliced (a no-op at equal sizes) rather than branching on the shape, so a
    traced or exported model follows the input size instead of the size it was traced at.
    """
    return x[..., : size[0], : size[1]]


class HighResolutionModule(nn.Module):
    """Parallel branches of BasicBlocks followed by a fusion across resolutions.

    Keys: ``branches.{i}.{block}.*`` and ``fuse_layers.{i}.{j}.*`` as in timm.
    Fusion into branch ``i`` sums every branch ``j``: upsampled by a 1x1 conv +
    BN + nearest x2^(j-i) for ``j > i``, downsampled by ``i - j`` stride-2 3x3
    convs for ``j < i``.
    """

    def __init__(self, in_channels: Sequence[int], channels: Sequence[int], num_blocks: int) -> None:
        super().__init__()
        self.num_branches = len(channels)
        self.branches = nn.ModuleList(
            make_residual_layer(BasicBlock, in_channels[i], channels[i], num_blocks)
            for i in range(self.num_branches)
        )
        self.fuse_layers = nn.ModuleList()
        if self.num_branches == 1:
            return
        for i in range(self.num_branches):
            fuse_into_i = nn.ModuleList()
            for j in range(self.num_branches):
                if j > i:
                    fuse_into_i.append(
                        nn.Sequential(
                            nn.Conv2d(channels[j], channels[i], 1, bias=False),
                            nn.BatchNorm2d(channels[i], momentum=BN_MOMENTUM),
                        )
                    )
                elif j == i:
                    fuse_into_i.append(nn.Identity())
                else:
                    steps = [_conv_bn_relu(channels[j], channels[j], 2) for _ in range(i - j - 1)]
                    steps.append(_conv_bn_relu(channels[j], channels[i], 2, relu=False))
                    fuse_into_i.append(nn.Sequential(*steps))
            self.fuse_layers.append(fuse_into_i)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        features = [branch(x) for branch, x in zip(self.branches, features)]
        if self.num_branches == 1:
            return features
        fused = []
        for i, fuse_into_i in enumerate(self.fuse_layers):
            total = features[i]
            for j, layer in enumerate(fuse_into_i):
                if j == i:
                    continue
                y = layer(features[j])
                if j > i:
                    y = F.interpolate(y, scale_factor=2 ** (j - i), mode="nearest")
                    y = _match_size(y, features[i].shape[-2:])
                total = total + y
            fused.append(torch.relu(total))
        return fused


class HRNetFeatures(nn.Module):
    """HRNet feature extractor returning its branches (four with all stages) (timm ``features_only`` layout).

    Args:
        width: channels of the stride-4 branch; branches have ``w, 2w, 4w, 8w``.
        increased_channel_count: pass each branch through timm's "incre"
            Bottleneck (128, 256, 512, 1024 channels), like timm's
            ``feature_location="incre"``.
        stem_width, stem_channels, layer1_channels, layer1_blocks, stage_modules,
        stage_blocks: the stage layout, defaults in :data:`HRNET_LAYOUT`.
        num_stages: the last stage built, 2, 3 or 4 (timm: 4); it has ``num_stages``
            branches, and ``stage_modules`` entries past it are unused.

    Attributes:
        feature_channels: channels of the ``num_stages`` outputs.
        feature_strides: ``(4, 8, 16, 32)``, the first ``num_stages`` of them.
    """

    def __init__(
        self,
        width: int,
        increased_channel_count: bool = False,
        stem_width: int = HRNET_LAYOUT["stem_width"],
        stem_channels: int = HRNET_LAYOUT["stem_channels"],
        layer1_channels: int = HRNET_LAYOUT["layer1_channels"],
        layer1_blocks: int = HRNET_LAYOUT["layer1_blocks"],
        stage_modules: Sequence[int] = HRNET_LAYOUT["stage_modules"],
        stage_blocks: int = HRNET_LAYOUT["stage_blocks"],
        num_stages: int = 4,
    ) -> None:
        super().__init__()
        if len(stage_modules) != 3 or min(stage_modules) < 1:
            raise ConfigError(
                f"HRNet stage_modules must list 3 positive module counts (stages 2, 3, 4), got {stage_modules}"
            )
        if num_stages not in (2, 3, 4):
            raise ConfigError(f"HRNet num_stages must be 2, 3 or 4, got {num_stages}")
        if increased_channel_count and num_stages != 4:
            raise ConfigError("HRNet increased_channel_count needs all 4 stages (num_stages: 4)")
        self.num_stages = int(num_stages)
        self.conv1 = nn.Conv2d(3, stem_width, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(stem_width, stem_channels, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(stem_channels, momentum=BN_MOMENTUM)
        self.layer1 = make_residual_layer(Bottleneck, stem_channels, layer1_channels, layer1_blocks)

        branch_channels = [width * 2**i for i in range(4)]
        previous = [layer1_channels * Bottleneck.expansion]
        for stage, num_modules in zip(range(2, self.num_stages + 1), stage_modules):
            current = branch_channels[:stage]
            self.add_module(f"transition{stage - 1}", self._transition(previous, current))
            self.add_module(
                f"stage{stage}",
                nn.ModuleList(HighResolutionModule(current, current, stage_blocks) for _ in range(num_modules)),
            )
            previous = current

        self.incre_modules: nn.ModuleList | None = None
        self.feature_channels = tuple(branch_channels[: self.num_stages])
        if increased_channel_count:
            self.incre_modules = nn.ModuleList(
                make_residual_layer(Bottleneck, branch_channels[i], INCRE_CHANNELS[i], 1) for i in range(4)
            )
            self.feature_channels = tuple(c * Bottleneck.expansion for c in INCRE_CHANNELS)
        self.feature_strides = BRANCH_STRIDES[: self.num_stages]
        #: While training, recompute the stem, ``layer1`` and each stage module in backward
        #: instead of keeping their activations (:mod:`..modules.checkpoint`).
        self.gradient_checkpointing = False
        self._init_weights()

    @staticmethod
    def _transition(previous: Sequence[int], current: Sequence[int]) -> nn.ModuleList:
        """Adapt existing branches' channels (3x3 conv) and create new ones (stride-2 convs)."""
        layers = nn.ModuleList()
        for i, channels in enumerate(current):
            if i < len(previous):
                if previous[i] != channels:
                    layers.append(_conv_bn_relu(previous[i], channels, 1))
                else:
                    layers.append(nn.Identity())
            else:
                steps = []
                for step in range(i + 1 - len(previous)):
                    last = step == i - len(previous)
                    steps.append(_conv_bn_relu(previous[-1], channels if last else previous[-1], 2))
                layers.append(nn.Sequential(*steps))
        return layers

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` -> ``num_stages`` feature maps at strides 4, 8, (16, (32))."""
        x = self._run(self, images, function=self._stem)
        features = [self._run(self.layer1, x)]
        for stage in range(2, self.num_stages + 1):
            transition: nn.ModuleList = getattr(self, f"transition{stage - 1}")
            # New branches grow from the lowest-resolution existing branch.
            features = [
                layer(features[i] if i < len(features) else features[-1]) for i, layer in enumerate(transition)
            ]
            for module in getattr(self, f"stage{stage}"):
                features = self._run(module, features)
        if self.incre_modules is not None:
            features = [incre(x) for incre, x in zip(self.incre_modules, features)]
        return features

    def _run(self, module: nn.Module, inputs: Any, function: Callable[[Any], Any] | None = None) -> Any:
        """``module(inputs)`` (or ``function(inputs)``, made of ``module``'s layers), recomputed in
        backward while training with :attr:`gradient_checkpointing`."""
        if self.gradient_checkpointing and self.training:
            return checkpointed(module, inputs, function=function)
        return (module if function is None else function)(inputs)

    def _stem(self, images: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(images)))
        return torch.relu(self.bn2(self.conv2(x)))


def width_from_model_name(model_name: str) -> int:
    """``"hrnet_w32"`` -> 32.

    Raises:
        ConfigError: the name is not ``hrnet_w<width>``.
    """
    match = re.fullmatch(r"hrnet_w(\d+)", model_name)
    if match is None:
        raise ConfigError(
            f"HRNet model_name must look like 'hrnet_w32' (any width), got '{model_name}'"
        )
    return int(match.group(1))


@BACKBONES.register("HRNet")
class HRNet(BaseBackbone):
    """HRNet backbone for pose models: stride 4 features.

    ``forward`` returns, with ``interpolate_branches`` (DEKR), the four branches
    bilinearly resized to the stride-4 branch and concatenated (``15w`` channels);
    otherwise the stride-4 branch alone (``w`` channels), as DeepLabCut does.
    :meth:`forward_branches` always returns all branches (four unless ``num_stages`` < 4).

    Args:
        model_name: ``hrnet_w<width>`` (``hrnet_w32``...), DeepLabCut's way to give the width.
        width: HRNet width (channels of the stride-4 branch); any positive integer.
            Default: from ``model_name``, else 32.
        pretrained: ``False``/``None``; ``True`` for timm's ImageNet weights of this
            width when they can be had (Hugging Face cache or hub), else random
            weights with the reason in :attr:`pretrained_report`; a hub id
            (``timm/hrnet_w32.ms_in1k``) or a local ``.pth``/``.pt``/``.bin``/``.safetensors``
            file, which must load.
        interpolate_branches: see above.
        increased_channel_count: use timm's "incre" features (128/256/512/1024 channels).
        num_stages: stop after stage 2, 3 or 4 (default 4; TokenPose-B uses 3). With
            fewer stages there are fewer branches (``num_stages`` of them).
        freeze_bn_stats, freeze_bn_weights: see :class:`BaseBackbone`.
        stride: kept for DeepLabCut configs; must be 4.
        **layout: overrides of :data:`HRNET_LAYOUT` (``stage_modules``, ``stage_blocks``...).

    Attributes:
        model: the :class:`HRNetFeatures` network (keys ``model.conv1.weight``...).
        pretrained_report: what loading pretrained weights did (``None`` with
            ``pretrained: false``; ``from_scratch`` says why ``pretrained: true`` found none).
        normalization: :data:`~deeplabcut.pose_estimation_pytorch.data.normalization.IMAGENET`
            (timm's ``ms_in1k`` weights), also when trained from scratch so that
            DeepLabCut projects keep their preprocessing.
    """

    normalization = IMAGENET

    def __init__(
        self,
        model_name: str | None = None,
        width: int | None = None,
        pretrained: bool | str | Path | None = False,
        interpolate_branches: bool = False,
        increased_channel_count: bool = False,
        num_stages: int = 4,
        freeze_bn_stats: bool = False,
        freeze_bn_weights: bool = False,
        stride: int = 4,
        **layout: int | Sequence[int],
    ) -> None:
        super().__init__(freeze_bn_stats=freeze_bn_stats, freeze_bn_weights=freeze_bn_weights)
        if stride != 4:
            raise ConfigError(f"HRNet backbone stride is always 4, the config asks for {stride}")
        unknown = sorted(set(layout) - set(HRNET_LAYOUT))
        if unknown:
            raise ConfigError(
                f"unknown HRNet backbone key(s) {unknown}; layout keys are {sorted(HRNET_LAYOUT)}"
            )
        name_width = None if model_name is None else width_from_model_name(model_name)
        if width is None:
            width = 32 if name_width is None else name_width
        elif name_width is not None and width != name_width:
            raise ConfigError(
                f"HRNet backbone: width {width} contradicts model_name '{model_name}'; remove one of them"
            )
        if width < 1:
            raise ConfigError(f"HRNet width must be positive, got {width}")
        self.width = int(width)
        self.interpolate_branches = interpolate_branches
        self.model = HRNetFeatures(
            self.width, increased_channel_count=increased_channel_count, num_stages=num_stages, **layout
        )
        self.stride = 4
        self.feature_channels = self.model.feature_channels
        self.feature_strides = self.model.feature_strides
        self.out_channels = (
            sum(self.feature_channels) if interpolate_branches else self.feature_channels[0]
        )
        self.pretrained_report: LoadReport | None = None
        if pretrained is True:
            self.pretrained_report = self._load_imagenet_weights()
        elif pretrained:
            self.pretrained_report = load_pretrained_weights(self.model, pretrained)
        self.apply_bn_freezing()

    def _load_imagenet_weights(self) -> LoadReport:
        """Load timm's ImageNet weights of this width when they can be had; else say why not."""
        if self.width not in TIMM_IMAGENET_WIDTHS:
            return LoadReport.scratch(
                f"there are no ImageNet weights for HRNet width {self.width} (timm has widths "
                f"{', '.join(map(str, TIMM_IMAGENET_WIDTHS))})"
            )
        path, why_not = find_imagenet_weights(self.default_pretrained_id())
        if path is None:
            return LoadReport.scratch(why_not)
        return load_pretrained_weights(self.model, path)

    def default_pretrained_id(self) -> str:
        """The Hugging Face hub id of timm's ImageNet weights for this width.

        Raises:
            ConfigError: timm has no ImageNet weights for this width.
        """
        if self.width not in TIMM_IMAGENET_WIDTHS:
            raise ConfigError(
                f"there are no ImageNet weights for HRNet width {self.width} (timm has widths "
                f"{TIMM_IMAGENET_WIDTHS}); set the backbone's 'pretrained' to false, or to a weights file"
            )
        return f"timm/hrnet_w{self.width}.ms_in1k"

    def forward_branches(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` -> the branches (four unless ``num_stages`` < 4), strides :attr:`feature_strides`."""
        return self.model(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, H, W)`` -> features ``(B, out_channels, ceil(H/4), ceil(W/4))``."""
        branches = self.model(images)
        if not self.interpolate_branches:
            return branches[0]
        size = branches[0].shape[-2:]
        resized = [branches[0]] + [
            F.interpolate(branch, size=size, mode="bilinear", align_corners=False) for branch in branches[1:]
        ]
        return torch.cat(resized, dim=1)


def hrnet_width_from_net_type(net_type: str) -> int:
    """HRNet width of a DEKR net type: ``dekr_32`` -> 32; DeepLabCut's ``dekr_w32`` too.

    Raises:
        ConfigError: the name is not ``dekr_<width>`` or ``dekr_w<width>``.
    """
    match = re.fullmatch(r"dekr_w?(\d+)", net_type)
    if match is None:
        raise ConfigError(f"'{net_type}' is not a DEKR net type (dekr_16, dekr_32, dekr_48, dekr_w18...)")
    return int(match.group(1))
