"""Files moving both ways between this package and the real DeepLabCut 3.0.2, on real projects.

    PYTHONPATH=src python benchmarks/dlc_interop.py                       # openfield + synthetic
    PYTHONPATH=src python benchmarks/dlc_interop.py --projects synthetic --keep
    DLC_PYTHON=/path/to/venv/bin/python PYTHONPATH=src python benchmarks/dlc_interop.py

Not part of the test suite: it needs DeepLabCut 3.0.2 installed in a virtual
environment of its own (``--dlc-python``, default ``/work/dlc-venv/bin/python``;
both packages are named ``deeplabcut``). DeepLabCut's calls run in child
processes of that Python, with the working directory outside this repository
and ``PYTHONPATH`` removed, on the CPU (``CUDA_VISIBLE_DEVICES=""``,
``device="cpu"``). This package's calls run in this process.

For each project (a copy of ``../shared/data/openfield-Pranav-2018-10-30``
with a short clip of its video, and a small synthetic multi-animal project
made by ``deeplabcut.synthetic``):

1. **ours -> DLC**: this package creates shuffle 1 (``dekr_w18``) and trains
   it one epoch; DeepLabCut trains it, evaluates our snapshot and analyses the
   clip with it.
2. **DLC -> ours**: DeepLabCut creates shuffle 2, trains one epoch and
   analyses the clip (and filters it); this package reads every file it wrote
   (``_meta``/``_full``/``_assemblies``/``_el`` pickles, ``.h5``,
   ``_filtered.h5``, ``learning_stats.csv``, the snapshot), filters its
   analysis, draws its labeled video and trajectories (filtered too),
   evaluates and analyses with its snapshot, then trains from it.
3. **ours read by DLC**: this package analyses the clip with shuffle 1; DeepLabCut
   runs ``filterpredictions``, ``create_labeled_video`` and ``plot_trajectories``
   on those files.

Epochs, images and frames are tiny (openfield: a custom split of 4 training
and 2 test images; 12 frames), so the whole script runs in minutes on a CPU.
It prints a table of checks and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from dlc_reference import DEFAULT_DLC_PYTHON, OFFLINE_WEIGHTS_CODE, OPENFIELD, OPENFIELD_VIDEO, cut_clip, dlc_environment

NET_TYPE = "dekr_w18"  # a name both packages know
OURS_SHUFFLE, DLC_SHUFFLE = 1, 2


@dataclass
class Check:
    project: str
    direction: str
    name: str
    ok: bool
    seconds: float
    detail: str = ""


class Report:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        mark = "ok  " if check.ok else "FAIL"
        print(f"  [{mark}] {check.project:10s} {check.direction:18s} {check.name} ({check.seconds:.0f} s)"
              + (f"\n         {check.detail}" if check.detail else ""), flush=True)
        return check

    def run_ours(self, project: str, direction: str, name: str, call: Callable[[], Any]) -> bool:
        start = time.time()
        try:
            detail = call()
            detail = detail if isinstance(detail, str) else ""  # API return values are not details
            return self.add(Check(project, direction, name, True, time.time() - start, detail)).ok
        except Exception as err:  # noqa: BLE001 - every failure is a row of the table
            last = traceback.format_exception_only(type(err), err)[-1].strip()
            return self.add(Check(project, direction, name, False, time.time() - start, last[:400])).ok

    def table(self) -> str:
        lines = [f"{'project':10s} | {'direction':18s} | {'check':58s} | status | s", "-" * 104]
        for c in self.checks:
            lines.append(f"{c.project:10s} | {c.direction:18s} | {c.name[:58]:58s} | {'ok' if c.ok else 'FAIL':6s} | {c.seconds:.0f}")
        failed = [c for c in self.checks if not c.ok]
        lines.append("-" * 104)
        lines.append(f"{len(self.checks) - len(failed)} of {len(self.checks)} checks passed")
        for c in failed:
            lines.append(f"FAIL {c.project}/{c.name}: {c.detail}")
        return "\n".join(lines)


# -- DeepLabCut in its own environment ----------------------------------------

DLC_RUNNER = textwrap.dedent(
    """
    import json, sys, time, traceback
    import deeplabcut
    steps = json.load(open(sys.argv[1]))
    for step in steps:
        start = time.time()
        try:
            if "code" in step:  # a few lines that read a file as DeepLabCut's own code does
                scope = {"deeplabcut": deeplabcut}
                exec(step["code"], scope)
                value = scope.get("result")
            else:
                function = deeplabcut
                for part in step["call"].split("."):
                    function = getattr(function, part)
                value = function(*step.get("args", []), **step.get("kwargs", {}))
            result = {"name": step["name"], "ok": True, "detail": "" if value is None else repr(value)[:200]}
        except BaseException as err:
            frame = traceback.extract_tb(err.__traceback__)[-1]
            message = " / ".join(line.strip() for line in str(err).splitlines() if line.strip() and "errors.pydantic.dev" not in line)
            where = frame.filename.split("site-packages/")[-1] + ":" + str(frame.lineno)
            result = {"name": step["name"], "ok": False, "detail": (type(err).__name__ + ": " + message)[:500] + " (at " + where + ")"}
        result["seconds"] = time.time() - start
        print("STEP " + json.dumps(result), flush=True)
        if not result["ok"] and step.get("required"):
            break
    """
)


#: DeepLabCut's first step: backbones with random weights (there is no network to download them).
OFFLINE_WEIGHTS = {
    "name": "(setup) backbones start from random weights: no network",
    "required": True,
    "code": OFFLINE_WEIGHTS_CODE,
}


class DeepLabCut:
    """Runs DeepLabCut 3.0.2's functions in child processes of its own Python."""

    def __init__(self, python: Path, workdir: Path, report: Report) -> None:
        self.python, self.workdir, self.report = python, workdir, report
        self.runner = workdir / "dlc_runner.py"
        self.runner.write_text(DLC_RUNNER)

    def environment(self) -> dict[str, str]:
        return dlc_environment("cpu")

    def version(self) -> str:
        out = subprocess.run(
            [str(self.python), "-c", "import deeplabcut; print(deeplabcut.__version__)"],
            cwd=self.workdir, env=self.environment(), capture_output=True, text=True, timeout=300,
        )
        return out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else ""

    def run(self, project: str, direction: str, steps: list[dict[str, Any]], timeout: float = 1800) -> dict[str, bool]:
        """Run ``steps`` (``{"name", "call", "args", "kwargs", "required"}``) in one child process."""
        path = self.workdir / f"steps-{time.time_ns()}.json"
        path.write_text(json.dumps(steps, default=str))
        start = time.time()
        try:
            out = subprocess.run(
                [str(self.python), str(self.runner), str(path)],
                cwd=self.workdir, env=self.environment(), capture_output=True, text=True, timeout=timeout,
            )
            stdout, tail = out.stdout, (out.stderr or "").strip().splitlines()[-1:] or [""]
        except subprocess.TimeoutExpired as err:
            stdout, tail = (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or ""), ["timed out"]
        done: dict[str, bool] = {}
        for line in stdout.splitlines():
            if line.startswith("STEP "):
                result = json.loads(line[5:])
                done[result["name"]] = result["ok"]
                self.report.add(Check(project, direction, "DLC " + result["name"], result["ok"], result["seconds"], result["detail"]))
        for step in steps:
            if step["name"] not in done:
                done[step["name"]] = False
                self.report.add(Check(project, direction, "DLC " + step["name"], False, time.time() - start,
                                      f"not run (an earlier required step failed, or the process ended: {tail[0][:300]})"))
        return done


