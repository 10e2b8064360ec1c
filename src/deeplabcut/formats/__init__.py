"""DeepLabCut's on-disk formats: one module per file kind, each a reader/writer pair.

* :mod:`~deeplabcut.formats.pose_table`: the column layout every pose table
  shares (``scorer/[individuals/]bodyparts/coords``) and DataFrame <-> arrays;
* :mod:`~deeplabcut.formats.collected_data`: labels ``CollectedData_<scorer>.h5``/``.csv``;
* :mod:`~deeplabcut.formats.analysis`: prediction tables of ``analyze_videos``,
  ``analyze_images`` and ``evaluate_network``;
* :mod:`~deeplabcut.formats.evaluation_results`: ``<scorer>-results.csv``,
  ``<scorer>-keypoint-results.csv`` and ``CombinedEvaluation-results.csv``;
* :mod:`~deeplabcut.formats.video_pickles`: ``_full``, ``_assemblies`` and ``_meta`` pickles;
* :mod:`~deeplabcut.formats.tracklets`: the tracklet pickle (``_el.pickle``, ``_bx.pickle``);
* :mod:`~deeplabcut.formats.tracks`: stitched tracks (``_el.h5``, HDF key ``tracks``);
* :mod:`~deeplabcut.formats.inference_cfg`: a shuffle's ``test/inference_cfg.yaml``;
* :mod:`~deeplabcut.formats.skeleton`: ``analyzeskeleton``'s bone tables (``_skeleton.h5``);
* :mod:`~deeplabcut.formats.nwb`: poses as NWB files with ndx-pose (optional extra ``nwb``).

Nothing here imports torch; file names live in :mod:`deeplabcut.project.paths`.
"""
