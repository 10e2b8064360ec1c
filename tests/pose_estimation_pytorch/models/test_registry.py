"""The registries: a part is found by its ``type``; a new part is one new file."""


def test_a_new_part_is_one_new_file(tmp_path, monkeypatch):
    """A module dropped into a part package registers itself; no list of modules is edited."""
    from deeplabcut.pose_estimation_pytorch.models.registry import BACKBONES, import_submodules

    package = tmp_path / "extra_parts"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny_backbone.py").write_text(
        "from deeplabcut.pose_estimation_pytorch.models.registry import BACKBONES\n"
        "@BACKBONES.register('TinyTestBackbone')\n"
        "class TinyTestBackbone:\n"
        "    def __init__(self, width=1):\n"
        "        self.width = width\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "TinyTestBackbone" not in BACKBONES
    try:
        import_submodules("extra_parts", [str(package)])
        assert BACKBONES.build({"type": "TinyTestBackbone", "width": 3}).width == 3
    finally:
        BACKBONES._builders.pop("TinyTestBackbone", None)


def test_every_part_module_is_registered_on_import():
    """Every built-in part's ``type`` is known once the models package is imported."""
    import deeplabcut.pose_estimation_pytorch.models as models

    assert {"HRNet"} <= set(models.BACKBONES.names())
    assert {"DEKRHead", "HeatmapHead", "TokenPoseHead"} <= set(models.HEADS.names())
    assert {"TokenPoseTransformer"} <= set(models.NECKS.names())
    assert {"CenterDetector"} <= set(models.DETECTORS.names())
