"""Imports of optional packages that need care: OpenVINO without its usage telemetry."""

from __future__ import annotations

import os
import sys
from types import ModuleType

#: Set to 1 to let OpenVINO send its usage statistics (its own opt-in rules then apply).
OPENVINO_TELEMETRY_ENV = "DLC_OPENVINO_TELEMETRY"


def import_openvino() -> ModuleType:
    """``import openvino``, with OpenVINO's usage telemetry left out.

    Importing OpenVINO (and converting a model) sends usage events to Intel and
    writes ``~/intel/openvino_ga_cid`` unless the user ran its opt-out script. A
    library that a scientist calls to analyze videos should not do that on its
    own: unless ``DLC_OPENVINO_TELEMETRY=1``, the ``openvino_telemetry`` module
    is made unimportable before OpenVINO is first imported, and OpenVINO then
    uses its built-in no-op stub (its code catches the ImportError).

    Raises:
        ImportError: OpenVINO is not installed.
    """
    if (
        "openvino" not in sys.modules
        and "openvino_telemetry" not in sys.modules
        and os.environ.get(OPENVINO_TELEMETRY_ENV, "") != "1"
    ):
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # import -> ImportError -> stub
    import openvino

    return openvino
