"""This package against DeepLabCut 3.0.2, side by side: same project, split, settings and video.

    PYTHONPATH=src python benchmarks/side_by_side.py                          # dekr_32 vs dekr_w32, 30-45 min on 2 idle cores
    PYTHONPATH=src python benchmarks/side_by_side.py --quick                  # smoke test (8 images, 1 epoch, 16 frames)
    PYTHONPATH=src python benchmarks/side_by_side.py --nets dekr_32,dekr_16 --length-scale 1,10 \\
        --precision auto,false --engines auto,torch --results-md benchmarks/RESULTS.md

Both packages are named ``deeplabcut``; every measurement runs in a fresh
child process (``side_by_side_child.py``), with the working directory in a
temporary folder outside this repository:

- DeepLabCut 3.0.2 with its own Python (``--dlc-python``, default
  ``/work/dlc-venv/bin/python``), ``PYTHONPATH`` removed and, unless
  ``--device cuda``, ``CUDA_VISIBLE_DEVICES=""``. Its backbones start from
  random weights (there is no network to download ImageNet weights from).
- This package with ``--ours-python`` (default: this Python) and
  ``PYTHONPATH=<repo>/src``; ``model.backbone.pretrained: false``.

Data: copies of ``../shared/data/openfield-Pranav-2018-10-30`` (labels only,
one per package; the original is never written), a custom split of
``--train-images`` training images and the 6 test images of
``train_openfield.py`` (img0000, img0020, ..., img0100), and a clip of the
first ``--frames`` frames of its 640x480 video. Settings: batch ``--batch-size``,
448x448 training crops, ``--epochs`` epochs, each package's defaults otherwise
(``--workers`` sets both packages' data-loading processes).

Each round (``--alternations``) runs, for each system in turn (ours, then
DeepLabCut: A B A B), on a shuffle of its own:

1. ``train``: train_network. Training images/s counts epochs 2..N only (the
   first warms up; with 1 epoch it is that epoch), each epoch timed around the
   package's own epoch method, evaluation excluded.
2. ``evaluate``: evaluate_network of the last snapshot: test and train RMSE
   (pixels) at equal epochs.
3. ``analyze``: analyze_videos of the clip, ``batch_size`` frames per batch:
   frames/s of the whole call and without the model load (the time spent in
   the package's runner factory), for each ``--engines`` value (ours; passed
   only when our analyze_videos has an ``engine`` argument). With
   ``--length-scale 1,10`` ours also analyzes the clip repeated 10 times
   (the issue asks for flat memory: at most +10% from 1x to 10x).
4. ``model``: forward passes of the loaded model on the clip's frames in
   batches (after one warm-up batch), input prepared outside the timing.
5. ``decode``: reading the clip's frames with cv2 alone (each package's cv2).

Memory is measured per process: training and analysis run in separate
processes. For each, the peak of ``VmHWM`` of the process (and
``RUSAGE_CHILDREN``), and, sampled every ``--sample-interval`` seconds over the
whole process tree, the peak of the summed ``VmRSS`` and of the summed ``Pss``
(``/proc/<pid>/smaps_rollup``: forked data-loader workers share pages with
their parent, which the RSS sum counts twice and PSS counts once).

Writes every run and the medians to ``--out`` (JSON, default
``benchmarks/results/side_by_side-<date>.json``; ``benchmarks/results/`` is not
tracked) and prints a markdown table of medians with ours/DeepLabCut ratios;
``--results-md benchmarks/RESULTS.md`` replaces the table block of that file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlc_reference import DEFAULT_DLC_PYTHON, OPENFIELD, OPENFIELD_VIDEO, ROOT, cut_clip, dlc_environment

HERE = Path(__file__).resolve().parent
CHILD = HERE / "side_by_side_child.py"
TEST_IMAGES = [0, 20, 40, 60, 80, 100]  # as train_openfield.py
NUM_IMAGES = 116
#: Our net type -> DeepLabCut 3.0.2's nearest.
DLC_NET = {"dekr_16": "dekr_w18", "dekr_18": "dekr_w18", "dekr_32": "dekr_w32", "dekr_48": "dekr_w48"}
TABLE_BEGIN, TABLE_END = "<!-- side_by_side:begin -->", "<!-- side_by_side:end -->"
MIB = 1024


# -- memory of a process tree -------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/<pid>/task/<tid>/children``)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in children.read_text().split())
            except OSError:
                pass
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """``(VmRSS, Pss)`` of one process in KiB; zeros when it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until stopped; keeps the peaks and the widest tree."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib = self.peak_pss_kib = self.max_processes = self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = process_tree(self.pid)
            sizes = [memory_kib(pid) for pid in pids]
            self.peak_rss_kib = max(self.peak_rss_kib, sum(rss for rss, _ in sizes))
            self.peak_pss_kib = max(self.peak_pss_kib, sum(pss for _, pss in sizes))
            self.max_processes = max(self.max_processes, len(pids))
            self.samples += 1
            self.done.wait(self.interval)


