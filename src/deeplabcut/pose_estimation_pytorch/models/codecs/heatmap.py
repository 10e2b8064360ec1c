"""Gaussian heatmaps with location refinement (locref), decoded by argmax.

Used for unique bodyparts (one instance per image). Geometry as in DeepLabCut:
cell ``i`` of a stride-``s`` map is centred at pixel ``i*s + s/2``; the
Gaussian has sigma ``2 * pos_dist_thresh / 3`` pixels; locref targets are
``(keypoint - cell_centre) / locref_std`` in the disk of radius
``pos_dist_thresh`` pixels around the keypoint, where their weight is 1.
"""

from __future__ import annotations

import math

import torch

from deeplabcut.pose_estimation_pytorch.models.codecs.base import Codec
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS


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
        stride: float | None = None,
    ) -> None:
        self.num_heatmaps = int(num_heatmaps)
        self.pos_dist_thresh = float(pos_dist_thresh)
        self.sigma = 2.0 * self.pos_dist_thresh / 3.0
        self.locref_std = float(locref_std)
        self.generate_locref = generate_locref
        self.location_refinement = location_refinement
        self.apply_sigmoid = apply_sigmoid
        self.clip_scores = clip_scores
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
            visibility: ``(B, A, K)`` or ``(B, K)``; > 0 labeled. A heatmap channel
                has weight 0 in an image where no instance has that keypoint.
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
        channel_weight = valid.any(1).float()  # (B, K)
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
            argmax of each heatmap, moved by ``locref * locref_std``.
        """
        stride = self._stride(stride)
        heatmap = outputs["heatmap"].float()
        if self.apply_sigmoid:
            heatmap = heatmap.sigmoid()
        batch, num_keypoints, out_h, out_w = heatmap.shape
        scores, index = heatmap.reshape(batch, num_keypoints, -1).max(dim=2)  # (B, K)
        x = (index % out_w).float() * stride + stride / 2
        y = torch.div(index, out_w, rounding_mode="floor").float() * stride + stride / 2
        if self.location_refinement and "locref" in outputs:
            locref = outputs["locref"].float().reshape(batch, num_keypoints, 2, -1)
            refinement = locref.gather(3, index[:, :, None, None].expand(-1, -1, 2, 1))[..., 0]
            x = x + refinement[..., 0] * self.locref_std
            y = y + refinement[..., 1] * self.locref_std
        if self.clip_scores:
            scores = scores.clamp(0.0, 1.0)
        return torch.stack([x, y, scores], dim=-1)[:, None]
