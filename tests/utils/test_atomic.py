"""``utils.atomic``: what a killed atomic write leaves is recognised by name, and only that."""

from __future__ import annotations

from pathlib import Path

from deeplabcut.utils.atomic import TEMPORARY_NAME, atomic_path, leftover_temporary_files, remove_leftover_temporary_files


def test_the_temporary_name_of_a_write_is_recognised_with_its_target(tmp_path: Path):
    for target in ("snapshot-005.pt", "learning_stats.csv", "videoDLC_Dekr16_x_full.pickle", "arena.day1DLC_x.h5", "README"):
        with atomic_path(tmp_path / target) as temporary:
            match = TEMPORARY_NAME.match(temporary.name)
            assert match is not None, temporary.name
            assert match["stem"] + (match["suffix"] or "") == target
            temporary.write_bytes(b"done")


def test_only_leftovers_of_our_writes_are_removed(tmp_path: Path):
    ours = [".snapshot-002.k2j9x_0a.tmp.pt", ".learning_stats.ab12cd34.tmp.csv", ".vDLC_x_full.0123abcd.tmp.pickle"]
    theirs = ["snapshot-002.pt", ".hidden.tmp.csv", "notes.tmp.pt", ".snapshot-002.tmp.pt", ".x.TOOLONG12.tmp.pt"]
    for name in ours + theirs:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".folder.abcdefgh.tmp.pt").mkdir()

    assert [p.name for p in leftover_temporary_files(tmp_path, targets={"vDLC_x_full.pickle"})] == [ours[2]]
    removed = remove_leftover_temporary_files(tmp_path)
    assert sorted(p.name for p in removed) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*theirs, ".folder.abcdefgh.tmp.pt"])