# -- the two packages ---------------------------------------------------------------------------------


@dataclass
class Package:
    name: str  # "ours" or "dlc"
    python: Path
    env: dict[str, str]
    work: Path
    jobs: int = 0

    def run(self, job: dict[str, Any], label: str, interval: float, timeout: float) -> dict[str, Any]:
        """Run one job in a fresh process; its result, its memory peaks and its wall time (``ok`` False on failure)."""
        self.jobs += 1
        stem = f"{self.name}-{self.jobs:03d}-{job['action']}"
        job_file = self.work / "jobs" / f"{stem}.json"
        job_file.write_text(json.dumps({**job, "package": self.name}, default=str))
        log_file = self.work / "logs" / f"{stem}.log"
        print(f"  {label}: {job['action']} ...", end="", flush=True)
        started = time.perf_counter()
        with log_file.open("w") as log:
            process = subprocess.Popen([str(self.python), str(self.work / CHILD.name), str(job_file)],
                                       cwd=self.work, env=self.env, stdout=log, stderr=subprocess.STDOUT)
            sampler = TreeSampler(process.pid, interval)
            sampler.start()
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            finally:
                sampler.done.set()
                sampler.join()
        wall = time.perf_counter() - started
        lines = log_file.read_text(errors="replace").splitlines()
        results = [line[len("RESULT "):] for line in lines if line.startswith("RESULT ")]
        result: dict[str, Any] = {"ok": code == 0 and bool(results), "process_seconds": wall, "log": str(log_file),
                                  "tree_peak_rss_mib": sampler.peak_rss_kib / MIB, "tree_peak_pss_mib": sampler.peak_pss_kib / MIB,
                                  "tree_max_processes": sampler.max_processes, "memory_samples": sampler.samples}
        if result["ok"]:
            result.update(json.loads(results[-1]))
            result["vmhwm_mib"] = result.pop("vmhwm_kib") / MIB
            result["children_maxrss_mib"] = result.pop("children_maxrss_kib") / MIB
            print(f" {wall:.0f} s", flush=True)
        else:
            result["error"] = " | ".join(line.strip() for line in lines[-6:])[-1500:]
            print(f" FAILED after {wall:.0f} s (exit {code}); log {log_file}\n    {result['error'][-600:]}", flush=True)
        return result


