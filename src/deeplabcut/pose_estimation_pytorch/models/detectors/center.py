"""``CenterDetector``: a small anchor-free animal detector (CenterNet-like) on a light HRNet.

The backbone is an HRNet of ``width`` (16 by default) with a reduced layout
(:data:`DETECTOR_LAYOUT`: a 32-channel stem, one Bottleneck in layer1, one
module per stage with two blocks per branch) whose four branches are resized
to stride 4 and concatenated (``15 * width`` channels), so the stride-4 map
sees context at stride 32. A 1x1 conv + BN + ReLU reduces them to
``head_channels``, and three small branches (3x3 conv + ReLU + 1x1 conv) read
the result:

* ``heatmap`` ``(B, 1, h, w)``: logits of "an animal's box centre is in this cell";
* ``size`` ``(B, 2, h, w)``: ``log(box width / 4)``, ``log(box height / 4)``;
* ``offset`` ``(B, 2, h, w)``: the centre's sub-cell position (cells).

Targets and decoding are :class:`~deeplabcut.pose_estimation_pytorch.models.codecs.boxes.CenterBoxCodec`'s;
the default losses are a focal loss on the centre heatmap and L1 on sizes and
offsets. Boxes are learned from the labeled keypoints: each animal's box is
its keypoints' extent plus ``bbox_margin`` pixels, clipped to the image
(:func:`deeplabcut.geometry.keypoint_boxes`), unless the batch gives boxes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import keypoint_boxes
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNET_LAYOUT, HRNet
from deeplabcut.pose_estimation_pytorch.models.codecs.boxes import CenterBoxCodec
from deeplabcut.pose_estimation_pytorch.models.heads.base import build_criteria, weighted_losses
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS, DETECTORS

#: HRNet layout of the detector's backbone: a thinner stem and layer1 than timm's (which cost
#: most of the multiply-adds at stride 2 and 4), one module per stage, two blocks per branch.
DETECTOR_LAYOUT = {
    "stem_width": 32,
    "stem_channels": 32,
    "layer1_channels": 32,
    "layer1_blocks": 1,
    "stage_modules": (1, 1, 1),
    "stage_blocks": 2,
}
#: Losses of the outputs unless the config gives a ``criterion``.
DEFAULT_CRITERION = {
    "heatmap": {"type": "WeightedFocalLoss", "weight": 1.0},
    "size": {"type": "WeightedL1Loss", "weight": 1.0},
    "offset": {"type": "WeightedL1Loss", "weight": 1.0},
}
#: Initial centre probability (CenterNet's prior, bias -2.19).
CENTRE_PRIOR = 0.1


def _output_branch(in_channels: int, channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels, out_channels, 1),
    )


@DETECTORS.register("CenterDetector")
class CenterDetector(nn.Module):
    """Anchor-free detector: centre heatmap + box size + centre offset at stride 4.

    Args:
        max_individuals: boxes returned per image (the project's individuals).
        width: HRNet width of the backbone.
        layout: overrides of the backbone's HRNet layout (default :data:`DETECTOR_LAYOUT`,
            applied over :data:`~deeplabcut.pose_estimation_pytorch.models.backbones.hrnet.HRNET_LAYOUT`).
        pretrained: backbone weights, as for :class:`HRNet`. timm's ImageNet weights
            (``true``, widths 18, 32...) need timm's stem and layer1: give
            ``layout: {stem_width: 64, stem_channels: 64, layer1_channels: 64}``.
        head_channels: channels shared by the output branches.
        bbox_margin: pixels added around the keypoints to make training boxes.
        codec: ``CenterBoxCodec`` settings (``max_individuals`` is filled in).
        criterion: ``{heatmap: {type, weight}, size: ..., offset: ...}`` (default
            :data:`DEFAULT_CRITERION`).
        freeze_bn_stats: keep the backbone's batch-norm statistics fixed while training.

    Attributes:
        stride: pixels per output cell (4).
        backbone: the :class:`HRNet` (state-dict keys ``backbone.model.*``, timm's names).
    """

    output_names = ("heatmap", "size", "offset")

    def __init__(
        self,
        max_individuals: int,
        width: int = 16,
        layout: Mapping[str, Any] | None = None,
        pretrained: bool | str | Path | None = False,
        head_channels: int = 64,
        bbox_margin: float = 20.0,
        codec: Mapping[str, Any] | None = None,
        criterion: Mapping[str, Any] | None = None,
        freeze_bn_stats: bool = False,
    ) -> None:
        super().__init__()
        backbone_layout = {**DETECTOR_LAYOUT, **dict(layout or {})}
        unknown = sorted(set(backbone_layout) - set(HRNET_LAYOUT))
        if unknown:
            raise ConfigError(f"CenterDetector layout key(s) {unknown} unknown; layout keys are {sorted(HRNET_LAYOUT)}")
        self.backbone = HRNet(
            width=width,
            pretrained=pretrained,
            interpolate_branches=True,
            freeze_bn_stats=freeze_bn_stats,
            **backbone_layout,
        )
        self.stride = float(self.backbone.stride)
        self.bbox_margin = float(bbox_margin)
        self.reduce = nn.Sequential(
            nn.Conv2d(self.backbone.out_channels, head_channels, 1, bias=False),
            nn.BatchNorm2d(head_channels),
            nn.ReLU(inplace=True),
        )
        self.heatmap = _output_branch(head_channels, head_channels, 1)
        self.size = _output_branch(head_channels, head_channels, 2)
        self.offset = _output_branch(head_channels, head_channels, 2)
        nn.init.constant_(self.heatmap[-1].bias, -math.log((1 - CENTRE_PRIOR) / CENTRE_PRIOR))
        for branch in (self.size, self.offset):
            nn.init.normal_(branch[-1].weight, std=0.001)
            nn.init.zeros_(branch[-1].bias)

        codec_config = {"type": "CenterBoxCodec", **dict(codec or {}), "max_individuals": max_individuals}
        self.codec: CenterBoxCodec = CODECS.build(codec_config)
        self.codec.stride = self.stride
        losses, self.loss_weights = build_criteria(criterion or DEFAULT_CRITERION, self.output_names, "detector")
        self.criteria = nn.ModuleDict(losses)
        self.max_individuals = int(max_individuals)

    @classmethod
    def build(cls, config: Mapping[str, Any]) -> CenterDetector:
        """A detector from the ``detector.model`` section (``type: CenterDetector``).

        Raises:
            ConfigError: the section names another type or has a wrong key.
        """
        if config.get("type", "CenterDetector") != "CenterDetector":
            raise ConfigError(f"CenterDetector.build got a '{config.get('type')}' section; use build_detector")
        return DETECTORS.build({"type": "CenterDetector", **dict(config)})

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Images ``(B, 3, H, W)`` (normalized) -> ``heatmap`` ``(B, 1, h, w)`` logits,
        ``size`` and ``offset`` ``(B, 2, h, w)``, with ``h, w = ceil(H/4), ceil(W/4)``."""
        if images.dim() == 3:
            images = images[None]
        features = self.reduce(self.backbone(images))
        return {name: getattr(self, name)(features) for name in self.output_names}

    def boxes_from_batch(self, batch: Mapping[str, Any]) -> torch.Tensor:
        """Training boxes ``(B, A, 4)`` pixels: ``batch["boxes"]``, or the keypoints' boxes.

        Without ``boxes``, each animal's box is the extent of its keypoints
        ``batch["keypoints"]`` ``(B, A, K, 2)`` with ``batch["visibility"] > 0``
        (when given), plus ``bbox_margin``, clipped to the image; NaN for animals
        without keypoints.
        """
        if "boxes" in batch:
            return torch.as_tensor(batch["boxes"]).float()
        if "keypoints" not in batch:
            raise KeyError(f"the detector needs batch key 'boxes' or 'keypoints'; the batch has {sorted(batch)}")
        keypoints = torch.as_tensor(batch["keypoints"]).float()
        visibility = batch.get("visibility")
        visible = None if visibility is None else torch.as_tensor(visibility) > 0
        height, width = (int(s) for s in batch["image"].shape[-2:])
        return keypoint_boxes(keypoints, self.bbox_margin, image_size=(width, height), visible=visible)

    def get_targets(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Codec targets (and ``<output>_weight``) for a collated batch, on the detector's device."""
        image_size = tuple(int(s) for s in batch["image"].shape[-2:])
        device = next(self.parameters()).device
        boxes = self.boxes_from_batch(batch).to(device)
        output_size = self.backbone.feature_size(image_size)
        return self.codec.encode(boxes, image_size, stride=self.stride, output_size=output_size)

    def get_loss(
        self, outputs: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """``{output: loss, ..., "total_loss": mean_i(weight_i * loss_i)}`` (float32 scalars)."""
        return weighted_losses(self.criteria, self.loss_weights, outputs, targets)

    def predict(
        self, outputs: Mapping[str, torch.Tensor], image_size: Sequence[int] | None = None
    ) -> dict[str, torch.Tensor]:
        """Boxes found in each image.

        Args:
            outputs: :meth:`forward`'s outputs.
            image_size: ``(H, W)`` of the input images; boxes are clipped to it when given.

        Returns:
            ``bboxes`` ``(B, max_individuals, 4)`` ``[x1, y1, x2, y2]`` in input-image
            pixels and ``bbox_scores`` ``(B, max_individuals)`` in [0, 1], sorted by
            decreasing score; rows without an animal are -1.
        """
        size = None if image_size is None else (int(image_size[0]), int(image_size[1]))
        boxes, scores = self.codec.decode(dict(outputs), stride=self.stride, image_size=size)
        return {"bboxes": boxes, "bbox_scores": scores}
