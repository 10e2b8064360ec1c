"""Frame-to-frame tracking of animal assemblies and global tracklet stitching.

Data flow (DeepLabCut's file names in brackets)::

    assemblies {frame: (n, K, 4)}          [<video><scorer>_assemblies.pickle]
      -> build_tracklets(...)               [<video><scorer>_el.pickle / _bx.pickle]
      -> stitch_tracklet_dict(...)          -> TrackletStitcher, StitchingReport
      -> TrackletStitcher.to_dataframe(...)
      -> write_tracks_h5(df, path)          [<video><scorer>_el.h5, HDF key "tracks"]

:mod:`~deeplabcut.tracking.evaluation` scores tracks against ground truth.
"""

from deeplabcut.tracking.evaluation import count_identity_switches, match_tracks, per_frame_error
from deeplabcut.tracking.kalman import KalmanBank, LinearModel, kinematic_model
from deeplabcut.tracking.stitch import (
    StitchingReport,
    StitchingWarning,
    Tracklet,
    TrackletStitcher,
    stitch_tracklet_dict,
    tracks_from_dataframe,
    write_tracks_h5,
)
from deeplabcut.tracking.trackers import (
    SORTBox,
    SORTEllipse,
    TrackingDataError,
    box_iou,
    ellipse_similarity,
    fit_ellipses,
    keypoints_to_boxes,
)
from deeplabcut.tracking.tracklets import (
    TRACK_METHODS,
    build_tracklets,
    frame_key,
    frame_key_width,
    make_tracker,
    read_pickle,
    tracklet_header,
    write_pickle,
)

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
    "keypoints_to_boxes",
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
