"""deeplabcut.formats reads and writes every file without torch, and imports only the layers below it."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import deeplabcut.formats

#: What formats (layer 1) may import from the package: its own modules and layer 0.
ALLOWED = ("deeplabcut.formats", "deeplabcut.errors", "deeplabcut.utils", "deeplabcut.geometry")


def test_importing_every_format_module_leaves_torch_out():
    modules = ["deeplabcut.formats"] + [
        f"deeplabcut.formats.{info.name}" for info in pkgutil.iter_modules(deeplabcut.formats.__path__)
    ]
    assert "deeplabcut.formats.pose_table" in modules and "deeplabcut.formats.video_pickles" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    assert "torch" not in loaded
    ours = [name for name in loaded if name.startswith("deeplabcut.")]
    assert [name for name in ours if not name.startswith(ALLOWED)] == []
