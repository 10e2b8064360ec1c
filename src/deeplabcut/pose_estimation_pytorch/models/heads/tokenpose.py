"""TokenPose head: an MLP turns each keypoint token into that keypoint's heatmap.

With TokenPose-B's sizes (tokens of 192, heatmaps 64x48) the MLP is
``LayerNorm(192) -> Linear(192, 384) -> LayerNorm(384) -> Linear(384, 3072)``,
reshaped to ``(K, 64, 48)``; the hidden size is ``h * w / 8`` as in the
paper's code, and a single ``LayerNorm -> Linear`` is used when the tokens are
larger than half of it. Heatmaps are encoded and decoded by the shared
:class:`~deeplabcut.pose_estimation_pytorch.models.codecs.heatmap.HeatmapCodec`
(Gaussian targets, argmax plus ``refinement``, DARK by default in the template).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec
from deeplabcut.pose_estimation_pytorch.models.heads.base import BaseHead
from deeplabcut.pose_estimation_pytorch.models.registry import HEADS


@HEADS.register("TokenPoseHead")
class TokenPoseHead(BaseHead):
    """Keypoint tokens ``(B, K, dim)`` -> heatmaps ``(B, K, h, w)``, output ``heatmap``.

    Args:
        in_channels: token size (the neck's ``dim``; given by the model builder).
        input_stride: pixels per heatmap cell (the neck's stride; given by the builder).
        heatmap_size: ``[h, w]`` cells; must equal the neck's ``feature_size``
            (heatmaps cover the input image at ``input_stride``).
        criterion: ``{heatmap: {type, weight, ...}}`` (or ``{type: ...}``).
        codec: the ``HeatmapCodec`` section (or instance); ``num_heatmaps`` is K.
        dim: DeepLabCut's key for the token size; must equal ``in_channels`` when given.
        hidden_heatmap_dim: hidden size of the MLP; default ``h * w // 8``. The
            hidden layer is used only when ``dim <= hidden_heatmap_dim / 2``; 0 never.
        label_keypoint_key, name: see :class:`BaseHead`.
    """

    output_names = ("heatmap",)

    def __init__(
        self,
        in_channels: int,
        input_stride: float,
        heatmap_size: Sequence[int],
        criterion: Mapping[str, Any],
        codec: Mapping[str, Any] | HeatmapCodec,
        dim: int | None = None,
        hidden_heatmap_dim: int | None = None,
        label_keypoint_key: str = "keypoints",
        name: str = "bodypart",
    ) -> None:
        super().__init__(self.build_codec(codec), criterion, input_stride, label_keypoint_key, name=name)
        if not isinstance(self.codec, HeatmapCodec):
            raise ConfigError(f"TokenPoseHead '{name}' needs a HeatmapCodec, got {type(self.codec).__name__}")
        if dim is not None and int(dim) != in_channels:
            raise ConfigError(
                f"TokenPoseHead '{name}': dim is {dim} but the neck outputs tokens of {in_channels}; "
                "make model.heads.<name>.dim equal to model.neck.dim"
            )
        size = tuple(int(v) for v in heatmap_size)
        if len(size) != 2 or min(size) < 1:
            raise ConfigError(f"TokenPoseHead '{name}': heatmap_size must be [height, width], got {heatmap_size!r}")
        self.heatmap_size: tuple[int, int] = (size[0], size[1])
        num_cells = size[0] * size[1]
        hidden = num_cells // 8 if hidden_heatmap_dim is None else int(hidden_heatmap_dim)
        if hidden > 0 and in_channels <= hidden / 2:
            self.mlp = nn.Sequential(
                nn.LayerNorm(in_channels),
                nn.Linear(in_channels, hidden),
                nn.LayerNorm(hidden),
                nn.Linear(hidden, num_cells),
            )
        else:
            self.mlp = nn.Sequential(nn.LayerNorm(in_channels), nn.Linear(in_channels, num_cells))
        for module in self.mlp:
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
        self.codec.generate_locref = False
        self.upsampling = 1.0
        self._finish_setup()

    def output_size(self, feature_size: tuple[int, int]) -> tuple[int, int]:
        """``heatmap_size``; it must be the neck's grid for the input images.

        Raises:
            ConfigError: the images do not match ``heatmap_size`` at this stride.
        """
        if tuple(feature_size) != self.heatmap_size:
            raise ConfigError(
                f"TokenPoseHead '{self.name}': heatmap_size {list(self.heatmap_size)} does not match the "
                f"{list(feature_size)} cells of the input images at stride {self.stride:g}; set "
                "heatmap_size to the crop size divided by the stride"
            )
        return self.heatmap_size

    def forward(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Tokens ``(B, K, dim)`` -> ``{"heatmap": (B, K, h, w)}``."""
        batch, num_keypoints, _ = tokens.shape
        heatmap = self.mlp(tokens).reshape(batch, num_keypoints, *self.heatmap_size)
        return {"heatmap": heatmap}
