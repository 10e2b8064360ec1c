"""Frame-to-frame tracking of animal assemblies and global tracklet stitching.

Data flow (DeepLabCut's file names in brackets)::

    assemblies {frame: (n, K, 4)}          [<video><scorer>_assemblies.pickle]
      -> build_tracklets(...)               [<video><scorer>_el.pickle / _bx.pickle]
      -> stitch_tracklet_dict(...)          -> TrackletStitcher, StitchingReport
      -> TrackletStitcher.to_dataframe(...)
      -> write_tracks_h5(df, path)          [<video><scorer>_el.h5, HDF key "tracks"]

Modules: :mod:`~deeplabcut.tracking.trackers` (SORT trackers),
:mod:`~deeplabcut.tracking.tracklets` (assemblies -> tracklets),
:mod:`~deeplabcut.tracking.tracklet` (the tracklet type),
:mod:`~deeplabcut.tracking.stitch` (the min-cost-flow stitcher),
:mod:`~deeplabcut.tracking.residuals` (short pieces),
:mod:`~deeplabcut.tracking.report` (what went wrong, in words),
:mod:`~deeplabcut.tracking.evaluation` (tracks scored against ground truth).
The files themselves are read and written by :mod:`deeplabcut.formats`.
"""

from deeplabcut.errors import TrackingDataError
from deeplabcut.formats.tracklets import frame_key, frame_key_width, tracklet_header
from deeplabcut.formats.tracks import tracks_from_dataframe, write_tracks_h5
from deeplabcut.geometry import box_iou
from deeplabcut.project.paths import TRACK_METHODS
from deeplabcut.tracking.evaluation import count_identity_switches, match_tracks, per_frame_error
from deeplabcut.tracking.kalman import KalmanBank, LinearModel, kinematic_model
from deeplabcut.tracking.report import StitchingReport, StitchingWarning
from deeplabcut.tracking.stitch import TrackletStitcher, stitch_tracklet_dict
from deeplabcut.tracking.trackers import SORTBox, SORTEllipse, ellipse_similarity, fit_ellipses
from deeplabcut.tracking.tracklet import Tracklet
from deeplabcut.tracking.tracklets import build_tracklets, make_tracker
from deeplabcut.utils.pickles import read_pickle, write_pickle

__all__ = [
    "TRACK_METHODS",
    "KalmanBank",
    "LinearModel",
    "SORTBox",
    "SORTEllipse",
    "StitchingReport",
    "StitchingWarning",
    "Tracklet",
    "TrackletStitcher",
    "TrackingDataError",
    "box_iou",
    "build_tracklets",
    "count_identity_switches",
    "ellipse_similarity",
    "fit_ellipses",
    "frame_key",
    "frame_key_width",
    "kinematic_model",
    "make_tracker",
    "match_tracks",
    "per_frame_error",
    "read_pickle",
    "stitch_tracklet_dict",
    "tracklet_header",
    "tracks_from_dataframe",
    "write_pickle",
    "write_tracks_h5",
]
