"""deeplabcut.post_processing works without torch and loads statsmodels and pynwb only when used."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_post_processing_leaves_torch_statsmodels_and_pynwb_out():
    script = (
        "import json, sys\n"
        "import deeplabcut.post_processing\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout))
    assert not {"torch", "statsmodels", "pynwb", "ndx_pose"} & loaded
