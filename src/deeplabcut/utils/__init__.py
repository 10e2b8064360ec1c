"""Small helpers shared by the whole package (YAML I/O, atomic writes)."""
