"""The batched Kalman filter follows a constant-velocity target."""

import numpy as np

from deeplabcut.tracking.kalman import KalmanBank, kinematic_model


def test_kinematic_model_matrices():
    model = kinematic_model(2)
    assert model.transition.tolist() == [[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert model.observation.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]]
    assert model.dim_state == 4 and model.dim_measurement == 2


def test_filters_learn_each_targets_velocity_independently():
    bank = KalmanBank(kinematic_model(2))
    bank.add(np.array([[0.0, 0.0], [100.0, 50.0]]))
    velocities = np.array([[2.0, -1.0], [-3.0, 0.5]])
    for t in range(1, 40):
        bank.predict()
        bank.update(np.array([0, 1]), np.array([[0.0, 0.0], [100.0, 50.0]]) + t * velocities)
    np.testing.assert_allclose(bank.x[:, 2:], velocities, atol=1e-3)
    predicted = bank.predict()[:, :2]
    np.testing.assert_allclose(predicted, np.array([[0.0, 0.0], [100.0, 50.0]]) + 40 * velocities, atol=1e-2)


def test_prediction_without_update_grows_uncertainty_and_update_of_one_leaves_other():
    bank = KalmanBank(kinematic_model(1))
    bank.add(np.array([[0.0], [10.0]]))
    before = bank.P[:, 0, 0].copy()
    bank.predict()
    assert (bank.P[:, 0, 0] > before).all()
    other_state = bank.x[1].copy()
    bank.update(np.array([0]), np.array([[5.0]]))
    assert 0 < bank.x[0, 0] < 5.0
    np.testing.assert_array_equal(bank.x[1], other_state)
    np.testing.assert_allclose(bank.P[0], bank.P[0].T)


def test_keep_removes_filters_in_order():
    bank = KalmanBank(kinematic_model(1))
    bank.add(np.array([[1.0], [2.0], [3.0]]))
    bank.keep(np.array([True, False, True]))
    assert len(bank) == 2
    assert bank.x[:, 0].tolist() == [1.0, 3.0]
