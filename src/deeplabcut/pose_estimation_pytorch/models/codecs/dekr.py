"""DEKR targets and decoding: center heatmaps plus per-pixel keypoint offsets.

Geometry (DeepLabCut's conventions): a map of stride ``s`` has cell ``i``
centred at pixel ``i*s + s/2``, so image coordinate ``x`` is feature
coordinate ``(x - s/2) / s``. The heatmap output has ``K + 1`` channels, the
animal center (mean of its visible keypoints) last. The offset output has
``2K`` channels ``(x_0, y_0, x_1, y_1...)``: at cell ``c`` near an animal's
center, ``offset_k = c - keypoint_k`` in feature units, so a keypoint is
decoded as ``c - offset_k``.

Deliberate differences from DeepLabCut 3's ``DEKRGenerator``/``DEKRPredictor``:

* keypoints anywhere inside the image are drawn (DeepLabCut skips those
  within half a cell of the left/top border);
* on overlapping offset squares the smallest animal *having that keypoint*
  wins (DeepLabCut compares areas per cell over all keypoints);
* decoding drops center peaks below ``detection_threshold`` (DeepLabCut
  stores the value but keeps the top ``max_individuals`` peaks regardless),
  and rows are sorted by pose score (mean keypoint score), missing rows -1.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import box_area, keypoint_boxes
from deeplabcut.pose_estimation_pytorch.models.codecs.base import Codec
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS

SCORE_TYPES = ("combined", "heatmap", "center")


@CODECS.register("DEKRCodec")
class DEKRCodec(Codec):
    """Encode keypoints into DEKR targets and decode DEKR outputs into poses.

    Args:
        num_bodyparts: K, keypoints per animal (without the center).
        max_individuals: rows of decoded poses (animals looked for per image).
        pos_dist_thresh: pixels; keypoint Gaussians have sigma ``pos_dist_thresh / 2``
            and the center Gaussian ``pos_dist_thresh`` (in pixels, i.e. 2.125 and
            4.25 cells at stride 4); offsets are written in a square of half-size
            ``pos_dist_thresh`` pixels around the center.
        bg_weight: heatmap loss weight of pixels outside every drawn Gaussian window.
        bbox_margin: pixels added around the keypoints to make the animal box
            whose area weighs the offsets (``1/sqrt(area)``).
        center_nms_kernel: window (cells) of the max-pool NMS on the center heatmap.
        detection_threshold: center peaks below this are not animals.
        keypoint_score_type: ``combined`` (center peak x keypoint heatmap),
            ``heatmap`` or ``center``.
        apply_sigmoid: apply a sigmoid to heatmaps before decoding (use with a
            focal loss, whose outputs are logits).
        clip_scores: clip scores to [0, 1].
        apply_pose_nms: suppress duplicate poses (see :meth:`pose_nms`).
        nms_threshold: two poses share a keypoint when it is closer than
            ``nms_threshold`` times the diagonal of the lower-scored pose's keypoints.
        nms_min_keypoints: poses sharing at least this many keypoints are duplicates.
        stride: pixels per output cell; set by the head from the backbone.
    """

    def __init__(
        self,
        num_bodyparts: int,
        max_individuals: int,
        pos_dist_thresh: float = 17.0,
        bg_weight: float = 0.1,
        bbox_margin: float = 20.0,
        center_nms_kernel: int = 5,
        detection_threshold: float = 0.01,
        keypoint_score_type: str = "combined",
        apply_sigmoid: bool = False,
        clip_scores: bool = True,
        apply_pose_nms: bool = True,
        nms_threshold: float = 0.05,
        nms_min_keypoints: int = 1,
        stride: float | None = None,
    ) -> None:
        if keypoint_score_type not in SCORE_TYPES:
            raise ConfigError(
                f"DEKRCodec keypoint_score_type must be one of {SCORE_TYPES}, got '{keypoint_score_type}'"
            )
        if center_nms_kernel % 2 != 1:
            raise ConfigError(f"DEKRCodec center_nms_kernel must be odd, got {center_nms_kernel}")
        if num_bodyparts < 1 or max_individuals < 1:
            raise ConfigError(
                f"DEKRCodec needs num_bodyparts >= 1 and max_individuals >= 1, "
                f"got {num_bodyparts} and {max_individuals}"
            )
        self.num_bodyparts = int(num_bodyparts)
        self.max_individuals = int(max_individuals)
        self.pos_dist_thresh = float(pos_dist_thresh)
        self.bg_weight = float(bg_weight)
        self.bbox_margin = float(bbox_margin)
        self.center_nms_kernel = int(center_nms_kernel)
        self.detection_threshold = float(detection_threshold)
        self.keypoint_score_type = keypoint_score_type
        self.apply_sigmoid = apply_sigmoid
        self.clip_scores = clip_scores
        self.apply_pose_nms = apply_pose_nms
        self.nms_threshold = float(nms_threshold)
        self.nms_min_keypoints = int(nms_min_keypoints)
        self.stride = stride

    # ------------------------------------------------------------------ encode
    @torch.no_grad()
    def encode(
        self,
        keypoints: torch.Tensor,
        visibility: torch.Tensor,
        image_size: tuple[int, int],
        stride: float | None = None,
        output_size: tuple[int, int] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training targets for a batch.

        Args:
            keypoints: ``(B, A, K, 2)`` pixel ``(x, y)`` in the input image; NaN or
                anything with visibility <= 0 is ignored.
            visibility: ``(B, A, K)``: > 0 labeled, 0 absent, < 0 "unknown" (the
                keypoint's heatmap gets weight 0 in that image).
            image_size: ``(H, W)`` of the input image in pixels.
            stride: pixels per output cell (default: ``self.stride``).
            output_size: ``(h, w)`` of the output maps (default ``ceil(H/s), ceil(W/s)``).

        Returns:
            float32 tensors on ``keypoints``' device: ``heatmap`` and
            ``heatmap_weight`` ``(B, K+1, h, w)``; ``offset`` and ``offset_weight``
            ``(B, 2K, h, w)``.
        """
        stride = self._stride(stride)
        height, width = image_size
        if output_size is None:
            output_size = (math.ceil(height / stride), math.ceil(width / stride))
        out_h, out_w = output_size
        keypoints = keypoints.float()
        visibility = visibility.float()
        batch, num_animals, num_keypoints, _ = keypoints.shape
        if num_keypoints != self.num_bodyparts:
            raise ValueError(f"DEKRCodec expects {self.num_bodyparts} bodyparts, got {num_keypoints}")
        device = keypoints.device

        x, y = keypoints[..., 0], keypoints[..., 1]
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)  # NaN compares False
        valid = (visibility > 0) & inside
        keypoints = torch.where(valid[..., None], keypoints, torch.zeros_like(keypoints))
        count = valid.sum(-1)
        center = keypoints.sum(-2) / count.clamp(min=1)[..., None]
        center_valid = count > 0

        points = torch.cat([keypoints, center[:, :, None]], dim=2)  # (B, A, K+1, 2) pixels
        points_valid = torch.cat([valid, center_valid[:, :, None]], dim=2)
        feature_points = (points - stride / 2) / stride
        sigma = torch.full((num_keypoints + 1,), self.pos_dist_thresh / 2 / stride, device=device)
        sigma[-1] = self.pos_dist_thresh / stride

        cols = torch.arange(out_w, device=device, dtype=torch.float32)
        rows = torch.arange(out_h, device=device, dtype=torch.float32)
        heatmap = torch.zeros(batch, num_keypoints + 1, out_h, out_w, device=device)
        drawn = torch.zeros(batch, num_keypoints + 1, out_h, out_w, dtype=torch.bool, device=device)
        for animal in range(num_animals):
            fx = feature_points[:, animal, :, 0, None]  # (B, K+1, 1)
            fy = feature_points[:, animal, :, 1, None]
            gauss_x, window_x = _gaussian_1d(cols, fx, sigma[:, None])
            gauss_y, window_y = _gaussian_1d(rows, fy, sigma[:, None])
            window = window_y[..., :, None] & window_x[..., None, :] & points_valid[:, animal, :, None, None]
            gaussian = gauss_y[..., :, None] * gauss_x[..., None, :]
            heatmap = torch.maximum(heatmap, torch.where(window, gaussian, torch.zeros_like(gaussian)))
            drawn |= window
        heatmap_weight = torch.where(drawn, 1.0, self.bg_weight)
        unknown = torch.cat(
            [(visibility < 0).any(1), torch.zeros(batch, 1, dtype=torch.bool, device=device)], dim=1
        )
        heatmap_weight = heatmap_weight.masked_fill(unknown[..., None, None], 0.0)

        offset, offset_weight = self._encode_offsets(
            feature_points[:, :, :num_keypoints], valid, center, center_valid, keypoints,
            image_size, stride, (out_h, out_w),
        )
        return {
            "heatmap": heatmap,
            "heatmap_weight": heatmap_weight,
            "offset": offset,
            "offset_weight": offset_weight,
        }

    def animal_areas(
        self, keypoints: torch.Tensor, valid: torch.Tensor, image_size: tuple[int, int]
    ) -> torch.Tensor:
        """Pixel area ``(B, A)`` of each animal's box: keypoint extent + ``bbox_margin``, clipped to the image.

        At least 1 square pixel; NaN for an animal without a valid keypoint (it claims no offsets).
        ``image_size`` is ``(height, width)``.
        """
        height, width = image_size
        boxes = keypoint_boxes(keypoints, self.bbox_margin, image_size=(width, height), visible=valid)
        return box_area(boxes).clamp(min=1.0)

    def _encode_offsets(
        self,
        feature_keypoints: torch.Tensor,
        valid: torch.Tensor,
        center: torch.Tensor,
        center_valid: torch.Tensor,
        keypoints: torch.Tensor,
        image_size: tuple[int, int],
        stride: float,
        output_size: tuple[int, int],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out_h, out_w = output_size
        batch, num_animals, num_keypoints, _ = feature_keypoints.shape
        device = feature_keypoints.device
        area = self.animal_areas(keypoints, valid, image_size)  # (B, A)
        radius = self.pos_dist_thresh / stride
        # The offset square is centred on the center's pixel truncated to an integer.
        center_cell = (torch.floor(center) - stride / 2) / stride  # (B, A, 2)
        start = torch.trunc(center_cell - radius).clamp(min=0)
        end_x = torch.trunc(center_cell[..., 0] + radius).clamp(max=out_w)
        end_y = torch.trunc(center_cell[..., 1] + radius).clamp(max=out_h)
        cols = torch.arange(out_w, device=device, dtype=torch.float32)
        rows = torch.arange(out_h, device=device, dtype=torch.float32)
        in_x = (cols >= start[..., 0, None]) & (cols < end_x[..., None])  # (B, A, w)
        in_y = (rows >= start[..., 1, None]) & (rows < end_y[..., None])  # (B, A, h)
        square = in_y[..., :, None] & in_x[..., None, :] & center_valid[..., None, None]  # (B, A, h, w)

        offset_x = torch.zeros(batch, num_keypoints, out_h, out_w, device=device)
        offset_y = torch.zeros_like(offset_x)
        weight = torch.zeros_like(offset_x)
        best_area = torch.full_like(offset_x, float("inf"))
        for animal in range(num_animals):
            animal_area = area[:, animal, None, None, None]
            claims = square[:, animal, None] & valid[:, animal, :, None, None] & (animal_area <= best_area)
            dx = cols - feature_keypoints[:, animal, :, 0, None, None]  # (B, K, 1, w)
            dy = rows[:, None] - feature_keypoints[:, animal, :, 1, None, None]  # (B, K, h, 1)
            offset_x = torch.where(claims, dx, offset_x)
            offset_y = torch.where(claims, dy, offset_y)
            weight = torch.where(claims, animal_area.rsqrt(), weight)
            best_area = torch.where(claims, animal_area, best_area)
        offset = torch.stack([offset_x, offset_y], dim=2).reshape(batch, 2 * num_keypoints, out_h, out_w)
        offset_weight = weight.repeat_interleave(2, dim=1)
        return offset, offset_weight

    # ------------------------------------------------------------------ decode
    @torch.no_grad()
    def decode(self, outputs: dict[str, torch.Tensor], stride: float | None = None) -> torch.Tensor:
        """Poses from DEKR outputs.

        Args:
            outputs: ``heatmap`` ``(B, K+1, h, w)`` and ``offset`` ``(B, 2K, h, w)``.
            stride: pixels per output cell (default: ``self.stride``).

        Returns:
            float32 ``(B, max_individuals, K, 3)``: ``(x, y, score)`` in input-image
            pixels, rows sorted by decreasing pose score, missing rows all -1.
        """
        stride = self._stride(stride)
        heatmap = outputs["heatmap"].float()
        offset = outputs["offset"].float()
        if self.apply_sigmoid:
            heatmap = heatmap.sigmoid()
        batch, num_channels, out_h, out_w = heatmap.shape
        num_keypoints = num_channels - 1
        if num_keypoints != self.num_bodyparts or offset.shape[1] != 2 * num_keypoints:
            raise ValueError(
                f"DEKRCodec expects {self.num_bodyparts + 1} heatmap and {2 * self.num_bodyparts} offset "
                f"channels, got {num_channels} and {offset.shape[1]}"
            )
        num_cells = out_h * out_w
        num_proposals = min(self.max_individuals, num_cells)

        center = heatmap[:, -1]
        pooled = F.max_pool2d(center[:, None], self.center_nms_kernel, 1, self.center_nms_kernel // 2)[:, 0]
        peaks = torch.where(center == pooled, center, torch.full_like(center, -float("inf")))
        center_scores, cell_index = peaks.reshape(batch, num_cells).topk(num_proposals, dim=1)
        found = center_scores >= self.detection_threshold  # -inf (no peak) is never found

        cell_xy = torch.stack([cell_index % out_w, cell_index // out_w], dim=-1).float()  # (B, P, 2)
        offsets_at_peaks = offset.reshape(batch, num_keypoints, 2, num_cells).gather(
            3, cell_index[:, None, None, :].expand(-1, num_keypoints, 2, -1)
        )  # (B, K, 2, P)
        feature_poses = cell_xy[:, :, None, :] - offsets_at_peaks.permute(0, 3, 1, 2)  # (B, P, K, 2)

        scores = self._keypoint_scores(feature_poses, heatmap[:, :-1], center_scores)
        if self.clip_scores:
            scores = scores.clamp(0.0, 1.0)
        poses = torch.cat([feature_poses * stride + stride / 2, scores[..., None]], dim=-1)

        keep = self.pose_nms(poses[..., :2], found) if self.apply_pose_nms else found
        return _sort_and_pad(poses, keep, self.max_individuals)

    def _keypoint_scores(
        self, feature_poses: torch.Tensor, keypoint_heatmaps: torch.Tensor, center_scores: torch.Tensor
    ) -> torch.Tensor:
        """``(B, P, K)`` scores; the heatmap value is read at ``floor(pose)``, clamped into the map."""
        batch, _, num_keypoints, _ = feature_poses.shape
        out_h, out_w = keypoint_heatmaps.shape[-2:]
        if self.keypoint_score_type == "center":
            return center_scores[..., None].expand(-1, -1, num_keypoints)
        col = feature_poses[..., 0].floor().clamp(0, out_w - 1).long()
        row = feature_poses[..., 1].floor().clamp(0, out_h - 1).long()
        index = (row * out_w + col).permute(0, 2, 1)  # (B, K, P)
        heat = keypoint_heatmaps.reshape(batch, num_keypoints, -1).gather(2, index).permute(0, 2, 1)
        if self.keypoint_score_type == "heatmap":
            return heat
        return heat * center_scores[..., None]

    def pose_nms(self, poses_xy: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """Greedy pose NMS over proposals in center-score order.

        Args:
            poses_xy: ``(B, P, K, 2)`` proposals, highest center score first.
            candidates: ``(B, P)`` proposals taking part (found animals).

        Returns:
            ``(B, P)`` proposals kept.

        Proposal ``j`` is dropped when a kept proposal ``i < j`` has at least
        ``nms_min_keypoints`` keypoints closer than ``nms_threshold * diagonal_j``,
        where ``diagonal_j`` is the diagonal of proposal ``j``'s keypoint extent
        (at least 1 pixel).
        """
        num_proposals = poses_xy.shape[1]
        extent = poses_xy.amax(2) - poses_xy.amin(2)  # (B, P, 2)
        diagonal = extent.pow(2).sum(-1).clamp(min=1.0).sqrt()  # (B, P)
        distance = (poses_xy[:, :, None] - poses_xy[:, None, :]).norm(dim=-1)  # (B, P, P, K)
        close = distance < self.nms_threshold * diagonal[:, None, :, None]
        duplicate = close.sum(-1) >= self.nms_min_keypoints  # (B, i, j)
        keep = candidates.clone()
        for j in range(1, num_proposals):
            suppressed = (duplicate[:, :j, j] & keep[:, :j]).any(1)
            keep[:, j] &= ~suppressed
        return keep


def _gaussian_1d(
    grid: torch.Tensor, mean: torch.Tensor, sigma: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Separable Gaussian factor ``exp(-(grid-mean)^2 / 2 sigma^2)`` and DEKR's drawing window.

    The window is ``[floor(mean - 3 sigma - 1), ceil(mean + 3 sigma + 2))`` in cells.
    """
    gaussian = torch.exp(-((grid - mean) ** 2) / (2 * sigma**2))
    window = (grid >= torch.floor(mean - 3 * sigma - 1)) & (grid < torch.ceil(mean + 3 * sigma + 2))
    return gaussian, window


def _sort_and_pad(poses: torch.Tensor, keep: torch.Tensor, rows: int) -> torch.Tensor:
    """Kept poses ``(B, P, K, 3)`` sorted by mean keypoint score, padded with -1 to ``rows``."""
    batch, num_proposals, num_keypoints, _ = poses.shape
    pose_score = torch.where(keep, poses[..., 2].mean(-1), torch.full_like(poses[..., 0, 0], -float("inf")))
    order = pose_score.argsort(dim=1, descending=True, stable=True)
    poses = poses.gather(1, order[:, :, None, None].expand(-1, -1, num_keypoints, 3))
    keep = keep.gather(1, order)
    poses = torch.where(keep[:, :, None, None], poses, torch.full_like(poses, -1.0))
    if num_proposals < rows:
        padding = poses.new_full((batch, rows - num_proposals, num_keypoints, 3), -1.0)
        poses = torch.cat([poses, padding], dim=1)
    return poses
