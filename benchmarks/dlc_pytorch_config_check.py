"""Does DeepLabCut 3 accept the pytorch_config.yaml files of a project? (Not part of the test suite.)

Run it with DeepLabCut 3 installed in its own environment, from a folder where our
package is not importable (both are named ``deeplabcut``)::

    cd /tmp && /path/to/dlc-venv/bin/python /path/to/benchmarks/dlc_pytorch_config_check.py PROJECT_FOLDER

For every ``dlc-models-pytorch/*/*/train/pytorch_config.yaml`` under the folder it
prints whether DeepLabCut's schema (``PoseConfig.from_yaml``) accepts it and
whether its ``PoseModel.build`` builds the model section (without pretrained
weights), and exits 1 when a file fails the schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from deeplabcut.pose_estimation_pytorch.config.pose import PoseConfig
from deeplabcut.pose_estimation_pytorch.models import PoseModel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    failures = 0
    paths = sorted(args.folder.glob("**/dlc-models-pytorch/*/*/train/pytorch_config.yaml"))
    for path in paths:
        name = f"{path.parents[4].name}/{path.parents[1].name}"
        try:
            cfg = PoseConfig.from_yaml(path)
        except Exception as error:  # noqa: BLE001 - reported, not raised
            failures += 1
            print(f"{name}: schema REFUSED: {str(error)[:400]}")
            continue
        try:
            model_cfg = yaml.safe_load(path.read_text())["model"]
            model_cfg["backbone"]["pretrained"] = False
            model = PoseModel.build(model_cfg)
            built = f"PoseModel.build ok ({sum(p.numel() for p in model.parameters())} parameters)"
        except Exception as error:  # noqa: BLE001
            built = f"PoseModel.build failed: {type(error).__name__}: {str(error)[:200]}"
        print(f"{name}: schema ok (net_type {cfg.net_type.value}); {built}")
    print(f"{len(paths) - failures}/{len(paths)} files accepted by DeepLabCut's schema")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
