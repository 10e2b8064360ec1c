"""Training datasets: merged labels, train/test splits, shuffles and model folders."""
