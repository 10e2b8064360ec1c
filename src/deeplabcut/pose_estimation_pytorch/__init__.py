"""PyTorch engine of DeepLabCut: data, models, training, inference and APIs."""
