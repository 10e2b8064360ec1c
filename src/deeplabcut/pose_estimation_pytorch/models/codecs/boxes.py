"""Animal boxes as CenterNet-style targets (Zhou et al. 2019): centre heatmap, box size, centre offset.

Geometry (the same as the pose codecs): cell ``i`` of a stride-``s`` map is
centred at pixel ``i*s + s/2``, so pixel ``x`` is cell coordinate
``f = (x - s/2) / s``. A box ``[x1, y1, x2, y2]`` (pixels) is assigned to the
cell nearest its centre, where the targets are:

* ``heatmap`` ``(1 channel)``: a Gaussian peaking at exactly 1 on that cell, with
  sigma ``sigma_factor`` times the box's width (x) and height (y) in cells
  (an elliptical Gaussian as in TTFNet), at least ``min_sigma`` cells; the
  maximum over animals;
* ``size`` ``(2 channels)``: ``log(width / s)``, ``log(height / s)``;
* ``offset`` ``(2 channels)``: ``f - cell`` (cells) for the centre's sub-cell position.

``size`` and ``offset`` have weight 1 on the assigned cells only; when two
boxes share a cell, the smaller box keeps it. Decoding takes the local maxima
of the (sigmoid of the) centre heatmap, the ``max_individuals`` strongest
above ``score_threshold``, and reads the box at each.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.codecs.base import Codec
from deeplabcut.pose_estimation_pytorch.models.registry import CODECS


@CODECS.register("CenterBoxCodec")
class CenterBoxCodec(Codec):
    """Encode boxes into centre/size/offset targets and decode detector outputs into scored boxes.

    Args:
        max_individuals: rows of decoded boxes (animals looked for per image).
        sigma_factor: centre Gaussian sigma per box side (0.09 = TTFNet's alpha 0.54 / 6).
        min_sigma: smallest sigma, cells.
        nms_kernel: window (cells, odd) of the max-pool NMS on the centre heatmap.
        score_threshold: centre peaks below this are not animals.
        apply_sigmoid: the heatmap output is logits (trained with a focal loss).
        stride: pixels per output cell; set by the detector from its backbone.
    """

    def __init__(
        self,
        max_individuals: int,
        sigma_factor: float = 0.09,
        min_sigma: float = 0.8,
        nms_kernel: int = 3,
        score_threshold: float = 0.1,
        apply_sigmoid: bool = True,
        stride: float | None = None,
    ) -> None:
        if max_individuals < 1:
            raise ConfigError(f"CenterBoxCodec needs max_individuals >= 1, got {max_individuals}")
        if nms_kernel < 1 or nms_kernel % 2 != 1:
            raise ConfigError(f"CenterBoxCodec nms_kernel must be a positive odd number, got {nms_kernel}")
        if sigma_factor <= 0 or min_sigma <= 0:
            raise ConfigError(
                f"CenterBoxCodec sigma_factor and min_sigma must be positive, got {sigma_factor} and {min_sigma}"
            )
        self.max_individuals = int(max_individuals)
        self.sigma_factor = float(sigma_factor)
        self.min_sigma = float(min_sigma)
        self.nms_kernel = int(nms_kernel)
        self.score_threshold = float(score_threshold)
        self.apply_sigmoid = apply_sigmoid
        self.stride = stride

    @torch.no_grad()
    def encode(
        self,
        boxes: torch.Tensor,
        image_size: tuple[int, int],
        stride: float | None = None,
        output_size: tuple[int, int] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training targets for a batch of boxes.

        Args:
            boxes: ``(B, A, 4)`` ``[x1, y1, x2, y2]`` input-image pixels; rows with a
                NaN or without area are ignored (absent animals).
            image_size: ``(H, W)`` of the input image in pixels.
            stride: pixels per output cell (default: ``self.stride``).
            output_size: ``(h, w)`` of the outputs (default ``ceil(H/s), ceil(W/s)``).

        Returns:
            float32 tensors on ``boxes``' device: ``heatmap``, ``heatmap_weight``
            ``(B, 1, h, w)``; ``size``, ``size_weight``, ``offset``, ``offset_weight``
            ``(B, 2, h, w)``.
        """
        stride = self._stride(stride)
        height, width = image_size
        if output_size is None:
            output_size = (math.ceil(height / stride), math.ceil(width / stride))
        out_h, out_w = output_size
        boxes = boxes.float()
        batch, num_animals, _ = boxes.shape
        device = boxes.device
        box_w = boxes[..., 2] - boxes[..., 0]
        box_h = boxes[..., 3] - boxes[..., 1]
        valid = torch.isfinite(boxes).all(-1) & (box_w > 0) & (box_h > 0)
        boxes = torch.where(valid[..., None], boxes, torch.zeros_like(boxes))
        box_w = torch.where(valid, box_w, torch.ones_like(box_w))
        box_h = torch.where(valid, box_h, torch.ones_like(box_h))

        centre = (boxes[..., :2] + boxes[..., 2:]) / 2  # (B, A, 2) pixels
        feature_centre = (centre - stride / 2) / stride
        cell_x = feature_centre[..., 0].round().clamp(0, out_w - 1)
        cell_y = feature_centre[..., 1].round().clamp(0, out_h - 1)
        sigma_x = (self.sigma_factor * box_w / stride).clamp(min=self.min_sigma)
        sigma_y = (self.sigma_factor * box_h / stride).clamp(min=self.min_sigma)
        area = box_w * box_h

        cols = torch.arange(out_w, device=device, dtype=torch.float32)
        rows = torch.arange(out_h, device=device, dtype=torch.float32)
        heatmap = torch.zeros(batch, out_h, out_w, device=device)
        size = torch.zeros(batch, 2, out_h, out_w, device=device)
        offset = torch.zeros(batch, 2, out_h, out_w, device=device)
        weight = torch.zeros(batch, out_h, out_w, device=device)
        best_area = torch.full((batch, out_h, out_w), float("inf"), device=device)
        for animal in range(num_animals):
            gauss_x = torch.exp(-((cols - cell_x[:, animal, None]) ** 2) / (2 * sigma_x[:, animal, None] ** 2))
            gauss_y = torch.exp(-((rows - cell_y[:, animal, None]) ** 2) / (2 * sigma_y[:, animal, None] ** 2))
            gaussian = gauss_y[:, :, None] * gauss_x[:, None, :]  # (B, h, w)
            present = valid[:, animal, None, None]
            heatmap = torch.maximum(heatmap, torch.where(present, gaussian, torch.zeros_like(gaussian)))
            on_centre = (rows[:, None] == cell_y[:, animal, None, None]) & (cols == cell_x[:, animal, None, None])
            animal_area = area[:, animal, None, None]
            claims = on_centre & present & (animal_area <= best_area)
            box_size = torch.stack([box_w[:, animal], box_h[:, animal]], dim=1) / stride  # (B, 2)
            centre_offset = feature_centre[:, animal] - torch.stack([cell_x[:, animal], cell_y[:, animal]], dim=1)
            size = torch.where(claims[:, None], box_size.log()[:, :, None, None], size)
            offset = torch.where(claims[:, None], centre_offset[:, :, None, None], offset)
            weight = torch.where(claims, torch.ones_like(weight), weight)
            best_area = torch.where(claims, animal_area, best_area)
        regression_weight = weight[:, None].expand(-1, 2, -1, -1).contiguous()
        return {
            "heatmap": heatmap[:, None],
            "heatmap_weight": torch.ones(batch, 1, out_h, out_w, device=device),
            "size": size,
            "size_weight": regression_weight,
            "offset": offset,
            "offset_weight": regression_weight.clone(),
        }

    @torch.no_grad()
    def decode(
        self,
        outputs: dict[str, torch.Tensor],
        stride: float | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scored boxes from ``heatmap`` ``(B, 1, h, w)``, ``size`` and ``offset`` ``(B, 2, h, w)``.

        Args:
            outputs: the detector's outputs.
            stride: pixels per output cell (default: ``self.stride``).
            image_size: ``(H, W)``: clip boxes to the image when given.

        Returns:
            ``boxes`` float32 ``(B, max_individuals, 4)`` ``[x1, y1, x2, y2]`` in
            input-image pixels and ``scores`` ``(B, max_individuals)`` (centre peak
            values in [0, 1]), sorted by decreasing score; rows without an animal
            are all -1.
        """
        stride = self._stride(stride)
        heatmap = outputs["heatmap"].float()[:, 0]
        if self.apply_sigmoid:
            heatmap = heatmap.sigmoid()
        batch, out_h, out_w = heatmap.shape
        pooled = F.max_pool2d(heatmap[:, None], self.nms_kernel, 1, self.nms_kernel // 2)[:, 0]
        peaks = torch.where(heatmap == pooled, heatmap, torch.full_like(heatmap, -1.0))
        num_peaks = min(self.max_individuals, out_h * out_w)
        scores, index = peaks.reshape(batch, -1).topk(num_peaks, dim=1)  # sorted, (B, P)
        col = (index % out_w).float()
        row = torch.div(index, out_w, rounding_mode="floor").float()

        def gather(name: str) -> torch.Tensor:  # (B, 2, P)
            values = outputs[name].float().reshape(batch, 2, -1)
            return values.gather(2, index[:, None].expand(-1, 2, -1))

        offset, log_size = gather("offset"), gather("size")
        centre_x = (col + offset[:, 0]) * stride + stride / 2
        centre_y = (row + offset[:, 1]) * stride + stride / 2
        half_w = log_size[:, 0].exp() * stride / 2
        half_h = log_size[:, 1].exp() * stride / 2
        boxes = torch.stack([centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], dim=-1)
        if image_size is not None:
            limits = boxes.new_tensor([image_size[1], image_size[0], image_size[1], image_size[0]])
            boxes = torch.minimum(boxes.clamp(min=0), limits)
        found = scores >= self.score_threshold
        boxes = torch.where(found[..., None], boxes, torch.full_like(boxes, -1.0))
        scores = torch.where(found, scores, torch.full_like(scores, -1.0))
        if num_peaks < self.max_individuals:
            missing = self.max_individuals - num_peaks
            boxes = torch.cat([boxes, boxes.new_full((batch, missing, 4), -1.0)], dim=1)
            scores = torch.cat([scores, scores.new_full((batch, missing), -1.0)], dim=1)
        return boxes, scores
