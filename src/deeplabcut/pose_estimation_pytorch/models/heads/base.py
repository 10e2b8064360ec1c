"""What every head has: layers (subclass), a codec, weighted criteria, and its stride."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import codec_from_deeplabcut
from deeplabcut.pose_estimation_pytorch.models.losses import WeightedFocalLoss
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS, LOSSES


def build_criteria(criterion: Mapping[str, Any], output_names: tuple[str, ...], head: str) -> tuple[dict, dict]:
    """Losses and weights from a head's ``criterion`` section.

    The section maps each output to ``{type: ..., weight: ..., <loss options>}``;
    a head with a single output may give ``{type: ...}`` directly.

    Returns:
        ``({output: loss module}, {output: weight})``.

    Raises:
        ConfigError: an output has no criterion, or a criterion names no output.
    """
    if "type" in criterion:
        if len(output_names) != 1:
            raise ConfigError(
                f"head '{head}' has outputs {list(output_names)}: its criterion must give one "
                "loss per output, e.g. {heatmap: {type: ..., weight: 1.0}, ...}"
            )
        criterion = {output_names[0]: criterion}
    missing = [name for name in output_names if name not in criterion]
    extra = [name for name in criterion if name not in output_names]
    if missing or extra:
        raise ConfigError(
            f"head '{head}' criterion must have one entry per output {list(output_names)}; "
            f"missing {missing}, unknown {extra}"
        )
    losses, weights = {}, {}
    for name in output_names:
        settings = dict(criterion[name])
        weights[name] = float(settings.pop("weight", 1.0))
        losses[name] = LOSSES.build(settings)
    return losses, weights



def weighted_losses(
    criteria: Mapping[str, nn.Module],
    loss_weights: Mapping[str, float],
    outputs: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Each output's criterion against its target and ``<output>_weight``, and their weighted mean.

    Returns:
        ``{output: loss, ..., "total_loss": mean_i(weight_i * loss_i)}`` (DeepLabCut 3 averages,
        it does not sum, the weighted criteria of a head).
    """
    losses = {
        name: criterion(outputs[name], targets[name], targets[f"{name}_weight"]) for name, criterion in criteria.items()
    }
    weighted = [loss_weights[name] * value for name, value in losses.items()]
    losses["total_loss"] = torch.stack(weighted).mean()
    return losses

class BaseHead(nn.Module):
    """A head: ``forward(features) -> {output: tensor}``, plus targets, loss and decoding.

    Subclasses build their layers, set :attr:`output_names` and
    :attr:`upsampling` (output cells per input cell), then call :meth:`_finish_setup`.

    Args:
        codec: the codec instance (owns targets and decoding geometry).
        criterion: the ``criterion`` config section (see :func:`build_criteria`).
        input_stride: pixels per cell of the features the head reads (from the backbone/neck).
        label_keypoint_key: batch key of the keypoints this head learns.
        label_visibility_key: batch key of their visibility (default: ``keypoints``
            replaced by ``visibility`` in ``label_keypoint_key``).
        name: the head's name in the model (for messages).

    Attributes:
        stride: pixels per output cell = ``input_stride / upsampling``.
    """

    output_names: tuple[str, ...] = ()
    upsampling: float = 1.0

    def __init__(
        self,
        codec: Any,
        criterion: Mapping[str, Any],
        input_stride: float,
        label_keypoint_key: str = "keypoints",
        label_visibility_key: str | None = None,
        name: str = "",
    ) -> None:
        super().__init__()
        self.codec = codec
        self.name = name
        self.input_stride = float(input_stride)
        self.label_keypoint_key = label_keypoint_key
        self.label_visibility_key = label_visibility_key or label_keypoint_key.replace("keypoints", "visibility")
        self._criterion_config = criterion
        self.criteria = nn.ModuleDict()
        self.loss_weights: dict[str, float] = {}
        self.stride = self.input_stride

    def _finish_setup(self) -> None:
        """Build criteria and tell the codec the stride, once layers and outputs are known."""
        losses, self.loss_weights = build_criteria(self._criterion_config, self.output_names, self.name)
        self.criteria = nn.ModuleDict(losses)
        self.stride = self.input_stride / self.upsampling
        self.codec.stride = self.stride
        if isinstance(losses.get("heatmap"), WeightedFocalLoss) and not getattr(self.codec, "apply_sigmoid", True):
            raise ConfigError(
                f"head '{self.name}' uses a focal heatmap loss, which trains logits: set "
                "apply_sigmoid: true in its codec section"
            )

    @staticmethod
    def build_codec(codec: Any) -> Any:
        """A codec instance from a config dict (or an instance, returned as is)."""
        if isinstance(codec, Mapping):
            return CODECS.build(codec)
        return codec

    def output_size(self, feature_size: tuple[int, int]) -> tuple[int, int]:
        """``(h, w)`` of the outputs for features of ``feature_size``."""
        return feature_size

    def get_targets(
        self,
        batch: Mapping[str, torch.Tensor],
        image_size: tuple[int, int],
        feature_size: tuple[int, int],
        device: torch.device | None = None,
    ) -> dict[str, torch.Tensor]:
        """Codec targets for this head from a collated batch (see docs/architecture.md)."""
        try:
            keypoints = torch.as_tensor(batch[self.label_keypoint_key])
        except KeyError:
            raise KeyError(
                f"head '{self.name}' needs batch key '{self.label_keypoint_key}'; the batch has {sorted(batch)}"
            ) from None
        visibility = batch.get(self.label_visibility_key)
        if visibility is None:
            visibility = torch.isfinite(keypoints).all(-1).float()
        visibility = torch.as_tensor(visibility)
        if device is not None:
            keypoints, visibility = keypoints.to(device), visibility.to(device)
        return self.codec.encode(
            keypoints, visibility, image_size, stride=self.stride, output_size=self.output_size(feature_size)
        )

    def get_loss(
        self, outputs: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """``{output: loss, ..., "total_loss": mean_i(weight_i * loss_i)}`` (float32 scalars)."""
        return weighted_losses(self.criteria, self.loss_weights, outputs, targets)

    def predict(self, outputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Decoded poses ``(B, rows, K, 3)`` in input-image pixels."""
        return self.codec.decode(dict(outputs), stride=self.stride)


def deeplabcut_codec(target_generator: Mapping[str, Any], predictor: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Our codec section from DeepLabCut 3's ``target_generator`` + ``predictor`` (a head built from its layout).

    Raises:
        ConfigError: the predictor is not one this package has a codec for.
    """
    codec = codec_from_deeplabcut(dict(target_generator), dict(predictor))
    if codec is None:
        raise ConfigError(
            f"{what}: DeepLabCut's predictor {predictor.get('type')!r} has no codec here "
            "(DEKRPredictor and HeatmapPredictor have); give a 'codec' section instead"
        )
    return codec
