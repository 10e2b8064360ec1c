"""The grid_sample deformable 3x3 convolution against an explicit bilinear-interpolation loop."""

from __future__ import annotations

import math

import pytest
import torch

from deeplabcut.pose_estimation_pytorch.models.modules.adaptive_conv import (
    AdaptiveConvBlock,
    deform_conv3x3,
)


def bilinear(image: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Value of ``image`` (H, W) at real position (y, x); zero outside (torchvision's rule)."""
    height, width = image.shape
    y0, x0 = math.floor(float(y.detach())), math.floor(float(x.detach()))
    wy1, wx1 = y - y0, x - x0
    total = image.new_zeros(())
    for dy, weight_y in ((0, 1 - wy1), (1, wy1)):
        for dx, weight_x in ((0, 1 - wx1), (1, wx1)):
            row, col = y0 + dy, x0 + dx
            if 0 <= row < height and 0 <= col < width:
                total = total + weight_y * weight_x * image[row, col]
    return total


def slow_deform_conv(x, offset, weight, groups, dilation):
    """Direct definition: loops over every output pixel, tap and channel."""
    batch, channels_total, height, width = x.shape
    channels = channels_total // groups
    out_per_group = weight.shape[0] // groups
    offset = offset.view(batch, groups, 9, 2, height, width)
    rows = []
    for n in range(batch):
        planes = []
        for g in range(groups):
            for o in range(out_per_group):
                plane = []
                for i in range(height):
                    line = []
                    for j in range(width):
                        value = x.new_zeros(())
                        for tap in range(9):
                            ky, kx = tap // 3 - 1, tap % 3 - 1
                            y = i + dilation * ky + offset[n, g, tap, 0, i, j]
                            xx = j + dilation * kx + offset[n, g, tap, 1, i, j]
                            for c in range(channels):
                                sample = bilinear(x[n, g * channels + c], y, xx)
                                value = value + weight[g * out_per_group + o, c, ky + 1, kx + 1] * sample
                        line.append(value)
                    plane.append(torch.stack(line))
                planes.append(torch.stack(plane))
        rows.append(torch.stack(planes))
    return torch.stack(rows)


@pytest.mark.parametrize("groups, dilation", [(1, 1), (2, 1), (1, 2)])
def test_deform_conv_matches_slow_reference_values_and_gradients(groups, dilation):
    torch.manual_seed(0)
    batch, channels, out_channels, height, width = 1, 2, 2, 4, 5
    x = torch.randn(batch, groups * channels, height, width, dtype=torch.float64, requires_grad=True)
    # Offsets up to +-2.5 px reach outside the map, exercising the zero padding.
    offset = (torch.rand(batch, groups * 18, height, width, dtype=torch.float64) * 5 - 2.5).requires_grad_()
    weight = torch.randn(groups * out_channels, channels, 3, 3, dtype=torch.float64, requires_grad=True)

    fast = deform_conv3x3(x, offset, weight, groups=groups, dilation=dilation)
    slow = slow_deform_conv(x, offset, weight, groups, dilation)
    assert fast.shape == (batch, groups * out_channels, height, width)
    torch.testing.assert_close(fast.double(), slow, atol=1e-5, rtol=1e-5)

    upstream = torch.randn_like(slow)
    fast_grads = torch.autograd.grad((fast * upstream).sum(), (x, offset, weight))
    slow_grads = torch.autograd.grad((slow * upstream).sum(), (x, offset, weight))
    for name, fast_grad, slow_grad in zip(("input", "offset", "weight"), fast_grads, slow_grads):
        torch.testing.assert_close(fast_grad.double(), slow_grad, atol=1e-5, rtol=1e-5, msg=name)


@pytest.mark.parametrize("groups, dilation", [(1, 1), (3, 2)])
def test_deform_conv_without_gradients_matches_the_slow_reference(groups, dilation):
    """Inference takes the tap-by-tap path (no nine-fold copy of the input): the same values."""
    torch.manual_seed(1)
    batch, channels, out_channels, height, width = 2, 2, 3, 4, 5
    x = torch.randn(batch, groups * channels, height, width)
    offset = torch.rand(batch, groups * 18, height, width) * 5 - 2.5
    weight = torch.randn(groups * out_channels, channels, 3, 3)
    with torch.no_grad():
        fast = deform_conv3x3(x, offset, weight, groups=groups, dilation=dilation)
    slow = slow_deform_conv(x, offset, weight, groups, dilation)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast, deform_conv3x3(x, offset, weight, groups=groups, dilation=dilation).detach())


def test_zero_offsets_equal_a_plain_3x3_convolution():
    torch.manual_seed(1)
    x = torch.randn(2, 6, 7, 9)
    weight = torch.randn(6, 3, 3, 3)
    offset = torch.zeros(2, 2 * 18, 7, 9)
    expected = torch.nn.functional.conv2d(x, weight, padding=1, groups=2)
    torch.testing.assert_close(deform_conv3x3(x, offset, weight, groups=2), expected, atol=1e-5, rtol=1e-5)


def test_adaptive_block_reset_is_plain_conv_bn_residual_relu():
    torch.manual_seed(2)
    block = AdaptiveConvBlock(channels=3, groups=2).eval()
    block.reset_to_regular_grid()
    x = torch.randn(1, 6, 6, 6)
    conv = torch.nn.functional.conv2d(x, block.adapt_conv.weight, padding=1, groups=2)
    expected = torch.relu(block.bn(conv) + x)
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)


def test_adaptive_block_offsets_follow_the_affine_transform():
    """A = [[a, b], [c, d]] acting on taps (dy, dx), plus translation (ty, tx), as in DeepLabCut."""
    block = AdaptiveConvBlock(channels=1, groups=1)
    with torch.no_grad():
        block.transform_matrix_conv.weight.zero_()
        block.transform_matrix_conv.bias.copy_(torch.tensor([2.0, 0.5, -1.0, 3.0]))
        block.translation_conv.weight.zero_()
        block.translation_conv.bias.copy_(torch.tensor([0.25, -0.75]))
    offsets = block.sampling_offsets(torch.zeros(1, 1, 2, 2)).view(9, 2, 2, 2)[:, :, 0, 0]
    taps = torch.tensor([[dy, dx] for dy in (-1.0, 0.0, 1.0) for dx in (-1.0, 0.0, 1.0)])
    matrix = torch.tensor([[2.0, 0.5], [-1.0, 3.0]])
    expected = taps @ matrix.T + torch.tensor([0.25, -0.75]) - taps
    torch.testing.assert_close(offsets, expected)
