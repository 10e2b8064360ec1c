"""Seeding every random number generator a run uses."""

from __future__ import annotations

import random

import numpy as np
import torch


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch, and make cuDNN deterministic."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
