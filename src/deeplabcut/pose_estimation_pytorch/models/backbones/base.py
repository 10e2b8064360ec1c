"""What every backbone exposes: its output channels, stride and input normalisation, and batch-norm freezing."""

from __future__ import annotations

from torch import nn

from deeplabcut.pose_estimation_pytorch.data.normalization import Normalization


class BaseBackbone(nn.Module):
    """A feature extractor with metadata that heads read instead of hard-coding numbers.

    Subclasses set, before the first forward:

    * ``stride``: pixels of the input image per cell of the feature map that
      ``forward`` returns (4 for HRNet);
    * ``out_channels``: channels of that feature map;
    * ``feature_channels`` / ``feature_strides``: channels and strides of every
      multi-scale feature the network computes (HRNet: its four branches);

    and, as a class attribute, ``normalization``: the mean/std its weights expect
    of an input image (metadata of the pretrained weights; datasets and the
    inference runner read it from here).

    Args:
        freeze_bn_stats: keep batch-norm layers in eval mode while training (the
            running mean/variance stay as loaded, e.g. from ImageNet weights).
        freeze_bn_weights: do not train the batch-norm affine parameters.
    """

    stride: int
    out_channels: int
    feature_channels: tuple[int, ...]
    feature_strides: tuple[int, ...]
    normalization: Normalization

    def __init__(self, freeze_bn_stats: bool = False, freeze_bn_weights: bool = False) -> None:
        super().__init__()
        self.freeze_bn_stats = freeze_bn_stats
        self.freeze_bn_weights = freeze_bn_weights

    def apply_bn_freezing(self) -> None:
        """Set ``requires_grad=False`` on BN parameters if ``freeze_bn_weights``; call after building."""
        if not self.freeze_bn_weights:
            return
        for module in self.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                for parameter in module.parameters():
                    parameter.requires_grad_(False)

    def train(self, mode: bool = True) -> BaseBackbone:
        super().train(mode)
        if mode and self.freeze_bn_stats:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def feature_size(self, image_size: tuple[int, int]) -> tuple[int, int]:
        """``(height, width)`` of the ``forward`` output for an input of ``image_size`` pixels."""
        height, width = image_size
        return -(-height // self.stride), -(-width // self.stride)
