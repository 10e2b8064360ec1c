"""Gaussian heatmaps with location refinement (locref), decoded by argmax plus a sub-cell step.

Used for unique bodyparts (one instance per image) and by TokenPose (one
animal per crop). Geometry as in DeepLabCut: cell ``i`` of a stride-``s`` map
is centred at pixel ``i*s + s/2``; the Gaussian has sigma
``2 * pos_dist_thresh / 3`` pixels; locref targets are
``(keypoint - cell_centre) / locref_std`` in the disk of radius
``pos_dist_thresh`` pixels around the keypoint, where their weight is 1.

Weights of a heatmap channel in an image where no instance of its keypoint is
visible, as DeepLabCut 3's ``HeatmapGaussianGenerator``: with
``gradient_masking`` (top-down heads: a crop's keypoint with visibility 0 may be
an occluded one nobody labeled) the channel gets ``background_weight``; without
it (unique bodyparts: one per image, so a labeled one outside an augmented crop
is known to be absent from it) the channel is trained as background at weight 1.
A keypoint with visibility < 0 (unlabeled, so unknown) masks its channel either way.

Decoding takes each heatmap's argmax cell, then moves it within the cell:

* by the ``locref`` output when the head has one and ``location_refinement`` is on;
* otherwise by the ``refinement`` read from the heatmap itself:
  ``none`` (the cell centre), ``quarter`` (a quarter cell toward the higher
  of the two neighbours on each axis, as in Newell et al. 2016 and
  SimpleBaseline), or ``dark`` (Zhang et al., CVPR 2020, "Distribution-Aware
  Coordinate Representation": blur the heatmap with a Gaussian, take its
  log, and step to the maximum of the second-order Taylor expansion around
  the argmax, i.e. one Newton step).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.codecs.base import Codec
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS

REFINEMENTS = ("none", "quarter", "dark")


@CODECS.register("HeatmapCodec")
class HeatmapCodec(Codec):
    """Encode keypoints into Gaussian heatmaps (+ locref) and decode them by argmax.

    Args:
        num_heatmaps: keypoints (channels) predicted.
        pos_dist_thresh: pixels; radius of the locref disk, 1.5x the Gaussian sigma.
        locref_std: pixels per unit of the locref outputs.
        generate_locref: make locref targets (the head must output ``locref``).
        location_refinement: add the locref vector when decoding.
        apply_sigmoid: apply a sigmoid to heatmaps before decoding.
        clip_scores: clip scores to [0, 1].
        refinement: sub-cell refinement of the argmax when no locref is decoded:
            ``none`` (default), ``quarter`` or ``dark`` (see the module docstring).
        dark_kernel: side (cells, odd) of DARK's Gaussian blur, whose sigma is
            OpenCV's default for that side (11 -> 2 cells, DARK's setting for
            sigma-2 heatmaps at 64x48); 1 skips the blur.
        gradient_masking: weigh a channel whose keypoint is not visible in the image by
            ``background_weight`` instead of training it as background (module docstring).
        background_weight: that weight (default 0: the channel is not trained, as in DeepLabCut 3's top-down heads).
        stride: pixels per output cell; set by the head from the backbone.
    """

    def __init__(
        self,
        num_heatmaps: int,
        pos_dist_thresh: float = 17.0,
        locref_std: float = 7.2801,
        generate_locref: bool = True,
        location_refinement: bool = True,
        apply_sigmoid: bool = False,
        clip_scores: bool = True,
        refinement: str = "none",
        dark_kernel: int = 11,
        gradient_masking: bool = True,
        background_weight: float = 0.0,
        stride: float | None = None,
    ) -> None:
        if refinement not in REFINEMENTS:
            raise ConfigError(f"HeatmapCodec refinement must be one of {REFINEMENTS}, got '{refinement}'")
        if dark_kernel < 1 or dark_kernel % 2 != 1:
            raise ConfigError(f"HeatmapCodec dark_kernel must be a positive odd number of cells, got {dark_kernel}")
        self.num_heatmaps = int(num_heatmaps)
        self.pos_dist_thresh = float(pos_dist_thresh)
        self.sigma = 2.0 * self.pos_dist_thresh / 3.0
        self.locref_std = float(locref_std)
        self.generate_locref = generate_locref
        self.location_refinement = location_refinement
        self.apply_sigmoid = apply_sigmoid
        self.clip_scores = clip_scores
        self.refinement = refinement
        self.dark_kernel = int(dark_kernel)
        self.gradient_masking = bool(gradient_masking)
        self.background_weight = float(background_weight)
        self.stride = stride

    @torch.no_grad()
    def encode(
        self,
        keypoints: torch.Tensor,
        visibility: torch.Tensor,
        image_size: tuple[int, int],
        stride: float | None = None,
        output_size: tuple[int, int] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training targets.

        Args:
            keypoints: ``(B, A, K, 2)`` or ``(B, K, 2)`` pixel ``(x, y)`` in the input image.
            visibility: ``(B, A, K)`` or ``(B, K)``: > 0 visible, 0 not in the image
                (or, for animals' keypoints, unlabeled), < 0 unlabeled. The weight of a
                channel without a visible instance follows ``gradient_masking`` (module docstring).
            image_size: ``(H, W)`` input pixels.
            stride: pixels per output cell (default ``self.stride``).
            output_size: ``(h, w)`` of the outputs (default ``ceil(H/s), ceil(W/s)``).

        Returns:
            float32 ``heatmap``, ``heatmap_weight`` ``(B, K, h, w)`` and, with
            ``generate_locref``, ``locref``, ``locref_weight`` ``(B, 2K, h, w)``
            (channels ``dx_0, dy_0, dx_1...``).
        """
        stride = self._stride(stride)
        height, width = image_size
        if output_size is None:
            output_size = (math.ceil(height / stride), math.ceil(width / stride))
        out_h, out_w = output_size
        keypoints = keypoints.float()
        visibility = visibility.float()
        if keypoints.dim() == 3:
            keypoints, visibility = keypoints[:, None], visibility[:, None]
        batch, num_animals, num_keypoints, _ = keypoints.shape
        if num_keypoints != self.num_heatmaps:
            raise ValueError(f"HeatmapCodec expects {self.num_heatmaps} keypoints, got {num_keypoints}")
        device = keypoints.device
        x, y = keypoints[..., 0], keypoints[..., 1]
        valid = (visibility > 0) & torch.isfinite(x) & torch.isfinite(y)

        centres_x = torch.arange(out_w, device=device, dtype=torch.float32) * stride + stride / 2
        centres_y = torch.arange(out_h, device=device, dtype=torch.float32) * stride + stride / 2
        # (B, A, K, h, w) squared distances; invalid instances are infinitely far.
        dx = keypoints[..., 0, None, None] - centres_x  # (B, A, K, 1, w)
        dy = keypoints[..., 1, None, None] - centres_y[:, None]  # (B, A, K, h, 1)
        distance_sq = dx**2 + dy**2
        distance_sq = torch.where(valid[..., None, None], distance_sq, torch.full_like(distance_sq, float("inf")))
        nearest_sq, nearest = distance_sq.min(dim=1)  # (B, K, h, w)
        heatmap = torch.exp(-nearest_sq / (2 * self.sigma**2))
        seen = valid.any(1)  # (B, K)
        absent_weight = self.background_weight if self.gradient_masking else 1.0
        channel_weight = torch.where(seen, 1.0, absent_weight)
        channel_weight = channel_weight.masked_fill(~seen & (visibility < 0).any(1), 0.0)  # unknown: not trained
        targets = {
            "heatmap": heatmap,
            "heatmap_weight": channel_weight[..., None, None].expand_as(heatmap).contiguous(),
        }
        if self.generate_locref:
            index = nearest[:, None]  # (B, 1, K, h, w)
            dx_full = dx.expand(-1, -1, -1, out_h, -1)
            dy_full = dy.expand(-1, -1, -1, -1, out_w)
            locref_x = dx_full.gather(1, index)[:, 0] / self.locref_std
            locref_y = dy_full.gather(1, index)[:, 0] / self.locref_std
            inside = (nearest_sq <= self.pos_dist_thresh**2).float()
            locref = torch.stack([locref_x, locref_y], dim=2).reshape(batch, 2 * num_keypoints, out_h, out_w)
            targets["locref"] = torch.nan_to_num(locref * inside.repeat_interleave(2, dim=1))
            targets["locref_weight"] = inside.repeat_interleave(2, dim=1)
        return targets

    @torch.no_grad()
    def decode(self, outputs: dict[str, torch.Tensor], stride: float | None = None) -> torch.Tensor:
        """Keypoints from ``heatmap`` ``(B, K, h, w)`` (and ``locref`` ``(B, 2K, h, w)``).

        Returns:
            float32 ``(B, 1, K, 3)``: ``(x, y, score)`` in input-image pixels at the
            argmax of each heatmap, moved by ``locref * locref_std`` or, without
            locref, by :attr:`refinement`; the score is the heatmap's maximum.
        """
        stride = self._stride(stride)
        heatmap = outputs["heatmap"].float()
        if self.apply_sigmoid:
            heatmap = heatmap.sigmoid()
        batch, num_keypoints, out_h, out_w = heatmap.shape
        scores, index = heatmap.reshape(batch, num_keypoints, out_h * out_w).max(dim=2)  # (B, K)
        col = index % out_w
        row = torch.div(index, out_w, rounding_mode="floor")
        x = col.float() * stride + stride / 2
        y = row.float() * stride + stride / 2
        use_locref = self.location_refinement and "locref" in outputs
        if not use_locref and self.refinement != "none":
            if self.refinement == "quarter":
                step_x, step_y = quarter_offsets(heatmap, col, row)
            else:
                step_x, step_y = dark_offsets(heatmap, col, row, self.dark_kernel)
            x = x + step_x * stride
            y = y + step_y * stride
        if use_locref:
            locref = outputs["locref"].float().reshape(batch, num_keypoints, 2, -1)
            refinement = locref.gather(3, index[:, :, None, None].expand(-1, -1, 2, 1))[..., 0]
            x = x + refinement[..., 0] * self.locref_std
            y = y + refinement[..., 1] * self.locref_std
        if self.clip_scores:
            scores = scores.clamp(0.0, 1.0)
        return torch.stack([x, y, scores], dim=-1)[:, None]


def _values_at(maps: torch.Tensor, row: torch.Tensor, col: torch.Tensor) -> torch.Tensor:
    """``maps[b, k, row[b, k], col[b, k]]`` for maps ``(B, K, h, w)``, indices clamped inside."""
    batch, channels, height, width = maps.shape
    index = row.clamp(0, height - 1) * width + col.clamp(0, width - 1)
    return maps.reshape(batch, channels, -1).gather(2, index[..., None])[..., 0]


def quarter_offsets(
    heatmap: torch.Tensor, col: torch.Tensor, row: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Quarter-cell steps ``(dx, dy)`` (cells, each ``(B, K)``) from the argmax toward the higher neighbour.

    A step is 0 on an axis where the argmax lies on the map's border or both
    neighbours are equal.
    """
    height, width = heatmap.shape[-2:]
    dx = _values_at(heatmap, row, col + 1) - _values_at(heatmap, row, col - 1)
    dy = _values_at(heatmap, row + 1, col) - _values_at(heatmap, row - 1, col)
    inside_x = (col > 0) & (col < width - 1)
    inside_y = (row > 0) & (row < height - 1)
    step_x = torch.where(inside_x, 0.25 * torch.sign(dx), torch.zeros_like(dx))
    step_y = torch.where(inside_y, 0.25 * torch.sign(dy), torch.zeros_like(dy))
    return step_x, step_y


def gaussian_blur(maps: torch.Tensor, kernel: int) -> torch.Tensor:
    """Maps ``(B, K, h, w)`` blurred by a ``kernel x kernel`` Gaussian, zero outside the map.

    The sigma is OpenCV's default for that kernel, ``0.3 * ((kernel - 1) / 2 - 1) + 0.8``.
    """
    if kernel == 1:
        return maps
    sigma = 0.3 * ((kernel - 1) / 2 - 1) + 0.8
    taps = torch.arange(kernel, dtype=maps.dtype, device=maps.device) - kernel // 2
    weights = torch.exp(-(taps**2) / (2 * sigma**2))
    weights = weights / weights.sum()
    batch, channels, height, width = maps.shape
    flat = maps.reshape(batch * channels, 1, height, width)
    flat = F.conv2d(flat, weights.view(1, 1, 1, kernel), padding=(0, kernel // 2))
    flat = F.conv2d(flat, weights.view(1, 1, kernel, 1), padding=(kernel // 2, 0))
    return flat.reshape(batch, channels, height, width)


def dark_offsets(
    heatmap: torch.Tensor, col: torch.Tensor, row: torch.Tensor, kernel: int = 11
) -> tuple[torch.Tensor, torch.Tensor]:
    """DARK's sub-cell steps ``(dx, dy)`` (cells, each ``(B, K)``) from the argmax cell.

    The heatmap is blurred (:func:`gaussian_blur`), rescaled to its original
    maximum, floored at 1e-3 of it, and its log ``L`` is expanded to second
    order around the argmax: with the gradient ``g`` (central differences)
    and the Hessian ``H`` (differences two cells apart, as DARK does), the
    maximum is at ``-H^-1 g``.

    Borders: DARK pads the map with zeros before blurring, which pulls peaks
    near the border inward by up to a few pixels. Here the blur never reads
    outside the map: near a border the kernel shrinks (down to no blur) so
    that every cell the expansion uses is blurred from cells of the map only,
    and an argmax less than two cells from the border is expanded around the
    nearest cell two cells inside. Both are exact for a Gaussian heatmap, so
    encode -> decode round trips everywhere; inside the map it is DARK as
    published. The step is 0 where ``H`` is not negative definite (no
    maximum), at most one cell on each axis, and never past the map's outer
    edge (the decoded point stays in the image). Maps smaller than 5 cells
    on a side are not refined.
    """
    height, width = heatmap.shape[-2:]
    zeros = torch.zeros(col.shape, dtype=heatmap.dtype, device=heatmap.device)
    if height < 5 or width < 5 or col.numel() == 0:
        return zeros, zeros.clone()
    cx, cy = col.clamp(2, width - 3), row.clamp(2, height - 3)
    # Largest blur radius whose window, around every cell used below, stays in the map.
    room = torch.minimum(torch.minimum(cx, width - 1 - cx), torch.minimum(cy, height - 1 - cy)) - 2
    radius = room.clamp(max=kernel // 2)
    # Maps as one batch (N, 1, h, w); each is blurred once, with its own radius.
    maps = heatmap.reshape(-1, 1, height, width)
    flat_cx, flat_cy, flat_radius = cx.reshape(-1), cy.reshape(-1), radius.reshape(-1)
    derivatives = torch.zeros(5, maps.shape[0], dtype=heatmap.dtype, device=heatmap.device)
    for blur_radius in range(int(flat_radius.max()) + 1):
        chosen = torch.nonzero(flat_radius == blur_radius)[:, 0]
        if chosen.numel() == 0:
            continue
        original = maps[chosen]
        peak = original.amax(dim=(2, 3), keepdim=True)
        blurred = gaussian_blur(original, 2 * blur_radius + 1)
        blurred = blurred * (peak / blurred.amax(dim=(2, 3), keepdim=True).clamp(min=1e-12))
        log_map = torch.log(torch.maximum(blurred, (peak * 1e-3).clamp(min=1e-10)))
        derivatives[:, chosen] = _log_derivatives(log_map, flat_cx[chosen, None], flat_cy[chosen, None])[..., 0]
    gx, gy, hxx, hyy, hxy = derivatives.reshape(5, *col.shape)
    det = hxx * hyy - hxy**2
    maximum = (hxx < 0) & (det > 1e-12)
    safe_det = torch.where(maximum, det, torch.ones_like(det))
    newton_x = -(hyy * gx - hxy * gy) / safe_det
    newton_y = -(hxx * gy - hxy * gx) / safe_det
    step_x = (cx - col).to(heatmap.dtype) + newton_x
    step_y = (cy - row).to(heatmap.dtype) + newton_y
    # At most one cell, and not past the map's outer edge (cell -0.5 or size - 0.5).
    step_x = step_x.clamp(-1.0, 1.0).clamp(-0.5 - col, width - 0.5 - col)
    step_y = step_y.clamp(-1.0, 1.0).clamp(-0.5 - row, height - 0.5 - row)
    return torch.where(maximum, step_x, zeros), torch.where(maximum, step_y, zeros)


def _log_derivatives(log_map: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor) -> torch.Tensor:
    """``(5, B, K)``: ``gx, gy, hxx, hyy, hxy`` of ``log_map`` at cells ``(cx, cy)``, finite differences."""

    def at(dy: int, dx: int) -> torch.Tensor:
        return _values_at(log_map, cy + dy, cx + dx)

    centre = at(0, 0)
    return torch.stack(
        [
            0.5 * (at(0, 1) - at(0, -1)),
            0.5 * (at(1, 0) - at(-1, 0)),
            0.25 * (at(0, 2) - 2 * centre + at(0, -2)),
            0.25 * (at(2, 0) - 2 * centre + at(-2, 0)),
            0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1)),
        ]
    )
