"""Residual blocks shared by HRNet and the DEKR head.

Parameter names (``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``, ``bn3``,
``downsample.0``, ``downsample.1``) follow timm's ResNet blocks, which HRNet's
ImageNet weights and DeepLabCut's DEKR snapshots use.
"""

from __future__ import annotations

import torch
from torch import nn

BN_MOMENTUM = 0.1


def conv_bn(
    in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1
) -> nn.Sequential:
    """``Sequential(conv (no bias), BN)``: the projection used on residual shortcuts."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM),
    )


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN layers with a residual connection (``expansion = 1``).

    Args:
        in_channels: input channels.
        channels: output channels.
        stride: stride of the first convolution.
        downsample: projection of the input for the residual, needed when the
            shape changes; built automatically when ``None`` and needed.
        dilation: dilation of both convolutions.
    """

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, channels, 3, stride=stride, padding=dilation, dilation=dilation, bias=False
        )
        self.bn1 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(
            channels, channels, 3, padding=dilation, dilation=dilation, bias=False
        )
        self.bn2 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        if downsample is None and (stride != 1 or in_channels != channels):
            downsample = conv_bn(in_channels, channels, 1, stride)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + shortcut)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 convolutions with a residual connection (``expansion = 4``).

    Args:
        in_channels: input channels.
        channels: width of the inner convolutions; the output has ``4 * channels``.
        stride: stride of the 3x3 convolution.
        downsample: projection of the input for the residual; built automatically
            when ``None`` and needed.
        dilation: dilation of the 3x3 convolution.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(
            channels, channels, 3, stride=stride, padding=dilation, dilation=dilation, bias=False
        )
        self.bn2 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM)
        if downsample is None and (stride != 1 or in_channels != out_channels):
            downsample = conv_bn(in_channels, out_channels, 1, stride)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + shortcut)


def make_residual_layer(
    block: type[BasicBlock] | type[Bottleneck],
    in_channels: int,
    channels: int,
    num_blocks: int,
    stride: int = 1,
    dilation: int = 1,
) -> nn.Sequential:
    """``num_blocks`` residual blocks in a ``Sequential`` (keys ``0.conv1...``, ``1.conv1...``).

    Only the first block may change the stride or the channel count.
    """
    layers = [block(in_channels, channels, stride=stride, dilation=dilation)]
    for _ in range(1, num_blocks):
        layers.append(block(channels * block.expansion, channels, dilation=dilation))
    return nn.Sequential(*layers)
