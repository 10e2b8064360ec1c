"""A tiny DEKR learns 4 synthetic images (coloured blobs as keypoints) to under 2 px on CPU."""

from __future__ import annotations

import math

import numpy as np
import torch

from deeplabcut.pose_estimation_pytorch.models import PoseModel

NUM_KEYPOINTS = 3
#: Keypoint k is drawn as a disc of colour COLOURS[k] (so the network can tell them apart).
COLOURS = torch.tensor([[1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.3, 0.3, 1.0]])
#: Animal centres per image: one or two animals.
LAYOUTS = [[(18, 18)], [(20, 44), (46, 20)], [(44, 44)], [(16, 40), (44, 30)]]


def synthetic_images(size: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images ``(4, 3, size, size)`` in [-1, 1], keypoints ``(4, 2, K, 2)``, visibility ``(4, 2, K)``."""
    rng = np.random.default_rng(0)
    images = torch.zeros(4, 3, size, size)
    keypoints = torch.zeros(4, 2, NUM_KEYPOINTS, 2)
    visibility = torch.zeros(4, 2, NUM_KEYPOINTS)
    rows, cols = torch.meshgrid(torch.arange(size * 1.0), torch.arange(size * 1.0), indexing="ij")
    for image, centres in enumerate(LAYOUTS):
        for animal, (cx, cy) in enumerate(centres):
            angle = rng.uniform(0, 2 * math.pi)
            for k in range(NUM_KEYPOINTS):
                theta = angle + 2 * math.pi * k / NUM_KEYPOINTS
                x = cx + 8 * math.cos(theta) + rng.uniform(-0.5, 0.5)
                y = cy + 8 * math.sin(theta) + rng.uniform(-0.5, 0.5)
                keypoints[image, animal, k] = torch.tensor([x, y])
                visibility[image, animal, k] = 1.0
                disc = ((cols - x) ** 2 + (rows - y) ** 2 <= 2.5**2).float()
                images[image] += disc[None] * COLOURS[k][:, None, None]
    return images.clamp(0, 1) * 2 - 1, keypoints, visibility


def mean_error(predictions: torch.Tensor, keypoints: torch.Tensor, visibility: torch.Tensor) -> float:
    """Mean keypoint distance (pixels) of each labeled animal to its nearest predicted row."""
    errors = []
    for image in range(keypoints.shape[0]):
        for animal in range(keypoints.shape[1]):
            if visibility[image, animal].sum() == 0:
                continue
            distance = (predictions[image, :, :, :2] - keypoints[image, animal]).norm(dim=-1).mean(-1)
            errors.append(distance.min().item())
    return float(np.mean(errors))


def test_tiny_dekr_overfits_four_images(tiny_model_config):
    torch.manual_seed(0)
    images, keypoints, visibility = synthetic_images()
    model = PoseModel.build(tiny_model_config(num_bodyparts=NUM_KEYPOINTS, max_individuals=2))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = {"image": images, "keypoints": keypoints, "visibility": visibility}
    targets = model.get_targets(batch)
    model.train()
    for _ in range(120):
        losses = model.get_loss(model(images), targets)
        optimizer.zero_grad()
        losses["total_loss"].backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        predictions = model.predict(model(images))["bodyparts"]
    assert mean_error(predictions, keypoints, visibility) < 2.0
    # Images with one animal: the second row is empty or clearly weaker.
    found = (predictions[..., 2].mean(-1) > 0.3).sum(1)
    assert found.tolist() == [len(centres) for centres in LAYOUTS]
