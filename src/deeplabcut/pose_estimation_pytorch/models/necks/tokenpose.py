"""TokenPose's transformer (Li et al., ICCV 2021): keypoint tokens attend to patches of a feature map.

The backbone's feature map ``(B, C, h, w)`` (HRNet's stride-4 branch) is cut
into ``patch_size`` patches, each flattened (``ph * pw * C`` values, patch
rows, then patch columns, then channels) and embedded by one linear layer into
a ``dim``-dimensional visual token. ``K`` learnable keypoint tokens are put in
front of the ``(h / ph) * (w / pw)`` visual tokens and the sequence goes
through ``depth`` pre-norm transformer blocks (``x + attention(norm(x))``,
then ``x + mlp(norm(x))``; multi-head attention without QKV bias, scale
``(dim / heads) ** -0.5``; MLP ``dim -> mlp_ratio * dim -> dim`` with GELU).
The neck returns the K keypoint tokens; a head turns each into a heatmap.

Positional information is added to the visual tokens only (keypoint tokens are
learnable, so they need none):

* ``sine``: a fixed 2-D sine/cosine table (:func:`sine_position_embedding`), added once;
* ``sine-full``: the same table added again before every block after the first
  (TokenPose-B's ``sine-full``, and DeepLabCut 3's default);
* ``learnable``: a trained table, added once;
* ``none``.

Sizes of the paper's TokenPose-B (HRNet-W32 stages 1-3, 256x192 input,
64x48 features): 4x3 patches (16x16 = 256 tokens of 384 values), dim 192,
12 blocks, 8 heads, MLP ratio 3. Unlike DeepLabCut 3's inference-only
``Transformer`` neck (three stacks of 6 blocks with a 3-unit hidden layer,
concatenated outputs), this follows the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.registry import NECKS

POSITION_EMBEDDINGS = ("sine", "sine-full", "learnable", "none")


def sine_position_embedding(height: int, width: int, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """Fixed 2-D sine/cosine position table ``(height * width, dim)``, rows in raster order.

    The first ``dim / 2`` channels encode the row, the last ``dim / 2`` the
    column. Along an axis of ``n`` cells, cell ``i`` has position
    ``p = 2 pi (i + 1) / n``; its half is ``sin(p / f_j)`` for ``j < dim / 4``
    followed by ``cos(p / f_j)``, with frequencies
    ``f_j = temperature ** (2 j / (dim / 2))`` (DETR's normalised sine embedding).

    Raises:
        ConfigError: ``dim`` is not a multiple of 4.
    """
    if dim % 4 != 0:
        raise ConfigError(f"a sine position embedding needs dim divisible by 4, got {dim}")
    quarter = dim // 4
    frequencies = temperature ** (torch.arange(quarter, dtype=torch.float64) * 2 / (dim // 2))

    def axis(n: int) -> torch.Tensor:
        positions = (torch.arange(n, dtype=torch.float64) + 1) / n * 2 * math.pi
        angles = positions[:, None] / frequencies
        return torch.cat([angles.sin(), angles.cos()], dim=1)  # (n, dim / 2)

    rows = axis(height)[:, None, :].expand(height, width, dim // 2)
    cols = axis(width)[None, :, :].expand(height, width, dim // 2)
    return torch.cat([rows, cols], dim=2).reshape(height * width, dim).float()


class Attention(nn.Module):
    """Multi-head self-attention: ``qkv`` (no bias), scaled dot products, softmax, ``proj``."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        # scaled_dot_product_attention scales by (dim / heads) ** -0.5, as TokenPose does.
        out = F.scaled_dot_product_attention(
            qkv[0], qkv[1], qkv[2], dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(out.transpose(1, 2).reshape(batch, length, dim))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``.

    Args:
        dim: token size.
        heads: attention heads (``dim`` must be divisible by it).
        mlp_ratio: hidden size of the MLP over ``dim``.
        dropout: dropout of attention weights and MLP outputs.
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 3.0, dropout: float = 0.0) -> None:
        super().__init__()
        hidden = int(round(dim * mlp_ratio))
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim), nn.Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    values = (value, value) if isinstance(value, int) else tuple(int(v) for v in value)
    if len(values) != 2 or min(values) < 1:
        raise ConfigError(f"TokenPose neck {name} must be two positive integers [height, width], got {value!r}")
    return values[0], values[1]


