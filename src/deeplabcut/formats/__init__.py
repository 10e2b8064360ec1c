"""DeepLabCut's on-disk formats: one module per file kind, each a reader/writer pair.

* :mod:`~deeplabcut.formats.pose_table`: the column layout every pose table
  shares (``scorer/[individuals/]bodyparts/coords``) and DataFrame <-> arrays;
* :mod:`~deeplabcut.formats.collected_data`: labels ``CollectedData_<scorer>.h5``/``.csv``;
* :mod:`~deeplabcut.formats.analysis`: prediction tables of ``analyze_videos``,
  ``analyze_images`` and ``evaluate_network``.

Nothing here imports torch; file names live in :mod:`deeplabcut.project.paths`.
"""
