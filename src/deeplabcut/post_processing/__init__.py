"""After analysis: smoothing poses, skeleton measures and file conversions (no torch).

* :mod:`~deeplabcut.post_processing.filtering`: median, spline and ARIMA
  filters over a pose table's frames (``filterpredictions``' maths) and
  :func:`filter_analysis_file`, which writes ``..._filtered.h5``;
* :mod:`~deeplabcut.post_processing.skeleton`: bone lengths and orientations
  (``analyzeskeleton``' maths) and :func:`skeleton_of_analysis_file`;
* :mod:`~deeplabcut.post_processing.conversion`: the public
  ``analyze_videos_converth5_to_csv`` and ``analyze_videos_converth5_to_nwb``.

``deeplabcut.filterpredictions`` and ``deeplabcut.analyzeskeleton`` name the
model's analysis files, so they live with the other APIs in
``deeplabcut.pose_estimation_pytorch.apis.post_processing`` and call this package.
"""

from deeplabcut.post_processing.conversion import analyze_videos_converth5_to_csv, analyze_videos_converth5_to_nwb
from deeplabcut.post_processing.filtering import FILTER_TYPES, FilterSettings, filter_analysis_file, filter_predictions
from deeplabcut.post_processing.skeleton import skeleton_of_analysis_file, skeleton_table

__all__ = [
    "FILTER_TYPES",
    "FilterSettings",
    "analyze_videos_converth5_to_csv",
    "analyze_videos_converth5_to_nwb",
    "filter_analysis_file",
    "filter_predictions",
    "skeleton_of_analysis_file",
    "skeleton_table",
]
