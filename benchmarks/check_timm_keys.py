"""One-off check, to run where timm (and ideally torchvision) IS installed, e.g. the GPU machine.

    PYTHONPATH=src python benchmarks/check_timm_keys.py

1. Builds timm's ``hrnet_w18/w32/w48`` with ``features_only=True`` (DeepLabCut's
   call: ``feature_location=""`` and ``"incre"``, ``out_indices=(1, 2, 3, 4)``) and
   compares state-dict key names and shapes with ours (``HRNetFeatures``); then
   loads timm's weights into ours and compares the four outputs.
2. If torchvision is importable: compares our grid_sample deformable convolution
   with ``torchvision.ops.deform_conv2d``, and our grouped ``AdaptiveConvBlock``
   with DeepLabCut's per-keypoint AdaptBlock recipe (affine offsets fed to
   ``DeformConv2d``), using the same weights.

Prints one verdict line per check and exits 1 if any fails. Not imported by tests.
``--skip-torchvision`` runs the HRNet checks only (e.g. where timm imports but
torchvision is a stand-in).
"""

from __future__ import annotations

import sys

import torch

from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNetFeatures
from deeplabcut.pose_estimation_pytorch.models.modules.adaptive_conv import AdaptiveConvBlock, deform_conv3x3


def check_hrnet(model_name: str, incre: bool) -> bool:
    import timm

    width = int(model_name.split("_w")[1])
    theirs = timm.create_model(
        model_name,
        pretrained=False,
        features_only=True,
        feature_location="incre" if incre else "",
        out_indices=(1, 2, 3, 4),
    ).eval()
    ours = HRNetFeatures(width, increased_channel_count=incre).eval()
    their_shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    only_theirs = sorted(set(their_shapes) - set(our_shapes))
    only_ours = sorted(set(our_shapes) - set(their_shapes))
    shape_diff = sorted(k for k in set(their_shapes) & set(our_shapes) if their_shapes[k] != our_shapes[k])
    label = f"{model_name} features_only feature_location={'incre' if incre else repr('')}"
    if only_theirs or only_ours or shape_diff:
        print(f"MISMATCH {label}: {len(only_theirs)} keys only in timm {only_theirs[:5]}, "
              f"{len(only_ours)} only in ours {only_ours[:5]}, {len(shape_diff)} shapes differ {shape_diff[:5]}")
        return False
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.01)
        ours.load_state_dict(theirs.state_dict(), strict=True)
        images = torch.randn(2, 3, 256, 192)
        their_out, our_out = theirs(images), ours(images)
    difference = max((a - b).abs().max().item() for a, b in zip(their_out, our_out))
    scale = max(a.abs().max().item() for a in their_out)
    ok = difference <= 1e-4 * max(scale, 1.0)
    print(f"{'OK' if ok else 'MISMATCH'} {label}: {len(our_shapes)} keys, identical names and shapes; "
          f"outputs max |diff| {difference:.2e} (max |value| {scale:.2e}); channels {[o.shape[1] for o in our_out]}")
    return ok


def check_deform_conv() -> bool:
    import torchvision

    torch.manual_seed(0)
    x = torch.randn(2, 6, 11, 13)
    weight = torch.randn(4, 6, 3, 3)
    offset = torch.randn(2, 18, 11, 13) * 2
    theirs = torchvision.ops.deform_conv2d(x, offset, weight, padding=1)
    ours = deform_conv3x3(x, offset, weight)
    difference = (theirs - ours).abs().max().item()
    ok = difference <= 1e-4 * max(1.0, theirs.abs().max().item())
    print(f"{'OK' if ok else 'MISMATCH'} deform_conv3x3 vs torchvision.ops.deform_conv2d: max |diff| {difference:.2e}")
    return ok


def check_adapt_block(num_keypoints: int = 3, channels: int = 15) -> bool:
    """Our grouped block vs DeepLabCut's per-keypoint AdaptBlock forward (torchvision DeformConv2d)."""
    import torchvision

    torch.manual_seed(1)
    ours = AdaptiveConvBlock(channels, groups=num_keypoints).eval()
    with torch.no_grad():
        for parameter in ours.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.3)
        ours.bn.running_var.uniform_(0.5, 1.5)
        ours.bn.running_mean.normal_()
    x = torch.randn(2, channels * num_keypoints, 9, 10)
    regular = torch.tensor([[-1, -1, -1, 0, 0, 0, 1, 1, 1], [-1, 0, 1, -1, 0, 1, -1, 0, 1]]).float()
    outputs = []
    with torch.no_grad():
        for k in range(num_keypoints):
            xk = x[:, k * channels : (k + 1) * channels]
            n, _, h, w = xk.shape
            matrix_conv = ours.transform_matrix_conv
            matrix = torch.nn.functional.conv2d(
                xk, matrix_conv.weight[4 * k : 4 * k + 4], matrix_conv.bias[4 * k : 4 * k + 4], padding=1
            )
            matrix = matrix.permute(0, 2, 3, 1).reshape(n * h * w, 2, 2)
            offset = torch.matmul(matrix, regular) - regular
            offset = offset.transpose(1, 2).reshape(n, h, w, 18).permute(0, 3, 1, 2).contiguous()
            translation_conv = ours.translation_conv
            translation = torch.nn.functional.conv2d(
                xk, translation_conv.weight[2 * k : 2 * k + 2], translation_conv.bias[2 * k : 2 * k + 2], padding=1
            )
            offset[:, 0::2] += translation[:, 0:1]
            offset[:, 1::2] += translation[:, 1:2]
            weight = ours.adapt_conv.weight[k * channels : (k + 1) * channels]
            out = torchvision.ops.deform_conv2d(xk, offset, weight, padding=1)
            bn = ours.bn
            sl = slice(k * channels, (k + 1) * channels)
            out = torch.nn.functional.batch_norm(
                out, bn.running_mean[sl], bn.running_var[sl], bn.weight[sl], bn.bias[sl], False, 0.0, bn.eps
            )
            outputs.append(torch.relu(out + xk))
        theirs = torch.cat(outputs, 1)
        mine = ours(x)
    difference = (theirs - mine).abs().max().item()
    ok = difference <= 1e-4 * max(1.0, theirs.abs().max().item())
    print(f"{'OK' if ok else 'MISMATCH'} grouped AdaptiveConvBlock vs DeepLabCut AdaptBlock recipe: max |diff| {difference:.2e}")
    return ok


def main() -> int:
    skip_torchvision = "--skip-torchvision" in sys.argv
    results = []
    try:
        import timm  # noqa: F401

        print(f"timm {timm.__version__}, torch {torch.__version__}")
        for model_name in ("hrnet_w18", "hrnet_w32", "hrnet_w48"):
            for incre in (False, True):
                results.append(check_hrnet(model_name, incre))
    except ImportError:
        print("SKIPPED HRNet checks: timm is not installed")
    try:
        if skip_torchvision:
            raise ImportError("--skip-torchvision")
        import torchvision

        print(f"torchvision {torchvision.__version__}")
        results.append(check_deform_conv())
        results.append(check_adapt_block())
    except ImportError:
        print("SKIPPED deformable-convolution checks: torchvision is not installed")
    verdict = "ALL OK" if results and all(results) else ("NOTHING CHECKED" if not results else "SOME CHECKS FAILED")
    print(f"VERDICT: {verdict} ({sum(results)}/{len(results)} checks passed)")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
