"""The command line prints one line and exits 1 for every error, ours or a library's; the
traceback only with --debug or DLC_DEBUG=1; exit codes as documented (0, 1, 2, 130)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import deeplabcut
from deeplabcut.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, MAX_ERROR_CHARACTERS, main
from deeplabcut.errors import LabelError

from conftest import make_tiny_project
from reliability.tree import tree_digest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def failing_check_labels(monkeypatch):
    """Make ``check-labels`` raise ``error``."""

    def install(error: BaseException) -> None:
        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(deeplabcut, "check_labels", fail)

    return install


def test_exit_codes_are_the_documented_ones():
    guide = (REPO / "docs" / "user-guide.md").read_text()
    assert "exits with 0 when it succeeded and 1" in guide and "2 for a wrong command line, 130 when interrupted" in guide
    assert (EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED) == (0, 1, 2, 130)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("CUDA error: device-side assert triggered\nCompile with TORCH_USE_CUDA_DSA"),
        KeyError("bodyparts"),
        OSError(28, "No space left on device"),
        MemoryError(),
        AttributeError("'NoneType' object has no attribute 'shape'"),
    ],
)
def test_a_library_error_is_one_line_with_exit_code_1(failing_check_labels, capsys, monkeypatch, error):
    monkeypatch.delenv("DLC_DEBUG", raising=False)
    failing_check_labels(error)
    assert main(["check-labels", "config.yaml"]) == EXIT_ERROR
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith(f"deeplabcut check-labels: error: {type(error).__name__}: ")
    assert "--debug" in lines[0] and "DLC_DEBUG=1" in lines[0]


def test_our_errors_are_printed_as_they_are(failing_check_labels, capsys):
    failing_check_labels(LabelError("'/p/CollectedData_me.h5' holds\nno labels. Label frames."))
    assert main(["check-labels", "config.yaml"]) == EXIT_ERROR
    error = capsys.readouterr().err.strip()
    assert error == "deeplabcut check-labels: error: '/p/CollectedData_me.h5' holds no labels. Label frames."


@pytest.mark.parametrize("how", ["flag before", "flag after", "environment"])
def test_debug_adds_the_traceback(failing_check_labels, capsys, monkeypatch, how):
    failing_check_labels(ValueError("bad value"))
    argv = ["check-labels", "config.yaml"]
    if how == "flag before":
        argv = ["--debug", *argv]
    elif how == "flag after":
        argv = [*argv, "--debug"]
    else:
        monkeypatch.setenv("DLC_DEBUG", "1")
    assert main(argv) == EXIT_ERROR
    error = capsys.readouterr().err
    assert "Traceback (most recent call last)" in error and "in fail" in error
    assert error.strip().splitlines()[-1] == "deeplabcut check-labels: error: ValueError: bad value"


def test_debug_off_values_of_the_environment_variable(failing_check_labels, capsys, monkeypatch):
    failing_check_labels(ValueError("bad value"))
    for value in ("0", "false", ""):
        monkeypatch.setenv("DLC_DEBUG", value)
        assert main(["check-labels", "config.yaml"]) == EXIT_ERROR
        assert "Traceback" not in capsys.readouterr().err


def test_a_huge_message_is_cut(failing_check_labels, capsys, monkeypatch):
    monkeypatch.delenv("DLC_DEBUG", raising=False)
    failing_check_labels(RuntimeError("size mismatch for a.weight\n" * 2000))
    assert main(["check-labels", "config.yaml"]) == EXIT_ERROR
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and len(error) < MAX_ERROR_CHARACTERS + 300 and "more characters" in error


def test_interrupted_and_usage(failing_check_labels, capsys):
    failing_check_labels(KeyboardInterrupt())
    assert main(["check-labels", "config.yaml"]) == EXIT_INTERRUPTED
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == EXIT_USAGE


def test_real_bad_inputs_are_one_line_and_change_nothing(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DLC_DEBUG", raising=False)
    config = make_tiny_project(tmp_path, multianimal=False)
    (config.parent / "labeled-data" / "tiny" / "img002.png").write_bytes(b"")
    before = tree_digest(tmp_path)
    assert main(["create-training-dataset", str(config), "--net-type", "dekr_16"]) == EXIT_ERROR
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "img002.png" in error
    assert tree_digest(tmp_path) == before

    config.write_bytes(b"\xff\xfe garbage \x00")
    assert main(["create-training-dataset", str(config)]) == EXIT_ERROR
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "config.yaml" in error


def test_the_module_entry_point_exits_with_the_code(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "deeplabcut.cli", "check-labels", str(tmp_path / "missing" / "config.yaml")],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(REPO / "src"), "PATH": ""},
    )
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
