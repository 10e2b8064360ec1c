"""A bank of small linear Kalman filters, batched in NumPy.

Every SORT-style tracker keeps one Kalman filter per tracked animal. All the
filters of one tracker share the same model (transition ``F``, observation
``H``, process noise ``Q``, measurement noise ``R``) and differ only in their
state ``x`` and covariance ``P``, so they are stored as arrays ``x (T, n)`` and
``P (T, n, n)`` and predicted / updated together, one NumPy call per step for
the whole frame instead of one Python object per animal.

The constant-velocity model used by the trackers (:func:`kinematic_model`) has
a state made of ``m`` measured quantities followed by their ``m`` velocities
(per frame); the time step is one frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    """The shared matrices of a bank of linear Kalman filters.

    Attributes:
        transition: ``F`` (n, n), the state at frame t+1 is ``F @ x``.
        observation: ``H`` (m, n), a measurement is ``H @ x`` plus noise.
        process_noise: ``Q`` (n, n), added to ``P`` at every prediction.
        measurement_noise: ``R`` (m, m).
        initial_covariance: ``P`` (n, n) given to a newly started filter.
    """

    transition: np.ndarray
    observation: np.ndarray
    process_noise: np.ndarray
    measurement_noise: np.ndarray
    initial_covariance: np.ndarray

    @property
    def dim_state(self) -> int:
        return self.transition.shape[0]

    @property
    def dim_measurement(self) -> int:
        return self.observation.shape[0]


def kinematic_model(dim_measurement: int) -> LinearModel:
    """Constant-velocity model over ``dim_measurement`` quantities.

    The state is ``[q_1..q_m, dq_1..dq_m]`` (values, then velocities per
    frame); ``F = [[I, I], [0, I]]``, ``H = [I, 0]``, and ``P``, ``Q``, ``R``
    start as identity matrices for the caller to scale.
    """
    m = dim_measurement
    transition = np.eye(2 * m)
    transition[:m, m:] = np.eye(m)
    observation = np.zeros((m, 2 * m))
    observation[:, :m] = np.eye(m)
    return LinearModel(
        transition=transition,
        observation=observation,
        process_noise=np.eye(2 * m),
        measurement_noise=np.eye(m),
        initial_covariance=np.eye(2 * m),
    )


class KalmanBank:
    """``T`` independent Kalman filters sharing one :class:`LinearModel`.

    Attributes:
        x: states, float64 (T, n).
        P: covariances, float64 (T, n, n).
    """

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        n = model.dim_state
        m = model.dim_measurement
        selection = np.zeros((m, n))
        selection[:, :m] = np.eye(m)
        self._selects_first = bool(np.array_equal(model.observation, selection))
        self.x = np.zeros((0, n))
        self.P = np.zeros((0, n, n))

    def __len__(self) -> int:
        return self.x.shape[0]

    def add(self, initial_states: np.ndarray) -> None:
        """Start new filters.

        Args:
            initial_states: (B, n) full states, or (B, m) measurements (the
                unmeasured part of the state, e.g. velocities, starts at 0).
        """
        initial_states = np.atleast_2d(np.asarray(initial_states, dtype=np.float64))
        if initial_states.shape[0] == 0:
            return
        n = self.model.dim_state
        states = np.zeros((initial_states.shape[0], n))
        states[:, : initial_states.shape[1]] = initial_states
        covariances = np.broadcast_to(
            self.model.initial_covariance, (states.shape[0], n, n)
        )
        self.x = np.concatenate([self.x, states])
        self.P = np.concatenate([self.P, covariances])

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the filters where ``mask`` (T,) is true, in order."""
        self.x = self.x[mask]
        self.P = self.P[mask]

    def predict(self) -> np.ndarray:
        """Advance every filter by one frame; return the predicted states (T, n)."""
        F = self.model.transition
        self.x = self.x @ F.T
        self.P = F @ self.P @ F.T + self.model.process_noise
        return self.x

    def update(self, rows: np.ndarray, measurements: np.ndarray) -> None:
        """Correct the filters ``rows`` (B,) with ``measurements`` (B, m)."""
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size == 0:
            return
        x = self.x[rows]
        P = self.P[rows]
        measurements = np.asarray(measurements, dtype=np.float64)
        R = self.model.measurement_noise
        m = self.model.dim_measurement
        if self._selects_first:
            # H = [I, 0]: H x, H P and H P H^T are slices.
            innovation = measurements - x[:, :m]
            HP = P[:, :m, :]  # (B, m, n)
            S = HP[:, :, :m] + R
        else:
            H = self.model.observation
            innovation = measurements - x @ H.T
            HP = H @ P
            S = HP @ H.T + R
        # Gain K = P H^T S^-1; with P and S symmetric, K^T = S^-1 (H P).
        gain_t = np.linalg.solve(S, HP)  # (B, m, n)
        self.x[rows] = x + np.einsum("bmn,bm->bn", gain_t, innovation)
        P = P - np.swapaxes(gain_t, 1, 2) @ HP
        self.P[rows] = 0.5 * (P + np.swapaxes(P, 1, 2))
