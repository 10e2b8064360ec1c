"""``deeplabcut <command>``: the workflow from a shell.

Every command takes the same arguments as its Python function. Exit codes:
0 success, 1 bad input or a failed step (one line on stderr says why, for
every error, ours or a library's), 2 wrong command-line usage, 130
interrupted. ``--debug`` (before or after the command) or the environment
variable ``DLC_DEBUG=1`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from ruamel.yaml import YAML

from deeplabcut.errors import DLCError, MissingFileError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Environment variable that makes errors print their traceback (any value but "", "0", "false", "no").
DEBUG_ENVIRONMENT_VARIABLE = "DLC_DEBUG"
#: Longest error line printed without --debug (a library message can be thousands of characters).
MAX_ERROR_CHARACTERS = 2000


def parse_override(text: str) -> tuple[str, Any]:
    """``"train_settings.epochs=5"`` -> ``("train_settings.epochs", 5)``; values are read as YAML."""
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"'{text}' is not key=value (e.g. train_settings.epochs=5)")
    return key.strip(), YAML(typ="safe").load(value) if value.strip() else None


def _videos(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", nargs="+", help="video files or folders of videos")
    parser.add_argument("--videotype", default="", help="extension to pick in folders, e.g. .mp4")


#: The arguments that name a trained model, as the APIs spell them (``TrainedModel.resolve``).
MODEL_ARGUMENTS = ("shuffle", "shuffles", "trainingsetindex", "modelprefix", "snapshotindex", "detector_snapshot_index")


def _model(parser: argparse.ArgumentParser, snapshot: bool = True, many: bool = False) -> None:
    """Declare the arguments that name a trained model (``many``: several shuffles and 'all' fractions)."""
    if many:
        parser.add_argument("--shuffles", type=int, nargs="+", default=[1])
        parser.add_argument("--trainingsetindex", type=_trainingsetindex, default=0, help="an index or 'all'")
    else:
        parser.add_argument("--shuffle", type=int, default=1, help="shuffle index (default 1)")
        parser.add_argument("--trainingsetindex", type=int, default=0, help="index into TrainingFraction (default 0)")
    parser.add_argument("--modelprefix", default="", help="folder holding the model folders")
    if snapshot:
        parser.add_argument("--snapshotindex", type=_snapshot_index, default=None, help="snapshot: -1 (best/last), an index, or 'all'")
        parser.add_argument(
            "--detector-snapshotindex", dest="detector_snapshot_index", type=_snapshot_index, default=None,
            help="top-down net types: the detector's snapshot-detector-*.pt: -1 (best/last), an index, or 'best' "
            "(default: config.yaml's detector_snapshotindex)",
        )  # fmt: skip


def _engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", default=None,
        help="what runs the network: auto, torch, openvino or onnxruntime "
        "(default: pytorch_config.yaml's inference.engine, else auto: PyTorch where it runs in bf16, OpenVINO on other CPUs)",
    )  # fmt: skip


def _model_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The model-naming arguments a command was given, as keyword arguments of its API."""
    return {name: getattr(args, name) for name in MODEL_ARGUMENTS if hasattr(args, name)}


def _trainingsetindex(text: str) -> int | str:
    return text if text == "all" else int(text)