def ours_environment(device: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(PYTHONPATH=str(ROOT / "src"), MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    if not device.startswith("cuda"):
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


@dataclass
class System:
    """One column of the table: a package, a net type and (ours) a forced precision."""

    package: Package
    net_type: str
    precision: str | None = None
    config: Path = Path()
    trainingsetindex: int = 0
    shuffles: list[int] = field(default_factory=list)  # one per round

    @property
    def label(self) -> str:
        name = "ours" if self.package.name == "ours" else "DLC 3.0.2"
        return f"{name} {self.net_type}" + (f" (mixed_precision {self.precision})" if self.precision else "")


# -- the measurements -----------------------------------------------------------------------------------


def train_rate(epochs: list[dict[str, float]]) -> tuple[float, str]:
    """Training images/s over epochs 2..N (all epochs when there is one)."""
    counted = epochs[1:] or epochs
    seconds = sum(e["seconds"] for e in counted)
    images = sum(e["images"] for e in counted)
    return (images / seconds if seconds > 0 else float("nan")), ("epochs 2.." if len(epochs) > 1 else "epoch 1 only")


def measure_round(system: System, shuffle: int, args: argparse.Namespace, clips: dict[int, Path], engines: list[str | None]) -> dict[str, Any]:
    """Every measurement of one system on one freshly trained shuffle: ``{"metrics": {...}, "runs": {...}}``."""
    pkg, metrics, runs = system.package, {}, {}
    common = {"config": str(system.config), "shuffle": shuffle, "trainingsetindex": system.trainingsetindex,
              "device": args.device, "batch_size": args.batch_size}

    def run(job: dict[str, Any], label: str = "") -> dict[str, Any]:
        return pkg.run({**common, **job}, system.label + label, args.sample_interval, args.timeout)

    updates: dict[str, Any] = {"data.train.crop_sampling.width": args.crop, "data.train.crop_sampling.height": args.crop}
    if args.workers is not None:
        updates["train_settings.dataloader_workers"] = args.workers
    if pkg.name == "ours":
        updates["model.backbone.pretrained"] = False
        if system.precision:
            # YAML booleans for false/true (the schema refuses the strings)
            updates["runner.mixed_precision"] = {"false": False, "true": True}.get(system.precision.lower(), system.precision)
    trained = runs["train"] = run({"action": "train", "epochs": args.epochs, "pytorch_cfg_updates": updates})
    if not trained["ok"]:
        return {"metrics": metrics, "runs": runs}
    rate, counted = train_rate(trained["epochs"])
    metrics["train images/s"] = rate
    runs["train"]["images_per_second_counted"] = counted
    metrics["train peak PSS MiB (tree)"] = trained["tree_peak_pss_mib"]
    metrics["train peak RSS MiB (tree sum)"] = trained["tree_peak_rss_mib"]
    metrics["train VmHWM MiB (main process)"] = trained["vmhwm_mib"]

    evaluated = runs["evaluate"] = run({"action": "evaluate"})
    if evaluated["ok"]:
        metrics["test RMSE px"] = evaluated["test_rmse_px"]
        metrics["train RMSE px"] = evaluated["train_rmse_px"]

    frames = args.frames
    for engine in engines:
        suffix = f" [engine={engine}]" if engine is not None else ""
        for scale in args.length_scale:
            if scale != 1 and pkg.name != "ours":
                continue
            destfolder = pkg.work / "analysis" / f"{pkg.name}-{shuffle}-{engine}-{scale}x"
            analyzed = runs[f"analyze{suffix} {scale}x"] = run(
                {"action": "analyze", "video": str(clips[scale]), "frames": frames * scale, "destfolder": str(destfolder),
                 "engine": engine}, f"{suffix} {scale}x")
            if not analyzed["ok"]:
                continue
            at = "" if scale == 1 else f" at {scale}x"
            if scale == 1:
                metrics[f"analyze_videos frames/s{suffix}"] = frames / analyzed["seconds"]
                metrics[f"analyze_videos frames/s without model load{suffix}"] = frames / max(analyzed["seconds"] - analyzed["model_load_seconds"], 1e-9)
                metrics[f"analyze_videos model load s{suffix}"] = analyzed["model_load_seconds"]
            metrics[f"analysis peak PSS MiB (tree){at}{suffix}"] = analyzed["tree_peak_pss_mib"]
            metrics[f"analysis peak RSS MiB (tree sum){at}{suffix}"] = analyzed["tree_peak_rss_mib"]
            metrics[f"analysis VmHWM MiB (main process){at}{suffix}"] = analyzed["vmhwm_mib"]
        largest = max(args.length_scale)
        if largest != 1 and pkg.name == "ours":
            short = runs.get(f"analyze{suffix} 1x", {})
            long = runs.get(f"analyze{suffix} {largest}x", {})
            if short.get("ok") and long.get("ok"):
                metrics[f"analysis VmHWM growth % 1x->{largest}x{suffix}"] = 100 * (long["vmhwm_mib"] / short["vmhwm_mib"] - 1)
                metrics[f"analysis PSS growth % 1x->{largest}x{suffix}"] = 100 * (long["tree_peak_pss_mib"] / short["tree_peak_pss_mib"] - 1)

    forward = runs["model"] = run({"action": "model", "video": str(clips[1]), "frames": frames})
    if forward["ok"]:
        metrics["model-only frames/s"] = forward["frames"] / forward["seconds"]
    decoded = runs["decode"] = run({"action": "decode", "video": str(clips[1]), "frames": frames})
    if decoded["ok"]:
        metrics["decode-only frames/s (cv2)"] = decoded["frames"] / decoded["seconds"]
    return {"metrics": metrics, "runs": runs}


# -- the report -------------------------------------------------------------------------------------------


def medians(rounds: list[dict[str, Any]]) -> dict[str, float]:
    names: dict[str, list[float]] = {}
    for one in rounds:
        for name, value in one["metrics"].items():
            names.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in names.items()}


def markdown_tables(summary: dict[str, dict[str, Any]], pairs: list[tuple[list[str], str]]) -> str:
    """One table per net pair: rows are metrics, columns the systems' medians and ours/DLC ratios."""
    blocks = []
    for ours_labels, dlc_label in pairs:
        dlc = summary.get(dlc_label, {}).get("median", {})
        header = ["metric (median)", *ours_labels, dlc_label, *[f"ratio {label.split(' ', 1)[1]} / DLC" for label in ours_labels]]
        rows = []
        names: list[str] = []
        for label in ours_labels + [dlc_label]:
            names += [name for name in summary.get(label, {}).get("median", {}) if name not in names]
        for name in names:
            base = re.sub(r" \[engine=[^\]]*\]$", "", name)
            reference = dlc.get(base)
            cells = [name]
            cells += [fmt(summary[label]["median"].get(name)) for label in ours_labels]
            cells.append(fmt(reference) if reference is not None else "-")
            for label in ours_labels:
                value = summary[label]["median"].get(name)
                cells.append(f"{value / reference:.2f}" if value is not None and reference else "-")
            rows.append(cells)
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
    wanted = re.compile(r"^(avx|avx2|fma|f16c|avx512.*|avx_vnni|amx.*)$")
    memory = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
    return {
        "cpu": model.group(1) if model else "?",
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory.group(1)) / MIB / MIB, 1) if memory else None,
        "cpu_flags": sorted(f for f in (flags.group(1).split() if flags else []) if wanted.match(f)),
    }


