"""Building blocks shared by backbones and heads: residual blocks and DEKR's adaptive convolution."""

from deeplabcut.pose_estimation_pytorch.models.modules.adaptive_conv import (
    AdaptiveConvBlock,
    DeformableConv3x3,
    deform_conv3x3,
)
from deeplabcut.pose_estimation_pytorch.models.modules.blocks import (
    BasicBlock,
    Bottleneck,
    make_residual_layer,
)

__all__ = [
    "AdaptiveConvBlock",
    "BasicBlock",
    "Bottleneck",
    "DeformableConv3x3",
    "deform_conv3x3",
    "make_residual_layer",
]