def _snapshot_index(text: str) -> int | str:
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import parse_snapshot_index

    return parse_snapshot_index(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deeplabcut",
        description="DeepLabCut's pose-estimation workflow, PyTorch-native (DEKR, TokenPose and top-down HRNet models).",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    new = commands.add_parser("new", help="create a project", description="Create <project>-<experimenter>-<date>/ with config.yaml.")
    new.add_argument("project")
    new.add_argument("experimenter")
    new.add_argument("videos", nargs="+")
    new.add_argument("--working-directory", default=None)
    new.add_argument("--copy-videos", action="store_true")
    new.add_argument("--multianimal", action="store_true")
    new.add_argument("--videotype", default="")

    extract = commands.add_parser("extract-frames", help="extract frames to label", description="Write numframes2pick frames per video into labeled-data/.")
    extract.add_argument("config")
    extract.add_argument("--algo", choices=["kmeans", "uniform"], default="kmeans")
    extract.add_argument("--crop", action="store_true", help="crop frames to each video's crop")
    extract.add_argument("--seed", type=int, default=None)

    check = commands.add_parser("check-labels", help="draw the labeled frames", description="Draw every labeled frame into labeled-data/<video>_labeled/.")
    check.add_argument("config")

    dataset = commands.add_parser("create-training-dataset", help="create shuffles and model folders", description="Merge labels, split train/test, write model folders.")
    dataset.add_argument("config")
    dataset.add_argument("--net-type", default=None, help="dekr_16, dekr_32, dekr_48, token_pose_w16/w32/w48, top_down_hrnet_w18/w32/w48")
    dataset.add_argument("--num-shuffles", type=int, default=1)
    dataset.add_argument("--shuffles", type=int, nargs="+", default=None, help="explicit shuffle indices")
    dataset.add_argument("--overwrite", action="store_true", help="replace existing shuffles (old model folders are kept as backups)")

    train = commands.add_parser("train", help="train a shuffle", description="Train a shuffle; key=value arguments override pytorch_config.yaml entries.")
    train.add_argument("config")
    _model(train, snapshot=False)
    train.add_argument("--snapshot-path", default=None, help="resume the pose model from this snapshot")
    train.add_argument("--epochs", type=int, default=None, help="the pose model's final epoch count (0: do not train it)")
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--device", default=None)
    top_down = train.add_argument_group("top-down net types (token_pose_*, top_down_hrnet_*): the detector")
    top_down.add_argument("--detector-path", default=None, help="resume the detector from this snapshot-detector-*.pt")
    top_down.add_argument("--detector-epochs", type=int, default=None, help="its final epoch count (0: do not train it)")
    top_down.add_argument("--detector-batch-size", type=int, default=None)
    top_down.add_argument("--detector-save-epochs", type=int, default=None)
    train.epilog = (
        "Any other argument of the form key=value overrides that entry of pytorch_config.yaml, "
        "e.g. train_settings.epochs=5 runner.optimizer.params.lr=0.001 (values are read as YAML)."
    )

    evaluate = commands.add_parser("evaluate", help="evaluate trained snapshots", description="Score snapshots on their train and test images.")
    evaluate.add_argument("config")
    _model(evaluate, many=True)
    evaluate.add_argument("--plotting", nargs="?", const=True, default=False, choices=[True, "bodypart", "individual"], help="draw predictions on the images")
    evaluate.add_argument("--batch-size", type=int, default=1)
    evaluate.add_argument("--device", default=None)
    _engine(evaluate)

    analyze = commands.add_parser("analyze", help="analyze videos", description="Predict poses in videos (and track multi-animal ones).")
    analyze.add_argument("config")
    _videos(analyze)
    _model(analyze)
    analyze.add_argument("--destfolder", default=None)
    analyze.add_argument("--batch-size", type=int, default=None)
    analyze.add_argument("--device", default=None)
    _engine(analyze)
    analyze.add_argument("--save-as-csv", action="store_true")
    analyze.add_argument("--no-auto-track", dest="auto_track", action="store_false", help="multi-animal: skip tracking and stitching")
    analyze.add_argument("--n-tracks", type=int, default=None)
    analyze.add_argument("--overwrite", action="store_true")
    analyze.add_argument(
        "--shard", default=None,
        help="analyze only this worker's share: i/N (worker i of N, from 0), torchrun, slurm (job array) or auto; "
        "default under torchrun: the process's rank",
    )  # fmt: skip

    status = commands.add_parser(
        "analyze-status", help="which videos are analyzed",
        description="List which videos of a set analyze (run by any number of workers) has finished; "
        "exit code 1 while some are not done.",
    )  # fmt: skip
    status.add_argument("config")
    _videos(status)
    _model(status)
    status.add_argument("--destfolder", default=None)
    status.add_argument("--no-auto-track", dest="auto_track", action="store_false", help="multi-animal: do not expect tracks")
    status.add_argument("--track-method", choices=["ellipse", "box"], default="")

    track = commands.add_parser("track", help="detections to tracklets", description="Frame-to-frame tracking of analyzed multi-animal videos.")
    track.add_argument("config")
    _videos(track)
    _model(track)
    track.add_argument("--track-method", choices=["ellipse", "box"], default="")
    track.add_argument("--destfolder", default=None)
    track.add_argument("--overwrite", action="store_true")

    stitch = commands.add_parser("stitch", help="tracklets to identities", description="Stitch tracklets into n_tracks identities.")
    stitch.add_argument("config")
    _videos(stitch)
    _model(stitch)
    stitch.add_argument("--n-tracks", type=int, default=None)
    stitch.add_argument("--min-length", type=int, default=10)
    stitch.add_argument("--track-method", choices=["ellipse", "box"], default="")
    stitch.add_argument("--destfolder", default=None)
    stitch.add_argument("--save-as-csv", action="store_true")

    label = commands.add_parser("label-video", help="draw results on videos", description="Write <video><scorer>..._labeled.mp4.")
    label.add_argument("config")
    _videos(label)
    _model(label)
    label.add_argument("--color-by", choices=["bodypart", "individual"], default="bodypart")
    label.add_argument("--draw-skeleton", action="store_true")
    label.add_argument("--trailpoints", type=int, default=0)
    label.add_argument("--pcutoff", type=float, default=None)
    label.add_argument("--track-method", choices=["ellipse", "box"], default="")
    label.add_argument("--destfolder", default=None)
    label.add_argument("--overwrite", action="store_true")
    label.add_argument("--filtered", action="store_true", help="draw filterpredictions' output (..._filtered.h5)")

    _add_post_processing_commands(commands)

    # -- refinement loop: extract-outlier-frames, refine-labels, merge-datasets --
    outliers = commands.add_parser(
        "extract-outlier-frames", help="extract frames the model got wrong, with its predictions",
        description="Write outlier frames of analyzed videos into labeled-data/<video>/ with machinelabels-iter<N>.h5.",
    )  # fmt: skip
    outliers.add_argument("config")
    _videos(outliers)
    _model(outliers)
    outliers.add_argument("--outlieralgorithm", choices=["jump", "fitting", "uncertain", "list"], default="jump")
    outliers.add_argument("--frames2use", type=int, nargs="+", default=None, help="frame indices for --outlieralgorithm list")
    outliers.add_argument("--comparisonbodyparts", nargs="+", default="all", help="bodyparts to compare (default: all)")
    outliers.add_argument("--epsilon", type=float, default=20, help="jump/fitting: distance in pixels (default 20)")
    _sarimax_options(outliers, p_bound=0.01, uses="uncertain/fitting")
    outliers.add_argument("--extractionalgorithm", choices=["kmeans", "uniform"], default="kmeans")
    outliers.add_argument("--automatic", action="store_true", help="extract without asking")
    outliers.add_argument("--savelabeled", action="store_true", help="also write img<N>labeled.png with the predictions drawn")
    outliers.add_argument("--copy-videos", action="store_true", help="copy a video not yet in the project (default: link it)")
    outliers.add_argument("--track-method", choices=["ellipse", "box"], default="")
    outliers.add_argument("--destfolder", default=None)
    outliers.add_argument("--seed", type=int, default=None)

    refine = commands.add_parser("refine-labels", help="correct machine labels in napari-deeplabcut", description="Open napari-deeplabcut on a labeled-data folder.")
    refine.add_argument("config")
    refine.add_argument("--image-folder", default=None, help="folder of labeled-data to open (default: the first not yet corrected)")

    merge = commands.add_parser("merge-datasets", help="check the corrections and start the next iteration", description="Fold refined labels into CollectedData and raise config.yaml's iteration.")
    merge.add_argument("config")
    merge.add_argument("--forceiterate", type=int, default=None, help="set iteration to this value instead of adding one")
    # -- end refinement loop --

    # Exported models (DeepLabCut-Live's .pt, TorchScript, ONNX).
    export = commands.add_parser(
        "export-model", help="export a trained model (DeepLabCut-Live, TorchScript, ONNX)",
        description="Write exported-models-pytorch/DLC_<Task>_<net>_iteration-<N>_shuffle-<k>/ with DeepLabCut-Live's .pt "
        "and, with --formats, TorchScript and ONNX graphs of the networks.",
    )
    export.add_argument("config")
    _model(export)
    export.add_argument("--iteration", type=int, default=None, help="project iteration (default: config.yaml's)")
    export.add_argument("--formats", nargs="+", choices=["pt", "torchscript", "onnx"], default=["pt"], help="what to write (default: pt)")
    export.add_argument("--overwrite", action="store_true", help="replace files already exported")
    export.add_argument("--wipe-paths", action="store_true", help="remove this machine's paths from the exported config")
    export.add_argument("--without-detector", action="store_true", help="top-down models: export the pose model alone")

    demo = commands.add_parser("demo", help="run the whole workflow on a synthetic project", description="Generate a synthetic multi-animal project and run every step on it.")
    demo.add_argument("--output", default="demo-output", help="folder for the demo project (default ./demo-output)")
    demo.add_argument("--net-type", default="dekr_16", help="dekr_16 (default), token_pose_w16, top_down_hrnet_w18, ...")
    demo.add_argument("--epochs", type=int, default=None, help="training epochs of the pose model (default: the demo's)")
    demo.add_argument("--detector-epochs", type=int, default=None, help="top-down net types: the detector's (default: the demo's)")
    demo.add_argument("--device", default=None)

    debug_help = f"print the traceback of an error (or set {DEBUG_ENVIRONMENT_VARIABLE}=1)"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    for command in commands.choices.values():  # also accepted after the command; SUPPRESS keeps a --debug given before it
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    return parser


def _run(args: argparse.Namespace) -> None:
    import deeplabcut

    def api() -> Any:
        import deeplabcut.pose_estimation_pytorch.apis as apis

        return apis

    model = _model_kwargs(args)
    commands: dict[str, Callable[[], Any]] = {
        "new": lambda: print(
            deeplabcut.create_new_project(
                args.project, args.experimenter, args.videos, working_directory=args.working_directory,
                copy_videos=args.copy_videos, videotype=args.videotype, multianimal=args.multianimal,
            )
        ),
        "extract-frames": lambda: deeplabcut.extract_frames(args.config, algo=args.algo, crop=args.crop, seed=args.seed),
        "check-labels": lambda: deeplabcut.check_labels(args.config),
        "create-training-dataset": lambda: deeplabcut.create_training_dataset(
            args.config, num_shuffles=args.num_shuffles, Shuffles=args.shuffles, net_type=args.net_type, overwrite=args.overwrite
        ),
        "train": lambda: api().train_network(
            args.config, snapshot_path=args.snapshot_path, epochs=args.epochs, batch_size=args.batch_size,
            device=args.device, detector_path=args.detector_path, detector_epochs=args.detector_epochs,
            detector_batch_size=args.detector_batch_size, detector_save_epochs=args.detector_save_epochs,
            pytorch_cfg_updates=dict(args.overrides), **model,
        ),
        "evaluate": lambda: api().evaluate_network(
            args.config, plotting=args.plotting, batch_size=args.batch_size, device=args.device, engine=args.engine, **model,
        ),
        "analyze": lambda: api().analyze_videos(
            args.config, args.videos, videotype=args.videotype, device=args.device,
            destfolder=args.destfolder, batch_size=args.batch_size, save_as_csv=args.save_as_csv,
            auto_track=args.auto_track, n_tracks=args.n_tracks, overwrite=args.overwrite, shard=args.shard,
            engine=args.engine, **model,
        ),
        "analyze-status": lambda: _analyze_status(args, model),
        "track": lambda: api().convert_detections2tracklets(
            args.config, args.videos, videotype=args.videotype,
            track_method=args.track_method, destfolder=args.destfolder, overwrite=args.overwrite, **model,
        ),
        "stitch": lambda: api().stitch_tracklets(
            args.config, args.videos, videotype=args.videotype, n_tracks=args.n_tracks,
            min_length=args.min_length, track_method=args.track_method, destfolder=args.destfolder,
            save_as_csv=args.save_as_csv, **model,
        ),
        "label-video": lambda: api().create_labeled_video(
            args.config, args.videos, videotype=args.videotype, color_by=args.color_by,
            draw_skeleton=args.draw_skeleton, trailpoints=args.trailpoints, pcutoff=args.pcutoff,
            track_method=args.track_method, destfolder=args.destfolder, overwrite=args.overwrite,
            filtered=args.filtered, **model,
        ),
        "demo": lambda: _demo(args),
        # -- refinement loop --
        "extract-outlier-frames": lambda: deeplabcut.extract_outlier_frames(
            args.config, args.videos, videotype=args.videotype, outlieralgorithm=args.outlieralgorithm,
            frames2use=args.frames2use, comparisonbodyparts=args.comparisonbodyparts, epsilon=args.epsilon,
            p_bound=args.p_bound, ARdegree=args.ARdegree, MAdegree=args.MAdegree, alpha=args.alpha,
            extractionalgorithm=args.extractionalgorithm, automatic=args.automatic, savelabeled=args.savelabeled,
            copy_videos=args.copy_videos, destfolder=args.destfolder, track_method=args.track_method, seed=args.seed,
            shuffle=args.shuffle, trainingsetindex=args.trainingsetindex, modelprefix=args.modelprefix,
            snapshot_index=args.snapshotindex, detector_snapshot_index=args.detector_snapshot_index,
        ),
        "refine-labels": lambda: deeplabcut.refine_labels(args.config, image_folder=args.image_folder),
        "merge-datasets": lambda: deeplabcut.merge_datasets(args.config, forceiterate=args.forceiterate),
        # -- end refinement loop --
        # Exported models.
        "export-model": lambda: api().export_model(
            args.config, iteration=args.iteration, overwrite=args.overwrite, wipe_paths=args.wipe_paths,
            without_detector=args.without_detector, formats=tuple(args.formats), **model,
        ),
    }
    commands.update(_post_processing_runs(args, model))
    commands[args.command]()


# -- post-processing: filterpredictions, analyzeskeleton, convert-to-csv, convert-to-nwb ------------


def _sarimax_options(parser: Any, p_bound: float, uses: str) -> None:
    """``--p-bound``, ``--ARdegree``, ``--MAdegree``, ``--alpha``: the SARIMAX fit's settings (DeepLabCut's defaults)."""
    parser.add_argument("--p-bound", dest="p_bound", type=float, default=p_bound, help=f"{uses}: likelihoods below it count as missing (default {p_bound})")
    parser.add_argument("--ARdegree", type=int, default=3, help=f"{uses}: autoregressive order")
    parser.add_argument("--MAdegree", type=int, default=1, help=f"{uses}: moving-average order")
    parser.add_argument("--alpha", type=float, default=0.01, help=f"{uses}: significance level of the confidence interval")


def _add_post_processing_commands(commands: Any) -> None:
    filtering = commands.add_parser(
        "filterpredictions", help="smooth analysed poses over time",
        description="Write <video><scorer>[_el]_filtered.h5 (and .csv): median, spline or ARIMA filter of the analysed poses.",
    )  # fmt: skip
    filtering.add_argument("config")
    _videos(filtering)
    _model(filtering)
    filtering.add_argument("--filtertype", choices=["median", "arima", "spline"], default="median")
    filtering.add_argument("--windowlength", type=int, default=5, help="median: window in frames (odd); spline: longest gap filled (0: all)")
    _sarimax_options(filtering, p_bound=0.001, uses="arima")
    filtering.add_argument("--no-csv", dest="save_as_csv", action="store_false", help="do not write the .csv twin")
    filtering.add_argument("--track-method", choices=["ellipse", "box"], default="")
    filtering.add_argument("--destfolder", default=None)
    filtering.add_argument("--overwrite", action="store_true", help="filter again videos that already have a filtered file")

    skeleton = commands.add_parser(
        "analyzeskeleton", help="bone lengths and orientations",
        description="Write ..._skeleton.h5: length and orientation of each config.yaml skeleton bone per frame.",
    )  # fmt: skip
    skeleton.add_argument("config")
    _videos(skeleton)
    _model(skeleton)
    skeleton.add_argument("--filtered", action="store_true", help="measure filterpredictions' output")
    skeleton.add_argument("--save-as-csv", action="store_true")
    skeleton.add_argument("--track-method", choices=["ellipse", "box"], default="")
    skeleton.add_argument("--destfolder", default=None)
    skeleton.add_argument("--overwrite", action="store_true")

    to_csv = commands.add_parser("convert-to-csv", help="analysis .h5 files to .csv", description="Write a .csv beside every DeepLabCut .h5 of the videos in a folder.")
    to_csv.add_argument("video_folder")
    to_csv.add_argument("--videotype", default=".mp4")

    to_nwb = commands.add_parser(
        "convert-to-nwb", help="analysis .h5 files to NWB (ndx-pose)",
        description="Write <h5 stem>_<individual>.nwb for every DeepLabCut pose .h5 of the videos in a folder (needs pip install 'deeplabcut-torch[nwb]').",
    )  # fmt: skip
    to_nwb.add_argument("config")
    to_nwb.add_argument("video_folder")
    to_nwb.add_argument("--videotype", default=".mp4")


def _post_processing_runs(args: argparse.Namespace, model: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    import deeplabcut

    return {
        "filterpredictions": lambda: deeplabcut.filterpredictions(
            args.config, args.videos, videotype=args.videotype, filtertype=args.filtertype,
            windowlength=args.windowlength, p_bound=args.p_bound, ARdegree=args.ARdegree, MAdegree=args.MAdegree,
            alpha=args.alpha, save_as_csv=args.save_as_csv, destfolder=args.destfolder,
            track_method=args.track_method, overwrite=args.overwrite, **model,
        ),
        "analyzeskeleton": lambda: deeplabcut.analyzeskeleton(
            args.config, args.videos, videotype=args.videotype, filtered=args.filtered, save_as_csv=args.save_as_csv,
            destfolder=args.destfolder, track_method=args.track_method, overwrite=args.overwrite, **model,
        ),
        "convert-to-csv": lambda: deeplabcut.analyze_videos_converth5_to_csv(args.video_folder, videotype=args.videotype),
        "convert-to-nwb": lambda: deeplabcut.analyze_videos_converth5_to_nwb(args.config, args.video_folder, videotype=args.videotype),
    }


def _analyze_status(args: argparse.Namespace, model: dict[str, Any]) -> None:
    from deeplabcut.pose_estimation_pytorch.apis import analysis_status

    status = analysis_status(
        args.config, args.videos, videotype=args.videotype, destfolder=args.destfolder,
        auto_track=args.auto_track, track_method=args.track_method, **model,
    )  # fmt: skip
    print(status.summary())
    if status.not_done:
        raise MissingFileError(
            f"The results of {len(status.not_done)} of {len(status.videos)} video(s) are missing or incomplete "
            "(listed above); run analyze again with the same arguments (done videos are skipped)."
        )


def _demo(args: argparse.Namespace) -> None:
    from deeplabcut.demo import run_demo

    run_demo(args.output, net_type=args.net_type, epochs=args.epochs, device=args.device, detector_epochs=args.detector_epochs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)  # exits with 2 on usage errors
    args.overrides = []
    for token in extra:
        if args.command != "train" or "=" not in token or token.startswith("-"):
            parser.error(f"unrecognized argument: {token}")
        try:
            args.overrides.append(parse_override(token))
        except argparse.ArgumentTypeError as err:
            parser.error(str(err))
    debug = args.debug or _debug_from_environment()
    try:
        _run(args)
    except KeyboardInterrupt:
        print("deeplabcut: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - every error becomes one line and exit code 1
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(f"deeplabcut {args.command}: error: {error_line(err, debug)}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def error_line(err: BaseException, debug: bool = False) -> str:
    """One line for an error: our messages as they are; a library's prefixed with its type and a hint to --debug."""
    message = " ".join(str(err).split()) or "(no message)"
    if not isinstance(err, DLCError):
        message = f"{type(err).__name__}: {message}"
    if len(message) > MAX_ERROR_CHARACTERS and not debug:
        message = f"{message[:MAX_ERROR_CHARACTERS]}... ({len(message) - MAX_ERROR_CHARACTERS} more characters)"
    if not isinstance(err, DLCError) and not debug:
        message += f" (run with --debug or {DEBUG_ENVIRONMENT_VARIABLE}=1 for the traceback)"
    return message


def _debug_from_environment() -> bool:
    return os.environ.get(DEBUG_ENVIRONMENT_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