# -- projects -----------------------------------------------------------------


def openfield_copy(root: Path, frames: int) -> tuple[Path, Path, dict[str, Any]]:
    """The openfield example (labels only) and a clip of its video; a split of 4 training and 2 test images."""
    target = root / OPENFIELD.name
    shutil.copytree(OPENFIELD, target, ignore=shutil.ignore_patterns("*.mp4", "dlc-models*", "training-datasets", "evaluation-results*"))
    (target / "videos").mkdir(exist_ok=True)
    clip = cut_clip(OPENFIELD_VIDEO, target / "videos" / "clip.mp4", frames)
    split = {"trainIndices": [[0, 30, 60, 90]], "testIndices": [[10, 100]]}
    return target / "config.yaml", clip, split


def synthetic_project(root: Path, frames: int) -> tuple[Path, Path, dict[str, Any]]:
    from deeplabcut.synthetic import create_synthetic_project

    config = Path(create_synthetic_project(
        root, multianimal=True, num_individuals=2, num_bodyparts=3, num_frames=max(frames, 20),
        num_labeled_frames=10, frame_size=(128, 128), seed=1,
    ))
    (clip,) = sorted((config.parent / "videos").glob("*.mp4"))
    return config, clip, {"trainIndices": [[0, 1, 2, 3, 4, 5]], "testIndices": [[6, 7]]}


def training_set_index(config: Path, fraction: float) -> int:
    from deeplabcut.project.config import read_config

    return [round(float(f), 2) for f in read_config(config)["TrainingFraction"]].index(round(fraction, 2))


