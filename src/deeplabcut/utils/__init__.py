"""Small helpers shared by the whole package (YAML I/O, atomic writes, locks: one writer per folder)."""
