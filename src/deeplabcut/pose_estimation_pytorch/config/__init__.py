"""``pytorch_config.yaml``: templates per net type and the builder that fills them."""