# -- the three directions -------------------------------------------------------


def exercise(name: str, config: Path, clip: Path, split: dict[str, Any], dlc: DeepLabCut, report: Report, work: Path) -> None:
    import deeplabcut as ours
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.formats import video_pickles
    from deeplabcut.formats.tracklets import read_tracklets
    from deeplabcut.utils.hdf import read_hdf

    multi = "synthetic" in name
    outputs = {key: work / f"{name}-{key}" for key in ("ours", "dlc", "dlc_on_ours")}
    for folder in outputs.values():
        folder.mkdir(parents=True, exist_ok=True)
    crop = 128 if multi else 256  # training crops (default 448): small, so one epoch takes seconds on a CPU
    crop_updates = {"data.train.crop_sampling.width": crop, "data.train.crop_sampling.height": crop}
    train_kwargs = {"epochs": 1, "batch_size": 2, "device": "cpu", "save_epochs": 1, **crop_updates}
    dlc_updates = crop_updates

    # 1. ours -> DLC
    direction = "ours -> DLC"
    created: dict[str, Any] = {}

    def create_ours() -> str:
        created["result"] = ours.create_training_dataset(config, Shuffles=[OURS_SHUFFLE], net_type=NET_TYPE, **split)
        return f"fraction {created['result'][0][0]}"

    if not report.run_ours(name, direction, "ours create_training_dataset (custom split)", create_ours):
        return
    fraction = created["result"][0][0]
    index = training_set_index(config, fraction)
    report.run_ours(name, direction, "ours train_network 1 epoch",
                    lambda: api.train_network(config, shuffle=OURS_SHUFFLE, trainingsetindex=index, **train_kwargs))
    common = {"trainingsetindex": index}
    dlc.run(name, direction, [
        OFFLINE_WEIGHTS,
        {"name": "evaluate_network on our snapshot", "call": "evaluate_network",
         "args": [str(config)], "kwargs": {"shuffles": [OURS_SHUFFLE], "device": "cpu", **common}},
        # Multi-animal: as below, DeepLabCut's tracking stops on a 1-epoch model's empty detections.
        {"name": "analyze_videos with our snapshot" + (" (auto_track=False)" if multi else ""), "call": "analyze_videos",
         "args": [str(config), [str(clip)]], "kwargs": {"shuffle": OURS_SHUFFLE, "device": "cpu", "destfolder": str(outputs["dlc_on_ours"]), "auto_track": not multi, **common}},
        {"name": "train_network on our shuffle (1 epoch)", "call": "train_network",
         "args": [str(config)], "kwargs": {"shuffle": OURS_SHUFFLE, "epochs": 1, "batch_size": 2, "device": "cpu", "save_epochs": 1,
                                           "pytorch_cfg_updates": dlc_updates, **common}},
    ])

    # 2. DLC -> ours
    direction = "DLC -> ours"
    done = dlc.run(name, direction, [
        OFFLINE_WEIGHTS,
        {"name": "create_training_dataset (custom split)", "call": "create_training_dataset", "required": True,
         "args": [str(config)], "kwargs": {"Shuffles": [DLC_SHUFFLE], "net_type": NET_TYPE, "userfeedback": False, **split}},
        {"name": "train_network 1 epoch", "call": "train_network", "required": True,
         "args": [str(config)], "kwargs": {"shuffle": DLC_SHUFFLE, "epochs": 1, "batch_size": 2, "device": "cpu", "save_epochs": 1,
                                           "pytorch_cfg_updates": dlc_updates, **common}},
        # Multi-animal: DeepLabCut's own tracking stops on a video without detections ("Tracklets are
        # empty"), which is all a 1-epoch model gives; its _full/_assemblies are tracked here instead.
        {"name": "analyze_videos" + (" (auto_track=False)" if multi else ""), "call": "analyze_videos", "required": True,
         "args": [str(config), [str(clip)]], "kwargs": {"shuffle": DLC_SHUFFLE, "device": "cpu", "save_as_csv": True, "destfolder": str(outputs["dlc"]), "auto_track": not multi, **common}},
        *([] if multi else [{"name": "filterpredictions", "call": "filterpredictions",
                             "args": [str(config), [str(clip)]], "kwargs": {"shuffle": DLC_SHUFFLE, "destfolder": str(outputs["dlc"]), **common}}]),
    ])
    if all(done.values()):
        dlc_files = outputs["dlc"]

        def read_every_dlc_file() -> str:
            (meta_path,) = dlc_files.glob("*_meta.pickle")
            meta = video_pickles.read_meta_pickle(meta_path)
            read = [f"_meta (net_type {meta.pytorch_config.get('net_type')!r}, cropping_parameters None)"]
            for full in dlc_files.glob("*_full.pickle"):
                video_pickles.read_full_pickle(full)
                read.append("_full")
            for assemblies in dlc_files.glob("*_assemblies.pickle"):
                video_pickles.read_assemblies_pickle(assemblies)
                read.append("_assemblies")
            for tracklets in list(dlc_files.glob("*_el.pickle")) + list(dlc_files.glob("*_bx.pickle")):
                read_tracklets(tracklets)
                read.append(tracklets.name.rsplit("_", 1)[-1])
            for h5 in dlc_files.glob("*.h5"):
                key = "tracks" if ("_el" in h5.stem or "_bx" in h5.stem) and multi else "df_with_missing"
                frame = read_hdf(h5, key)
                if frame.empty:
                    raise AssertionError(f"{h5.name} is empty")
                read.append(h5.name[len(clip.stem):][-20:])
            return ", ".join(read)

        report.run_ours(name, direction, "ours reads DLC's _meta/_full/_assemblies/_el/.h5", read_every_dlc_file)
        if multi:
            report.run_ours(name, direction, "ours tracks DLC's _assemblies (tracklets, stitch)", lambda: api.analyze_videos(
                config, [clip], shuffle=DLC_SHUFFLE, trainingsetindex=index, device="cpu", destfolder=dlc_files, auto_track=True))

        def read_learning_stats() -> str:
            from deeplabcut.pose_estimation_pytorch.data import ShuffleData

            project = ShuffleData(config, shuffle=DLC_SHUFFLE, trainingsetindex=index)
            with (project.train_folder / "learning_stats.csv").open() as stream:
                header = stream.readline().strip()
            if "step" not in header.split(","):
                raise AssertionError(f"learning_stats.csv header {header!r}")
            return header

        report.run_ours(name, direction, "ours reads DLC's learning_stats.csv", read_learning_stats)
        lv_kwargs = {"shuffle": DLC_SHUFFLE, "trainingsetindex": index, "destfolder": dlc_files}
        report.run_ours(name, direction, "ours create_labeled_video on DLC's files",
                        lambda: api.create_labeled_video(config, [clip], **lv_kwargs))
        if not multi:  # DeepLabCut's _filtered.h5 (multi-animal: it filters tracks, which it could not make here)
            report.run_ours(name, direction, "ours create_labeled_video(filtered=True) on DLC's",
                            lambda: api.create_labeled_video(config, [clip], filtered=True, overwrite=True, **lv_kwargs))
            report.run_ours(name, direction, "ours plot_trajectories(filtered=True) on DLC's",
                            lambda: api.plot_trajectories(config, [clip], filtered=True, **lv_kwargs))
            report.run_ours(name, direction, "ours filterpredictions on DLC's analysis (overwrite)", lambda: ours.filterpredictions(
                config, [clip], shuffle=DLC_SHUFFLE, trainingsetindex=index, destfolder=dlc_files, overwrite=True))
        report.run_ours(name, direction, "ours plot_trajectories on DLC's files",
                        lambda: api.plot_trajectories(config, [clip], **lv_kwargs))
        report.run_ours(name, direction, "ours evaluate_network with DLC's snapshot",
                        lambda: api.evaluate_network(config, shuffles=[DLC_SHUFFLE], trainingsetindex=index, device="cpu"))
        report.run_ours(name, direction, "ours analyze_videos with DLC's snapshot",
                        lambda: api.analyze_videos(config, [clip], shuffle=DLC_SHUFFLE, trainingsetindex=index, device="cpu",
                                                   destfolder=work / f"{name}-ours-on-dlc"))

        def train_from_dlc() -> str:
            from deeplabcut.pose_estimation_pytorch.data import ShuffleData
            from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import list_snapshots

            project = ShuffleData(config, shuffle=DLC_SHUFFLE, trainingsetindex=index)
            latest = list_snapshots(project.train_folder)[-1]
            api.train_network(config, shuffle=DLC_SHUFFLE, trainingsetindex=index, snapshot_path=latest.path,
                              **{**train_kwargs, "epochs": latest.epoch + 1})
            return f"from {latest.path.name}"

        report.run_ours(name, direction, "ours train_network from DLC's snapshot", train_from_dlc)

    # 3. ours read by DLC
    direction = "ours read by DLC"
    analysed = report.run_ours(name, direction, "ours analyze_videos (+ tracking)", lambda: api.analyze_videos(
        config, [clip], shuffle=OURS_SHUFFLE, trainingsetindex=index, device="cpu", destfolder=outputs["ours"],
        save_as_csv=True, **({"auto_track": True} if multi else {})))
    if analysed:
        dlc.run(name, direction, [
            {"name": "reads our files with its own readers", "code": dlc_reads_our_files(outputs["ours"], clip.stem, multi)},
            {"name": "filterpredictions on our files", "call": "filterpredictions",
             "args": [str(config), [str(clip)]], "kwargs": {"shuffle": OURS_SHUFFLE, "destfolder": str(outputs["ours"]), **common}},
            {"name": "create_labeled_video on our files", "call": "create_labeled_video",
             "args": [str(config), [str(clip)]], "kwargs": {"shuffle": OURS_SHUFFLE, "destfolder": str(outputs["ours"]), **common}},
            {"name": "plot_trajectories on our files", "call": "plot_trajectories",
             "args": [str(config), [str(clip)]], "kwargs": {"shuffle": OURS_SHUFFLE, "destfolder": str(outputs["ours"]), **common}},
        ])


