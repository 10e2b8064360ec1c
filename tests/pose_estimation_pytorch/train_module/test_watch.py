"""TrainingWatch: warnings for runs that go nowhere, silence for runs that learn."""

from __future__ import annotations

import math

from deeplabcut.pose_estimation_pytorch.train_module.watch import TrainingWatch

# learning_stats.csv of the demo (dekr_16, 40 epochs, evaluation every 10): a run that learns.
DEMO_LOSSES = [
    0.011052, 0.006717, 0.005139, 0.004674, 0.004280, 0.004046, 0.003921, 0.003772, 0.003731, 0.003516,
    0.003389, 0.003031, 0.002810, 0.002332, 0.001835, 0.001673, 0.001585, 0.001375, 0.001210, 0.001047,
    0.001023, 0.000992, 0.000907, 0.000865, 0.000785, 0.000731, 0.000725, 0.000679, 0.000641, 0.000599,
    0.000618, 0.000573, 0.000554, 0.000542, 0.000521, 0.000500, 0.000425, 0.000503, 0.000413, 0.000394,
]  # fmt: skip
DEMO_MAP = {10: 0.01, 20: 16.1, 30: 56.9, 40: 78.6}


def run(watch: TrainingWatch, losses: list[float], maps: dict[int, float], key: str = "metrics/test.mAP") -> dict[int, list[str]]:
    said = {}
    for epoch, loss in enumerate(losses, start=1):
        record = {"losses/train.total_loss": loss}
        if epoch in maps:
            record[key] = maps[epoch]
        warnings = watch.observe(epoch, record)
        if warnings:
            said[epoch] = warnings
    return said


def test_a_run_that_learns_raises_nothing():
    assert run(TrainingWatch(40), DEMO_LOSSES, DEMO_MAP) == {}


def test_map_near_zero_after_a_third_is_reported_once_with_fixes():
    maps = {10: 0.1, 20: 2.0, 30: 3.0, 40: 60.0}
    said = run(TrainingWatch(60), DEMO_LOSSES[:40], maps)
    assert list(said) == [20]  # epoch 10 is before a third of 60; epoch 30 would repeat it
    (message,) = said[20]
    assert "keypoint mAP is 2.0 at epoch 20 of 60" in message
    assert "check_labels" in message and "pretrained: true" in message


def test_detector_box_map_is_watched_too():
    said = run(TrainingWatch(30, model="detector"), [0.5] * 12, {10: 1.0}, key="metrics/test.mAP@50:95")
    assert any("detector's test box mAP@50:95 is 1.0" in w for ws in said.values() for w in ws)


def test_a_stalled_loss_is_reported_and_a_converged_one_is_not():
    stalled = [0.02, 0.012, 0.0118] + [0.0115 - 0.00001 * i for i in range(37)]
    said = run(TrainingWatch(40), stalled, {})
    (epoch,) = said
    assert epoch == 1 + 2 * TrainingWatch(40).window  # two full windows after epoch 1
    assert "training loss has stalled" in said[epoch][0]

    converged = DEMO_LOSSES[:20] + [DEMO_LOSSES[19]] * 20  # flat, but far below where it started
    assert run(TrainingWatch(40), converged, {}) == {}


def test_non_finite_losses_are_ignored():
    losses = [math.nan] * 5 + DEMO_LOSSES[:20]
    assert run(TrainingWatch(40), losses, {}) == {}
