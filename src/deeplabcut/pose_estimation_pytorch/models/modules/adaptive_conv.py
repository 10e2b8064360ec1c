"""Adaptive (affine-deformed) 3x3 convolution of DEKR, in plain PyTorch.

DEKR (Geng et al., CVPR 2021) regresses each keypoint's offset with
*adaptive convolutions*: at every pixel a 3x3 convolution predicts a 2x2
matrix ``A`` and another predicts a translation ``t``; the regular 3x3
sampling grid ``R`` (taps ``(dy, dx)`` in ``{-1, 0, 1}^2``) is moved to
``A @ R + t`` and a 3x3 kernel is applied to the input bilinearly sampled
there (a deformable convolution).

DeepLabCut computes the deformable part with ``torchvision.ops.DeformConv2d``;
here it is :func:`deform_conv3x3`, built on
:func:`torch.nn.functional.grid_sample` and one batched matrix product, with
the same conventions as torchvision (offsets as ``(dy, dx)`` pairs per kernel
tap in row-major tap order, zero outside the image), so weights trained with
either load into the other.

The blocks here are *grouped*: one :class:`AdaptiveConvBlock` with
``groups=K`` holds the K independent per-keypoint blocks of DEKR's offset
branch and runs them all at once (grouped convolutions for ``A`` and ``t``,
one grid_sample for all groups), instead of a Python loop over keypoints.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from deeplabcut.pose_estimation_pytorch.models.modules.blocks import BN_MOMENTUM
from deeplabcut.pose_estimation_pytorch.models.modules.checkpoint import checkpointed

def kernel_taps(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The regular 3x3 grid as two float32 tensors ``(dy, dx)`` of shape ``(9,)``.

    Taps are in row-major order: tap ``t`` is ``(dy, dx) = (t // 3 - 1, t % 3 - 1)``.
    Made on ``device`` directly (no host-to-device copy).
    """
    taps = torch.arange(9, device=device)
    return (
        torch.div(taps, 3, rounding_mode="floor").float() - 1.0,
        torch.remainder(taps, 3).float() - 1.0,
    )