def dlc_reads_our_files(folder: Path, video_stem: str, multi: bool) -> str:
    """Code run by DeepLabCut's Python: our analysis files read the way DeepLabCut's functions read them."""
    return textwrap.dedent(
        f"""
        import pickle
        from pathlib import Path
        import pandas as pd
        from deeplabcut.utils import auxiliaryfunctions
        folder, read = Path({str(folder)!r}), []
        (meta_path,) = folder.glob({video_stem!r} + "*_meta.pickle")
        scorer = meta_path.name[len({video_stem!r}):-len("_meta.pickle")]
        meta = auxiliaryfunctions.load_video_metadata(str(folder), {video_stem!r}, scorer)
        [x1, x2, y1, y2] = meta["data"]["cropping_parameters"]  # as utils/make_labeled_video.py does
        assert (x2 - x1, y2 - y1) == tuple(meta["data"]["frame_dimensions"]), meta["data"]
        read.append("_meta")
        if {multi!r}:
            full = auxiliaryfunctions.load_video_full_data(str(folder), {video_stem!r}, scorer)
            assert full["metadata"]["nframes"] == meta["data"]["nframes"]
            read.append("_full")
            from deeplabcut.refine_training_dataset.stitch import TrackletStitcher
            (tracklets,) = folder.glob({video_stem!r} + "*_el.pickle")
            with open(tracklets, "rb") as stream:
                content = pickle.load(stream)
            assert isinstance(content["header"], pd.MultiIndex), type(content["header"])
            if any(key not in ("header", "single") for key in content):
                TrackletStitcher.from_pickle(tracklets, n_tracks=2, min_length=3)
                read.append("_el.pickle (TrackletStitcher)")
            else:
                read.append("_el.pickle (header; no tracklets: the 1-epoch model found no animal)")
        for h5 in sorted(folder.glob({video_stem!r} + "*.h5")):
            assert not pd.read_hdf(h5).empty
            read.append(h5.name[len({video_stem!r} + scorer):] or ".h5")
        result = ", ".join(read)
        """
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dlc-python", type=Path, default=DEFAULT_DLC_PYTHON)
    parser.add_argument("--projects", nargs="+", default=["openfield", "synthetic"], choices=["openfield", "synthetic"])
    parser.add_argument("--frames", type=int, default=12, help="frames of the analysed clip")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and print its path")
    args = parser.parse_args()

    report = Report()
    work = Path(tempfile.mkdtemp(prefix="dlc-interop-"))
    started = time.time()
    try:
        dlc = DeepLabCut(args.dlc_python, work, report)
        version = dlc.version()
        report.add(Check("-", "setup", f"DeepLabCut importable from {args.dlc_python}: {version or 'no'}", version == "3.0.2", 0))
        if not version:
            print(report.table())
            return 1
        for name in args.projects:
            if name == "openfield" and not OPENFIELD.is_dir():
                report.add(Check(name, "setup", f"{OPENFIELD} is missing", False, 0))
                continue
            print(f"{name}:", flush=True)
            root = work / name
            root.mkdir()
            config, clip, split = (openfield_copy if name == "openfield" else synthetic_project)(root, args.frames)
            exercise(name, config, clip, split, dlc, report, work)
    finally:
        print()
        print(report.table())
        print(f"total {time.time() - started:.0f} s; work folder {work}" + ("" if args.keep else " (removed)"))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(c.ok for c in report.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