@NECKS.register("TokenPoseTransformer")
class TokenPoseTransformer(nn.Module):
    """Keypoint tokens refined by a transformer over patches of the backbone's feature map.

    Args:
        in_channels: channels of the backbone features (given by the model builder).
        input_stride: pixels per feature cell (given by the model builder).
        feature_size: ``[h, w]`` feature cells the neck is built for; inputs must be
            ``h * input_stride`` x ``w * input_stride`` pixels (256x192 -> [64, 48]).
        patch_size: ``[ph, pw]`` feature cells per patch; must divide ``feature_size``.
        num_keypoints: K, keypoint tokens (the project's bodyparts).
        channels: DeepLabCut's name for the feature channels; must equal
            ``in_channels`` when given.
        dim: token size.
        depth: transformer blocks.
        heads: attention heads (must divide ``dim``).
        mlp_ratio: MLP hidden size over ``dim``.
        pos_embedding: one of :data:`POSITION_EMBEDDINGS` (see the module docstring).
        dropout: dropout inside the blocks.
        embedding_dropout: dropout on the token sequence before the first block.
        init_std: standard deviation of the truncated-normal linear weights and
            keypoint tokens (TokenPose and ViT: 0.02).
        patch_norm: LayerNorm each flattened patch before its embedding, so that
            the backbone's feature scale (tens, for an HRNet trained from scratch)
            does not drown the position embedding (about 0.5); without it the
            keypoint tokens get no position to decode into a heatmap.

    Attributes:
        out_channels: ``dim`` (the size of each output token).
        stride: ``input_stride``: heads predict on the feature grid.
        grid_size: ``(h / ph, w / pw)`` patches.
    """

    def __init__(
        self,
        in_channels: int,
        input_stride: float,
        feature_size: Sequence[int],
        patch_size: Sequence[int],
        num_keypoints: int,
        channels: int | None = None,
        dim: int = 192,
        depth: int = 12,
        heads: int = 8,
        mlp_ratio: float = 3.0,
        pos_embedding: str = "sine-full",
        dropout: float = 0.0,
        embedding_dropout: float = 0.0,
        init_std: float = 0.02,
        patch_norm: bool = False,
    ) -> None:
        super().__init__()
        if channels is not None and int(channels) != in_channels:
            raise ConfigError(
                f"TokenPose neck: channels is {channels} but the backbone outputs {in_channels} channels; "
                "fix model.neck.channels"
            )
        if pos_embedding not in POSITION_EMBEDDINGS:
            raise ConfigError(
                f"TokenPose neck pos_embedding must be one of {POSITION_EMBEDDINGS}, got '{pos_embedding}'"
            )
        if dim < 1 or heads < 1 or dim % heads != 0:
            raise ConfigError(f"TokenPose neck: dim ({dim}) must be a positive multiple of heads ({heads})")
        if num_keypoints < 1 or depth < 1:
            raise ConfigError(
                f"TokenPose neck needs num_keypoints >= 1 and depth >= 1, got {num_keypoints} and {depth}"
            )
        self.feature_grid = _pair(feature_size, "feature_size")
        self.patch_size = _pair(patch_size, "patch_size")
        if self.feature_grid[0] % self.patch_size[0] or self.feature_grid[1] % self.patch_size[1]:
            raise ConfigError(
                f"TokenPose neck: patch_size {list(self.patch_size)} must divide feature_size {list(self.feature_grid)}"
            )
        self.in_channels = int(in_channels)
        self.stride = float(input_stride)
        self.out_channels = int(dim)
        self.num_keypoints = int(num_keypoints)
        self.pos_embedding = pos_embedding
        self.grid_size = (self.feature_grid[0] // self.patch_size[0], self.feature_grid[1] // self.patch_size[1])
        num_patches = self.grid_size[0] * self.grid_size[1]

        patch_values = self.patch_size[0] * self.patch_size[1] * in_channels
        self.patch_norm = nn.LayerNorm(patch_values) if patch_norm else nn.Identity()
        self.patch_embedding = nn.Linear(self.patch_size[0] * self.patch_size[1] * in_channels, dim)
        self.keypoint_tokens = nn.Parameter(torch.zeros(1, num_keypoints, dim))
        self.position_table: nn.Parameter | None = None
        if pos_embedding in ("sine", "sine-full"):
            table = sine_position_embedding(*self.grid_size, dim)[None]
            self.register_buffer("sine_table", table, persistent=False)
        elif pos_embedding == "learnable":
            self.position_table = nn.Parameter(torch.zeros(1, num_patches, dim))
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.blocks = nn.ModuleList(TransformerBlock(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self._init_weights(float(init_std))

    def _init_weights(self, std: float) -> None:
        """Truncated-normal (``std``) linear weights and tokens, zero biases, unit LayerNorms."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.trunc_normal_(self.keypoint_tokens, std=std)
        if self.position_table is not None:
            nn.init.trunc_normal_(self.position_table, std=std)

    def feature_size(self, image_size: tuple[int, int]) -> tuple[int, int]:
        """``(h, w)`` feature cells (the heads' heatmap grid) for images of ``image_size`` pixels."""
        return math.ceil(image_size[0] / self.stride), math.ceil(image_size[1] / self.stride)

    def _positions(self) -> torch.Tensor | None:
        if self.pos_embedding in ("sine", "sine-full"):
            return self.sine_table
        return self.position_table

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Features ``(B, C, h, w)`` -> keypoint tokens ``(B, K, dim)``.

        Raises:
            ValueError: the features are not ``feature_size`` (the input image is not the crop size).
        """
        batch, channels, height, width = features.shape
        if (height, width) != self.feature_grid or channels != self.in_channels:
            fh, fw = self.feature_grid
            raise ValueError(
                f"TokenPose neck expects {self.in_channels}x{fh}x{fw} features, i.e. input images of "
                f"{int(fh * self.stride)}x{int(fw * self.stride)} pixels (height x width); got "
                f"{channels}x{height}x{width} features. Feed crops of that size, or change the neck's "
                "feature_size and the head's heatmap_size together."
            )
        ph, pw = self.patch_size
        gh, gw = self.grid_size
        patches = features.reshape(batch, channels, gh, ph, gw, pw).permute(0, 2, 4, 3, 5, 1)
        tokens = self.patch_embedding(self.patch_norm(patches.reshape(batch, gh * gw, ph * pw * channels)))
        positions = self._positions()
        if positions is not None:
            tokens = tokens + positions
        tokens = torch.cat([self.keypoint_tokens.expand(batch, -1, -1), tokens], dim=1)
        tokens = self.embedding_dropout(tokens)
        k = self.num_keypoints
        for index, block in enumerate(self.blocks):
            if index > 0 and self.pos_embedding == "sine-full":
                tokens = torch.cat([tokens[:, :k], tokens[:, k:] + positions], dim=1)
            tokens = block(tokens)
        return tokens[:, :k]