def results_block(report: dict[str, Any], tables: str) -> str:
    settings, info = report["settings"], report["info"]
    versions = "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in entry.get("versions", {}).items())
        for name, entry in info.items()
    )
    return "\n".join([
        TABLE_BEGIN,
        f"### {report['date']}: `{report['command']}`",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, {report['machine']['memory_gib']} GiB; "
        f"CPU flags: {' '.join(report['machine']['cpu_flags'])}.",
        f"Versions: {versions}.",
        f"Settings: {settings['train_images']} training images, batch {settings['batch_size']}, {settings['crop']}x{settings['crop']} crops, "
        f"{settings['epochs']} epochs, random init; {settings['frames']} frames of the 640x480 video; device {settings['device']}; "
        f"{settings['alternations']} alternation(s); workers {settings['workers'] if settings['workers'] is not None else 'each package default'}.",
        "",
        tables,
        TABLE_END,
    ])


def write_results_md(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else ""
    if TABLE_BEGIN in text and TABLE_END in text:
        head, rest = text.split(TABLE_BEGIN, 1)
        text = head + block + rest.split(TABLE_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


# -- main -------------------------------------------------------------------------------------------------


def copy_project(target: Path) -> Path:
    shutil.copytree(OPENFIELD, target, ignore=shutil.ignore_patterns("*.mp4", "dlc-models*", "training-datasets", "evaluation-results*"))
    return target / "config.yaml"


def split(train_images: int) -> tuple[list[int], list[int]]:
    candidates = [i for i in range(NUM_IMAGES) if i not in TEST_IMAGES]
    if not 0 < train_images <= len(candidates):
        raise SystemExit(f"--train-images must be between 1 and {len(candidates)}.")
    return [candidates[i * len(candidates) // train_images] for i in range(train_images)], TEST_IMAGES


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dlc-python", type=Path, default=DEFAULT_DLC_PYTHON)
    parser.add_argument("--ours-python", type=Path, default=Path(sys.executable))
    parser.add_argument("--nets", default="dekr_32", help="our net types, comma-separated; DeepLabCut's nearest is paired (dekr_16: dekr_w18), or give ours:theirs")
    parser.add_argument("--alternations", type=int, default=None, help="rounds of A B (default 2; --quick 1)")
    parser.add_argument("--train-images", type=int, default=None, help="default 24 (--quick 8)")
    parser.add_argument("--epochs", type=int, default=None, help="default 3 (--quick 1)")
    parser.add_argument("--frames", type=int, default=None, help="frames analyzed, default 64 (--quick 16)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--crop", type=int, default=448, help="training crop side (pixels)")
    parser.add_argument("--workers", type=int, default=None, help="train_settings.dataloader_workers for both (default: each package's)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda, passed to both packages")
    parser.add_argument("--precision", default="", help="ours: runner.mixed_precision values to force, comma-separated (auto, false, bf16); default: not forced")
    parser.add_argument("--engines", default="", help="ours: analyze_videos engine= values, comma-separated (auto, torch, openvino, onnxruntime), passed only if our analyze_videos has it")
    parser.add_argument("--length-scale", default="1", help="ours: also analyze the clip repeated k times, e.g. 1,10 (memory must stay flat)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 8 images, 1 epoch, 16 frames, 1 round")
    parser.add_argument("--sample-interval", type=float, default=0.5, help="seconds between memory samples")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds allowed to one measurement")
    parser.add_argument("--out", type=Path, default=None, help="JSON (default benchmarks/results/side_by_side-<date>.json)")
    parser.add_argument("--results-md", type=Path, default=None, help="replace the side_by_side block of this markdown file (benchmarks/RESULTS.md)")
    parser.add_argument("--skip-dlc", action="store_true", help="measure ours only (a quick check of our side; no ratios)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    quick = {"alternations": 1, "train_images": 8, "epochs": 1, "frames": 16}
    full = {"alternations": 2, "train_images": 24, "epochs": 3, "frames": 64}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.length_scale = sorted({1, *(int(k) for k in comma_list(args.length_scale))})
    return args


def main() -> int:
    args = parse_args()
    if not OPENFIELD.is_dir():
        raise SystemExit(f"The openfield example is not at {OPENFIELD}.")
    if not args.skip_dlc and not args.dlc_python.exists():
        raise SystemExit(f"DeepLabCut 3.0.2's Python is not at {args.dlc_python} (--dlc-python).")
    now = dt.datetime.now(dt.timezone.utc)
    out = args.out or HERE / "results" / f"side_by_side-{now:%Y%m%d-%H%M}.json"
    work = Path(tempfile.mkdtemp(prefix="side-by-side-"))
    for folder in ("jobs", "logs", "analysis", "videos"):
        (work / folder).mkdir()
    shutil.copy2(CHILD, work / CHILD.name)
    started = time.time()
    print(f"work folder {work}", flush=True)
    try:
        ours = Package("ours", args.ours_python, ours_environment(args.device), work)
        dlc = Package("dlc", args.dlc_python, dlc_environment(args.device), work)
        info = {pkg.name: pkg.run({"action": "info"}, pkg.name, args.sample_interval, 600) for pkg in ((ours,) if args.skip_dlc else (ours, dlc))}
        if not all(entry["ok"] for entry in info.values()):
            return 1
        has_engine = info["ours"].get("analyze_videos_has_engine", False)
        engines: list[str | None] = list(comma_list(args.engines)) or [None]
        if engines != [None] and not has_engine:
            print(f"  our analyze_videos has no engine argument yet: --engines {args.engines} ignored (one analysis, its default)")
            engines = [None]

        clips = {scale: cut_clip(OPENFIELD_VIDEO, work / "videos" / f"clip-{args.frames}x{scale}.mp4", args.frames, repeat=scale)
                 for scale in args.length_scale}
        train, test = split(args.train_images)
        pairs = []
        for entry in comma_list(args.nets):
            ours_net, _, dlc_net = entry.partition(":")
            dlc_net = dlc_net or DLC_NET.get(ours_net, "")
            if not dlc_net:
                raise SystemExit(f"--nets: no DeepLabCut net type is paired with {ours_net}; give {ours_net}:<DeepLabCut net type>.")
            pairs.append((ours_net, dlc_net))
        precisions: list[str | None] = list(comma_list(args.precision)) or [None]

        systems: list[tuple[list[System], System]] = []
        next_shuffle = {"ours": 1, "dlc": 1}
        for pair_index, (ours_net, dlc_net) in enumerate(pairs):
            group = [System(ours, ours_net, precision) for precision in precisions]
            reference = System(dlc, dlc_net)
            for system in [*group, *([] if args.skip_dlc else [reference])]:
                pkg = system.package
                system.config = work / pkg.name / OPENFIELD.name / "config.yaml"
                if not system.config.exists():
                    copy_project(system.config.parent)
                first = next_shuffle[pkg.name]
                system.shuffles = list(range(first, first + args.alternations))
                next_shuffle[pkg.name] += args.alternations
                made = pkg.run({"action": "setup", "config": str(system.config), "shuffles": system.shuffles, "net_type": system.net_type,
                                "train_indices": train, "test_indices": test}, system.label, args.sample_interval, 1800)
                if not made["ok"]:
                    return 1
                system.trainingsetindex = made["trainingsetindex"]
            systems.append((group, reference))

        rounds: dict[str, list[dict[str, Any]]] = {}
        for index in range(args.alternations):
            print(f"round {index + 1} of {args.alternations}", flush=True)
            for group, reference in systems:
                for system in [*group, *([] if args.skip_dlc else [reference])]:
                    rounds.setdefault(system.label, []).append(
                        measure_round(system, system.shuffles[index], args, clips, engines if system.package.name == "ours" else [None]))

        summary = {label: {"median": medians(done), "rounds": done} for label, done in rounds.items()}
        tables = markdown_tables(summary, [([s.label for s in group], reference.label) for group, reference in systems])
        report = {
            "date": now.isoformat(timespec="seconds"),
            "command": "python benchmarks/side_by_side.py " + " ".join(sys.argv[1:]),
            "machine": machine(),
            "info": info,
            "settings": {"train_images": args.train_images, "train_indices": train, "test_indices": test, "batch_size": args.batch_size,
                         "crop": args.crop, "epochs": args.epochs, "frames": args.frames, "device": args.device,
                         "alternations": args.alternations, "workers": args.workers, "nets": pairs, "precisions": precisions,
                         "engines": engines, "length_scale": args.length_scale, "quick": args.quick, "skip_dlc": args.skip_dlc},
            "summary": summary,
            "seconds": time.time() - started,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1, default=str))
        print()
        print(tables)
        print(f"\n{out} written; total {time.time() - started:.0f} s")
        if args.results_md:
            write_results_md(args.results_md, results_block(report, tables))
            print(f"{args.results_md} updated")
        failed = [name for done in rounds.values() for one in done for name, r in one["runs"].items() if not r.get("ok")]
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