def deform_conv3x3(
    x: torch.Tensor,
    offset: torch.Tensor,
    weight: torch.Tensor,
    groups: int = 1,
    dilation: int = 1,
) -> torch.Tensor:
    """Deformable 3x3 convolution, stride 1, padding ``dilation``, no bias.

    Output pixel ``(i, j)`` of group ``g`` is
    ``sum_{c, tap} weight[g*O + o, c, tap] * x_g[c](i + dil*dy_tap + offset_y, j + dil*dx_tap + offset_x)``
    where ``x_g`` is bilinearly interpolated and zero outside the map, exactly as
    ``torchvision.ops.deform_conv2d(x, offset, weight, padding=dilation,
    dilation=dilation)`` with ``groups`` weight groups and ``groups`` offset groups.

    Args:
        x: input ``(N, groups * C, H, W)``.
        offset: sampling offsets in pixels ``(N, groups * 18, H, W)``: for each
            group, for each of the 9 taps in row-major order, ``(dy, dx)``.
        weight: ``(groups * O, C, 3, 3)``.
        groups: independent groups of channels, each with its own offsets and weights.
        dilation: spacing of the regular grid the offsets are relative to.

    Returns:
        ``(N, groups * O, H, W)``, in ``weight``'s dtype (or the autocast dtype).
        Sampling positions and interpolation are always computed in float32.
    """
    batch, in_channels, height, width = x.shape
    channels = in_channels // groups
    out_per_group = weight.shape[0] // groups
    if offset.shape != (batch, groups * 18, height, width):
        raise ValueError(
            f"offset must have shape {(batch, groups * 18, height, width)}, got {tuple(offset.shape)}"
        )
    if weight.shape[1:] != (channels, 3, 3) or weight.shape[0] % groups:
        raise ValueError(
            f"weight must have shape (groups*O, {channels}, 3, 3), got {tuple(weight.shape)}"
        )
    device_type = x.device.type
    with torch.autocast(device_type=device_type, enabled=False):
        offset = offset.float().reshape(batch, groups, 9, 2, height, width)
        tap_dy, tap_dx = kernel_taps(x.device)
        rows = torch.arange(height, device=x.device, dtype=torch.float32).view(1, 1, 1, height, 1)
        cols = torch.arange(width, device=x.device, dtype=torch.float32).view(1, 1, 1, 1, width)
        sample_y = rows + dilation * tap_dy.view(1, 1, 9, 1, 1) + offset[:, :, :, 0]
        sample_x = cols + dilation * tap_dx.view(1, 1, 9, 1, 1) + offset[:, :, :, 1]
        # grid_sample with align_corners=False maps pixel p to (2p + 1) / size - 1.
        grid = torch.stack(
            ((2.0 * sample_x + 1.0) / width - 1.0, (2.0 * sample_y + 1.0) / height - 1.0), dim=-1
        ).reshape(batch * groups, 9 * height, width, 2)
        inputs = x.float().reshape(batch * groups, channels, height, width)
        if not torch.is_grad_enabled():
            return _deform_tap_by_tap(inputs, grid, weight, batch, groups).reshape(
                batch, groups * out_per_group, height, width
            )
        sampled = F.grid_sample(inputs, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # (N*G, C, 9*H, W) -> (N, G, C*9, H*W); index c*9 + tap matches weight.view(G, O, C*9).
    sampled = sampled.reshape(batch, groups, channels * 9, height * width).to(weight.dtype)
    kernel = weight.reshape(1, groups, out_per_group, channels * 9)
    # One product per (image, group), broadcasting the kernel over images: the sampled taps stay
    # in their layout (an einsum over "gok,ngkp" copied them, and their gradient, into group-major
    # order: forward and backward of this function took 1.3x as long on the CPU).
    out = torch.matmul(kernel, sampled)
    return out.reshape(batch, groups * out_per_group, height, width)


def _deform_tap_by_tap(
    inputs: torch.Tensor, grid: torch.Tensor, weight: torch.Tensor, batch: int, groups: int
) -> torch.Tensor:
    """:func:`deform_conv3x3` without gradients, one tap at a time: the same sum without the
    nine-fold copy of the input (for a 640x480 frame and 4 keypoints, 41 MB per block).

    ``inputs`` ``(N*G, C, H, W)`` float32, ``grid`` ``(N*G, 9*H, W, 2)``; returns ``(N, G, O, H*W)``.
    """
    _, channels, height, width = inputs.shape
    kernel = weight.reshape(groups, weight.shape[0] // groups, channels, 9)
    out = None
    for tap in range(9):
        sampled = F.grid_sample(
            inputs, grid[:, tap * height : (tap + 1) * height], mode="bilinear", padding_mode="zeros", align_corners=False
        ).reshape(batch, groups, channels, height * width)
        term = torch.matmul(kernel[..., tap].to(sampled.dtype), sampled)  # (G, O, C) @ (N, G, C, HW)
        out = term if out is None else out.add_(term)
    return out.to(weight.dtype)


class DeformableConv3x3(nn.Module):
    """Learned weights of a grouped deformable 3x3 convolution (no bias).

    Args:
        in_channels: input channels (all groups).
        out_channels: output channels (all groups).
        groups: channel groups, each with its own offsets.
        dilation: dilation of the regular grid.
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int = 1, dilation: int = 1) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"channels {in_channels}->{out_channels} not divisible by groups={groups}")
        self.groups = groups
        self.dilation = dilation
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, 3, 3))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        #: While training, recompute the sampled taps (nine float32 copies of the input) in
        #: backward instead of keeping them (:mod:`.checkpoint`).
        self.gradient_checkpointing = False

    def forward(self, x: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        if self.gradient_checkpointing and self.training:
            return checkpointed(self, x, offset, function=self._sample_and_convolve)
        return self._sample_and_convolve(x, offset)

    def _sample_and_convolve(self, x: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        return deform_conv3x3(x, offset, self.weight, self.groups, self.dilation)


class AdaptiveConvBlock(nn.Module):
    """DEKR's AdaptBlock, for ``groups`` independent groups of ``channels`` channels.

    For each group: ``A = transform_matrix_conv(x)`` (a 2x2 matrix per pixel,
    row-major, acting on ``(dy, dx)``), ``t = translation_conv(x)`` (``(ty, tx)``),
    the 3x3 taps ``R`` are moved to ``A @ R + t``, the deformable conv
    ``adapt_conv`` samples there, then BN, the residual and a ReLU.

    Channels ``[g*channels, (g+1)*channels)`` of the input and output belong to
    group ``g``; ``groups=K`` runs DEKR's K per-keypoint blocks in one call.

    Args:
        channels: channels per group (input and output; 15 in DEKR).
        groups: number of groups (the number of keypoints in DEKR).
        dilation: dilation of the regular 3x3 grid.
    """

    def __init__(self, channels: int, groups: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.channels = channels
        self.groups = groups
        self.dilation = dilation
        total = channels * groups
        self.transform_matrix_conv = nn.Conv2d(total, 4 * groups, 3, padding=1, groups=groups, bias=True)
        self.translation_conv = nn.Conv2d(total, 2 * groups, 3, padding=1, groups=groups, bias=True)
        self.adapt_conv = DeformableConv3x3(total, total, groups=groups, dilation=dilation)
        self.bn = nn.BatchNorm2d(total, momentum=BN_MOMENTUM)

    def reset_to_regular_grid(self) -> None:
        """Make ``A`` the identity and ``t`` zero everywhere: a plain 3x3 convolution."""
        with torch.no_grad():
            self.transform_matrix_conv.weight.zero_()
            identity = torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(self.groups)
            self.transform_matrix_conv.bias.copy_(identity)
            self.translation_conv.weight.zero_()
            self.translation_conv.bias.zero_()

    def sampling_offsets(self, x: torch.Tensor) -> torch.Tensor:
        """Offsets ``(N, groups*18, H, W)`` of the deformed taps from the regular grid, float32."""
        batch, _, height, width = x.shape
        # Geometry in the parameters' precision (float32 under autocast), not in bf16/fp16.
        with torch.autocast(device_type=x.device.type, enabled=False):
            inputs = x.to(self.transform_matrix_conv.weight.dtype)
            matrix = self.transform_matrix_conv(inputs).float().reshape(batch, self.groups, 4, 1, height, width)
            translation = self.translation_conv(inputs).float().reshape(batch, self.groups, 2, 1, height, width)
        tap_dy, tap_dx = (tap.view(1, 1, 9, 1, 1) for tap in kernel_taps(x.device))
        offset_y = matrix[:, :, 0] * tap_dy + matrix[:, :, 1] * tap_dx + translation[:, :, 0] - tap_dy
        offset_x = matrix[:, :, 2] * tap_dy + matrix[:, :, 3] * tap_dx + translation[:, :, 1] - tap_dx
        return torch.stack((offset_y, offset_x), dim=3).reshape(batch, self.groups * 18, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.adapt_conv(x, self.sampling_offsets(x))
        out = self.bn(out)
        return torch.relu(out + x)
