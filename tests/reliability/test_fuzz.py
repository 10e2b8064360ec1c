"""Fuzzing the label and config readers: random truncations, bit flips and random YAML values
(seeded, bounded in count and time). Every outcome is either a successful read or one of our
errors (a ``DLCError``); nothing else may escape."""

from __future__ import annotations

import math
import time
import traceback
from pathlib import Path

import numpy as np
import pytest

from deeplabcut.errors import DLCError
from deeplabcut.formats.collected_data import check_labels_match, labels_to_arrays, read_collected_data
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    parse_crop,
    read_config,
    video_stems,
)
from deeplabcut.training_dataset.merge import merge_labeled_data
from deeplabcut.utils.yaml_io import read_yaml, write_yaml

from conftest import make_tiny_project

# Damaged files make PyTables and pandas warn (unknown flavors, odd attributes) before they fail.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::tables.exceptions.FlavorWarning"),
]

SEED = 20240612
CASES = 150
H5_CASES = 60  # each .h5 read also runs the HDF5 crash probe in a child process (~0.2 s)
YAML_CASES = 1500
TIME_BUDGET_S = 10.0  # per test; the cases stop early (and the test still passes) past it


def mutate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One random damage: truncation, bit flips, an overwritten or repeated chunk, or inserted bytes."""
    kind = rng.choice(["truncate", "flip", "overwrite", "repeat", "insert"])
    size = len(data)
    if kind == "truncate":
        cut = int(rng.integers(0, size))
        return data[:cut], f"truncate at {cut}"
    buffer = bytearray(data)
    if kind == "flip":
        positions = rng.integers(0, size, int(rng.integers(1, 24)))
        for position in positions:
            buffer[position] ^= 1 << int(rng.integers(0, 8))
        return bytes(buffer), f"flip bits at {sorted(positions.tolist())[:6]}..."
    start = int(rng.integers(0, size))
    length = int(rng.integers(1, max(2, size // 8)))
    if kind == "overwrite":
        buffer[start : start + length] = rng.bytes(len(buffer[start : start + length]))
        return bytes(buffer), f"overwrite {length} bytes at {start}"
    if kind == "repeat":
        return bytes(buffer[: start + length] + buffer[start : start + length] + buffer[start + length :]), f"repeat {length} bytes at {start}"
    return bytes(buffer[:start] + rng.bytes(length) + buffer[start:]), f"insert {length} bytes at {start}"


CSV_TOKENS = ["abc", "", "nan", "NaN", "1e309", "-", '"', ",", "x,y", "labeled-data", "single", "1.5.2", " ", "\t", "None", "-1e3"]


def mutate_csv_cells(text: str, rng: np.random.Generator) -> tuple[str, str]:
    """Replace a few random cells (header or values) of a CSV with odd tokens."""
    lines = [line.split(",") for line in text.splitlines()]
    changes = []
    for _ in range(int(rng.integers(1, 4))):
        row = int(rng.integers(0, len(lines)))
        column = int(rng.integers(0, len(lines[row])))
        token = CSV_TOKENS[int(rng.integers(0, len(CSV_TOKENS)))]
        lines[row][column] = token
        changes.append((row, column, token))
    return "\n".join(",".join(cells) for cells in lines) + "\n", f"cells {changes}"


def run_cases(make_case, check, cases: int = CASES, budget: float = TIME_BUDGET_S) -> dict[str, int]:
    """Run up to ``cases`` cases; return outcome counts. A non-DLCError fails with the case that raised it."""
    rng = np.random.default_rng(SEED)
    outcomes = {"read": 0, "refused": 0}
    started = time.monotonic()
    for case in range(cases):
        if time.monotonic() - started > budget:
            break
        description = make_case(rng)
        try:
            check()
        except DLCError as err:
            outcomes["refused"] += 1
            assert str(err).strip(), f"case {case} ({description}): empty message"
        except Exception:  # noqa: BLE001 - the point of the test
            pytest.fail(f"case {case} ({description}) escaped as a non-DLCError:\n{traceback.format_exc()}")
        else:
            outcomes["read"] += 1
    return outcomes


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_tiny_project(tmp_path, multianimal=True, num_images=6)


def read_config_like_the_workflow(config: Path) -> dict:
    """config.yaml as every step reads it: checked, names, crops and videos."""
    cfg = read_config(config)
    get_bodyparts(cfg), get_unique_bodyparts(cfg), get_individuals(cfg), video_stems(cfg)
    for entry in cfg["video_sets"].values():
        parse_crop(entry["crop"])
    return cfg


def read_labels_like_the_workflow(config: Path, merge: bool = True) -> None:
    """The labels as create_training_dataset reads them: read, matched to config.yaml, as arrays, merged."""
    cfg = read_config(config)
    h5 = config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    df = read_collected_data(h5)
    check_labels_match(df, h5, cfg["scorer"], get_bodyparts(cfg), get_individuals(cfg), get_unique_bodyparts(cfg))
    labels_to_arrays(df, get_bodyparts(cfg), get_individuals(cfg), get_unique_bodyparts(cfg))
    if merge:
        merge_labeled_data(cfg)


@pytest.mark.parametrize("twin", ["without csv twin", "with damaged csv twin"])
def test_damaged_labels_h5(project: Path, twin: str):
    h5 = project.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    csv = h5.with_suffix(".csv")
    original_h5, original_csv = h5.read_bytes(), csv.read_bytes()

    def make_case(rng):
        damaged, description = mutate(original_h5, rng)
        h5.write_bytes(damaged)
        if twin == "without csv twin":
            csv.unlink(missing_ok=True)
            return description
        damaged_csv, csv_description = mutate(original_csv, rng)
        csv.write_bytes(damaged_csv)
        return f"{description}; csv: {csv_description}"

    outcomes = run_cases(make_case, lambda: read_labels_like_the_workflow(project, merge=False), cases=H5_CASES)
    assert outcomes["refused"] > 0


@pytest.mark.parametrize("damage", ["bytes", "cells"])
def test_damaged_labels_csv(project: Path, damage: str):
    h5 = project.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    csv = h5.with_suffix(".csv")
    h5.unlink()
    original = csv.read_bytes()

    def make_case(rng):
        if damage == "bytes":
            damaged, description = mutate(original, rng)
            csv.write_bytes(damaged)
        else:
            text, description = mutate_csv_cells(original.decode(), rng)
            csv.write_text(text)
        return description

    outcomes = run_cases(make_case, lambda: read_labels_like_the_workflow(project))
    assert outcomes["refused"] > 0


def test_damaged_config_bytes(project: Path):
    original = project.read_bytes()

    def make_case(rng):
        damaged, description = mutate(original, rng)
        project.write_bytes(damaged)
        return description

    outcomes = run_cases(make_case, lambda: read_config_like_the_workflow(project))
    assert outcomes["refused"] > 0


def random_yaml_value(rng: np.random.Generator, depth: int = 0):
    """A random value YAML can hold: scalars of every kind (odd text included), lists and mappings."""
    kinds = ["none", "bool", "int", "float", "special float", "text", "odd text", "list", "dict"]
    kind = kinds[int(rng.integers(0, len(kinds) if depth < 2 else len(kinds) - 2))]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(rng.integers(0, 2))
    if kind == "int":
        return int(rng.choice([0, 1, -1, 2, 7, -100, 10**12, 2**63]))
    if kind == "float":
        return float(rng.choice([0.0, 0.5, 0.95, 1.0, -0.3, 1.5, 0.123456]))
    if kind == "special float":
        return float(rng.choice([math.nan, math.inf, -math.inf]))
    if kind == "text":
        return str(rng.choice(["snout", "tail", "mouse1", "tester", "tiny", "Oct30", "MULTI!", "0, 640, 0, 480", "single", "pytorch"]))
    if kind == "odd text":
        return str(rng.choice(["", " ", "../x", "a/b", "a\\b", "..", "x\x00y", "1, 2", "0, 10, 5, 1", "ünïcödé", "a:b", "{}", "[]", "~", "null"]))
    if kind == "list":
        return [random_yaml_value(rng, depth + 1) for _ in range(int(rng.integers(0, 4)))]
    return {str(random_yaml_value(rng, 2)): random_yaml_value(rng, depth + 1) for _ in range(int(rng.integers(0, 3)))}


def test_random_yaml_values_in_config(project: Path):
    cfg = read_yaml(project)
    keys = list(cfg) + ["unknown_key"]

    def make_case(rng):
        edited = read_yaml(project.with_name("original.yaml")) if project.with_name("original.yaml").exists() else cfg
        changes = []
        for _ in range(int(rng.integers(1, 4))):
            key = keys[int(rng.integers(0, len(keys)))]
            if rng.random() < 0.1:
                edited.pop(key, None)
                changes.append(f"delete {key}")
            else:
                value = random_yaml_value(rng)
                if key in ("bodyparts", "multianimalbodyparts", "individuals", "uniquebodyparts", "skeleton", "TrainingFraction") and rng.random() < 0.5:
                    existing = edited.get(key)
                    value = (list(existing) if isinstance(existing, list) else []) + [value]  # one odd entry in a good list
                edited[key] = value
                changes.append(f"{key}: {value!r}")
        write_yaml(project, edited)
        return "; ".join(changes)

    write_yaml(project.with_name("original.yaml"), cfg)
    outcomes = run_cases(make_case, lambda: read_config_like_the_workflow(project), cases=YAML_CASES)
    assert outcomes["refused"] > 0 and outcomes["read"] > 0
