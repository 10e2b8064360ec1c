"""``PoseModel``: backbone -> (optional) neck -> heads, built from ``pytorch_config.yaml``'s ``model:``.

Usage (see docs/architecture.md, "Model contract")::

    model = PoseModel.build(pytorch_config["model"])
    outputs = model(images)               # {head: {output: tensor}}
    targets = model.get_targets(batch)    # {head: {output: target, output_weight: weight}}
    losses = model.get_loss(outputs, targets)
    poses = model.predict(outputs)        # {"bodyparts": (B, A, K, 3), "unique_bodyparts": (B, 1, U, 3)}

Heads never hard-code channels or strides: :meth:`PoseModel.build` passes each
head ``in_channels`` and ``input_stride`` read from the backbone (or the
neck). A neck is any registered module with ``out_channels``, ``stride``
and ``feature_size(image_size)`` attributes, built with the backbone's
``in_channels`` and ``input_stride``.

State-dict keys are ``backbone.model.*`` (timm's HRNet layout) and
``heads.<name>.*``, as in DeepLabCut 3; DeepLabCut's per-keypoint DEKR offset
keys are converted when loaded (see ``heads/dekr.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

# Importing the families registers their builders.
from deeplabcut.pose_estimation_pytorch.models import backbones as _backbones  # noqa: F401
from deeplabcut.pose_estimation_pytorch.models import codecs as _codecs  # noqa: F401
from deeplabcut.pose_estimation_pytorch.models import heads as _heads  # noqa: F401
from deeplabcut.pose_estimation_pytorch.models import necks as _necks  # noqa: F401
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.heads.base import BaseHead
from deeplabcut.pose_estimation_pytorch.models.registry import BACKBONES, HEADS, NECKS

#: Keys of :meth:`PoseModel.predict` for DeepLabCut's head names (other heads keep their name).
PREDICTION_KEYS = {"bodypart": "bodyparts", "unique_bodypart": "unique_bodyparts"}


class PoseModel(nn.Module):
    """A pose model: ``backbone``, optional ``neck``, and named ``heads``.

    Args:
        backbone: feature extractor with ``stride``, ``out_channels``, ``feature_size()``.
        heads: head name -> head (``bodypart``, ``unique_bodypart``...).
        neck: optional module between backbone and heads.
        config: the ``model`` config it was built from (kept for reference).
    """

    def __init__(
        self,
        backbone: nn.Module,
        heads: Mapping[str, BaseHead],
        neck: nn.Module | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.heads = nn.ModuleDict(heads)
        self.config = dict(config or {})

    @classmethod
    def build(cls, model_cfg: Mapping[str, Any]) -> PoseModel:
        """Build a model from the ``model`` section of ``pytorch_config.yaml``.

        Keys: ``backbone`` (with ``type``), optional ``neck``, ``heads`` (name ->
        head section); ``backbone_output_channels``, if present, must agree with
        the backbone. Pretrained backbone weights are loaded as the backbone's
        ``pretrained`` value asks.

        Raises:
            ConfigError: a section is missing, unknown or inconsistent.
            ModelError: pretrained weights cannot be loaded.
        """
        for key in ("backbone", "heads"):
            if not model_cfg.get(key):
                raise ConfigError(f"the model section of pytorch_config.yaml needs a '{key}' entry")
        backbone = BACKBONES.build(model_cfg["backbone"])
        expected = model_cfg.get("backbone_output_channels")
        if expected is not None and int(expected) != backbone.out_channels:
            raise ConfigError(
                f"model.backbone_output_channels is {expected} but the backbone "
                f"({model_cfg['backbone'].get('type')}) outputs {backbone.out_channels} channels"
            )
        neck = None
        source: Any = backbone
        if model_cfg.get("neck"):
            neck = NECKS.build(model_cfg["neck"], in_channels=backbone.out_channels, input_stride=backbone.stride)
            source = neck
        heads = {
            name: HEADS.build(head_cfg, in_channels=source.out_channels, input_stride=source.stride, name=name)
            for name, head_cfg in model_cfg["heads"].items()
        }
        return cls(backbone, heads, neck=neck, config=model_cfg)

    @property
    def feature_source(self) -> nn.Module:
        """The module whose features the heads read (the neck if any, else the backbone)."""
        return self.neck if self.neck is not None else self.backbone

    def head_strides(self) -> dict[str, float]:
        """Pixels per output cell of each head."""
        return {name: head.stride for name, head in self.heads.items()}

    def set_gradient_checkpointing(self, enabled: bool) -> list[str]:
        """Train keeping fewer activations: recompute them during backward (:mod:`.modules.checkpoint`).

        Every submodule with a ``gradient_checkpointing`` attribute takes part
        (HRNet: its stem, ``layer1`` and every stage module; DEKR's deformable
        convolutions: their sampled taps). Same results, less memory, one more
        forward pass of the recomputed parts per step. Only while training;
        inference is unchanged.

        Returns:
            The names of the submodules that recompute.
        """
        names = []
        for name, module in self.named_modules():
            if module is not self and hasattr(module, "gradient_checkpointing"):
                module.gradient_checkpointing = bool(enabled)
                names.append(name)
        return names

    def store_autocast_weights(self, dtype: torch.dtype) -> int:
        """For inference under autocast to ``dtype``: store the backbone's and neck's conv and linear weights in ``dtype``.

        Autocast runs these layers in ``dtype`` and casts their float32 weights at
        every call; stored in ``dtype`` they give the same outputs, take half the
        memory, and are not cast again. Batch norm and the heads (which run in
        float32) keep float32 weights. The model then only runs under autocast to
        ``dtype``: an inference-only step, never for a model that trains.

        Returns:
            How many layers now hold ``dtype`` weights.
        """
        layers = [
            module
            for part in (self.backbone, self.neck)
            if part is not None
            for module in part.modules()
            if isinstance(module, (nn.Conv2d, nn.Linear))
        ]
        for layer in layers:
            layer.to(dtype)
        return len(layers)

    def forward(self, images: torch.Tensor) -> dict[str, dict[str, torch.Tensor]]:
        """Images ``(B, 3, H, W)`` (normalized) -> ``{head: {output: (B, C, h, w)}}``.

        Under ``torch.autocast`` (``runner.mixed_precision``) the backbone and neck run in
        the autocast dtype and the heads in float32: their outputs are regressions
        (offsets of tens of pixels, heatmap peaks) that bf16's 8-bit mantissa would
        round by up to a quarter of a pixel, and they are a small part of the compute.
        """
        if images.dim() == 3:
            images = images[None]
        features = self.backbone(images)
        if self.neck is not None:
            features = self.neck(features)
        if torch.is_autocast_enabled(features.device.type):
            with torch.autocast(features.device.type, enabled=False):
                features = features.float()
                return {name: head(features) for name, head in self.heads.items()}
        return {name: head(features) for name, head in self.heads.items()}

    def get_targets(self, batch: Mapping[str, Any]) -> dict[str, dict[str, torch.Tensor]]:
        """Each head's codec targets for a collated batch (keys per docs/architecture.md).

        Targets are made on the model's device, sized for the outputs of ``batch["image"]``.
        """
        image_size = tuple(int(s) for s in batch["image"].shape[-2:])
        feature_size = self.feature_source.feature_size(image_size)
        device = next(self.parameters()).device
        return {
            name: head.get_targets(batch, image_size, feature_size, device=device)
            for name, head in self.heads.items()
        }

    def get_loss(
        self,
        outputs: Mapping[str, Mapping[str, torch.Tensor]],
        targets: Mapping[str, Mapping[str, torch.Tensor]],
    ) -> dict[str, torch.Tensor]:
        """``{"total_loss": mean over heads, "<head>_<output>": ..., "<head>_total_loss": ...}``."""
        losses: dict[str, torch.Tensor] = {}
        totals = []
        for name, head in self.heads.items():
            head_losses = head.get_loss(outputs[name], targets[name])
            totals.append(head_losses["total_loss"])
            losses.update({f"{name}_{key}": value for key, value in head_losses.items()})
        losses["total_loss"] = torch.stack(totals).mean()
        return losses

    def predict(self, outputs: Mapping[str, Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """Decoded poses per head in input-image pixels: ``{"bodyparts": (B, A, K, 3), ...}``."""
        return {PREDICTION_KEYS.get(name, name): head.predict(outputs[name]) for name, head in self.heads.items()}
