"""Smoothing pose tables over time: ``filterpredictions``' median, spline and ARIMA filters.

Every filter works column by column on a pose table in DeepLabCut's layout
(``scorer/[individuals/]bodyparts/coords``, coords ``x, y, likelihood``; rows
are frames) and returns a table with the same columns and index:

* ``"median"``: a running median of ``windowlength`` frames over ``x`` and
  ``y`` (``scipy.ndimage.median_filter``). NaN gaps are never bridged: each
  run of frames with data is filtered on its own, its ends mirrored (so a
  spike in the first or last frame is removed too; DeepLabCut's
  ``signal.medfilt`` pads with zeros and lets NaN leak into the window).
  Gaps stay NaN; likelihoods are kept.
* ``"spline"``: fills NaN gaps of at most ``windowlength`` frames
  (``windowlength=0``: every gap) with a cubic spline through the frames with
  data (``scipy.interpolate.CubicSpline``), as DeepLabCut does; only gaps
  between two frames with data are filled (no extrapolation at the ends).
  Frames with data keep their values; filled points get likelihood 0.01.
* ``"arima"``: DeepLabCut's SARIMAX fit (``statsmodels``) per coordinate,
  points with likelihood below ``p_bound`` treated as missing; the output is
  the model's one-step-ahead prediction (frame 0 keeps its value), which also
  fills gaps. Each series is centred on its mean before the fit, so that the
  zero-mean ARMA model does not pull predictions in gaps towards pixel 0. A
  series with 10 or fewer usable points cannot be fitted and is kept as it is
  (DeepLabCut writes NaN there). Likelihoods are kept.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.interpolate import CubicSpline

from deeplabcut.errors import ConfigError, CorruptFileError
from deeplabcut.formats import analysis

FILTER_TYPES = ("median", "arima", "spline")
#: The likelihood DeepLabCut gives a point the spline filled in.
SPLINE_FILLED_LIKELIHOOD = 0.01
#: SARIMAX needs more usable points than this in a series (DeepLabCut's bound).
MIN_ARIMA_POINTS = 10


@dataclass(frozen=True)
class FilterSettings:
    """``filterpredictions``' filter arguments, checked once.

    Attributes:
        filtertype: ``"median"``, ``"arima"`` or ``"spline"``.
        windowlength: median: the window in frames (odd); spline: the longest
            gap filled, in frames (0: every gap).
        p_bound: arima: likelihoods below it count as missing.
        ARdegree, MAdegree: arima: the SARIMAX order ``(ARdegree, 0, MAdegree)``.
        alpha: arima: significance level of the confidence interval (kept for
            DeepLabCut's signature; the filtered value is the mean prediction).
    """

    filtertype: str = "median"
    windowlength: int = 5
    p_bound: float = 0.001
    ARdegree: int = 3
    MAdegree: int = 1
    alpha: float = 0.01

    def __post_init__(self) -> None:
        if self.filtertype not in FILTER_TYPES:
            raise ConfigError(f"filtertype must be one of {list(FILTER_TYPES)}, not {self.filtertype!r}.")
        if self.filtertype == "median" and (int(self.windowlength) != self.windowlength or self.windowlength < 1 or self.windowlength % 2 == 0):
            raise ConfigError(
                f"windowlength={self.windowlength!r}: the median filter needs an odd number of frames "
                "(e.g. 5). Pass an odd windowlength."
            )
        if self.filtertype == "spline" and (int(self.windowlength) != self.windowlength or self.windowlength < 0):
            raise ConfigError(
                f"windowlength={self.windowlength!r}: for the spline filter it is the longest gap to fill, "
                "in frames (0 fills every gap)."
            )
        if self.filtertype == "arima":
            if self.ARdegree < 0 or self.MAdegree < 0 or int(self.ARdegree) != self.ARdegree or int(self.MAdegree) != self.MAdegree:
                raise ConfigError(f"ARdegree and MAdegree must be integers >= 0, got {self.ARdegree!r} and {self.MAdegree!r}.")
            if not 0 < self.alpha < 1:
                raise ConfigError(f"alpha must be between 0 and 1, got {self.alpha!r}.")


def filter_predictions(df: pd.DataFrame, settings: FilterSettings) -> pd.DataFrame:
    """The pose table ``df`` filtered over its rows (frames) as ``settings`` says.

    Returns a new table with ``df``'s columns and index; ``df`` is not changed.

    Raises:
        CorruptFileError: ``df`` is not a pose table with ``x, y, likelihood`` per keypoint.
    """
    keypoints = keypoint_columns(df.columns)
    values = df.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    xy = keypoints[:, :2].ravel()  # x0, y0, x1, y1, ...
    if settings.filtertype == "median":
        values[:, xy] = median_filter_columns(values[:, xy], int(settings.windowlength))
    elif settings.filtertype == "spline":
        filled_xy, filled = spline_fill_columns(values[:, xy], int(settings.windowlength))
        values[:, xy] = filled_xy
        point_filled = filled.reshape(len(values), len(keypoints), 2).any(axis=2)
        likelihood = values[:, keypoints[:, 2]]
        likelihood[point_filled] = SPLINE_FILLED_LIKELIHOOD
        values[:, keypoints[:, 2]] = likelihood
    else:
        for x_column, y_column, likelihood_column in keypoints:
            likelihood = values[:, likelihood_column]
            for column in (x_column, y_column):
                values[:, column] = arima_filter(values[:, column], likelihood, settings)
    return pd.DataFrame(values, index=df.index, columns=df.columns)


def keypoint_columns(columns: pd.Index) -> np.ndarray:
    """``(keypoints, 3)`` positions of each keypoint's ``x``, ``y`` and ``likelihood`` columns.

    A keypoint is every column label without its ``coords`` level, in column order.

    Raises:
        CorruptFileError: no ``coords`` level, or a keypoint lacks one of the three.
    """
    if not isinstance(columns, pd.MultiIndex) or "coords" not in columns.names:
        raise CorruptFileError(
            "Expected a pose table with columns scorer/[individuals/]bodyparts/coords; "
            f"got column levels {list(getattr(columns, 'names', []))}."
        )
    coords = columns.get_level_values("coords")
    others = [name for name in range(columns.nlevels) if columns.names[name] != "coords"]
    keys = list(zip(*(columns.get_level_values(level) for level in others)))
    positions: dict[tuple, dict[str, int]] = {}
    for position, (key, coord) in enumerate(zip(keys, coords)):
        positions.setdefault(key, {})[coord] = position
    rows = []
    for key, found in positions.items():
        missing = [coord for coord in ("x", "y", "likelihood") if coord not in found]
        if missing:
            raise CorruptFileError(f"Keypoint {'/'.join(map(str, key))} has no {missing} column(s); expected x, y, likelihood.")
        rows.append([found["x"], found["y"], found["likelihood"]])
    return np.array(rows, dtype=int).reshape(-1, 3)


def _finite_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in the 1-D boolean ``valid``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def median_filter_columns(values: np.ndarray, windowlength: int) -> np.ndarray:
    """Running median of ``windowlength`` rows down each column of ``(rows, columns)``.

    Each run of finite values is filtered separately (its ends mirrored:
    ``... c b | a b c ...``); NaN stays NaN.
    """
    out = values.copy()
    for column in range(values.shape[1]):
        series = values[:, column]
        for start, stop in _finite_runs(np.isfinite(series)):
            out[start:stop, column] = ndimage.median_filter(series[start:stop], size=windowlength, mode="mirror")
    return out


def spline_fill_columns(values: np.ndarray, max_gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN gaps down each column of ``(rows, columns)`` with a cubic spline.

    A gap is filled when it lies between two finite values and is at most
    ``max_gap`` rows long (``max_gap=0``: any length); a column needs more than
    3 finite values (DeepLabCut's bound). Returns the filled array and a
    boolean mask of the entries that were filled.
    """
    out = values.copy()
    filled = np.zeros(values.shape, dtype=bool)
    frames = np.arange(len(values))
    for column in range(values.shape[1]):
        valid = np.isfinite(values[:, column])
        if valid.sum() <= 3:
            continue
        spline = CubicSpline(frames[valid], values[valid, column], extrapolate=False)
        for start, stop in _finite_runs(~valid):
            if start == 0 or stop == len(values) or (max_gap > 0 and stop - start > max_gap):
                continue
            out[start:stop, column] = spline(frames[start:stop])
            filled[start:stop, column] = True
    return out, filled


def fit_sarimax(
    values: np.ndarray,
    likelihood: np.ndarray,
    p_bound: float,
    alpha: float,
    ARdegree: int,
    MAdegree: int,
    nforecast: int = 0,
) -> tuple[np.ndarray, np.ndarray] | None:
    """DeepLabCut's SARIMAX fit of one coordinate over time (``FitSARIMAXModel``).

    Points with ``likelihood < p_bound`` (and NaN) are missing data. The model
    is ``SARIMAX(order=(ARdegree, 0, MAdegree))`` without seasonal terms, fitted
    to the series minus its mean, with BLAS on one thread; on a ``ValueError`` the fit restarts from zero
    ARMA parameters, and on a ``LinAlgError`` stationarity and invertibility are
    no longer enforced, as DeepLabCut does.

    Returns:
        ``(mean, interval)``: the one-step-ahead prediction ``(T + nforecast,)``
        and its ``1 - alpha`` confidence interval ``(T + nforecast, 2)``, in the
        units of ``values``; None when 10 or fewer points are usable.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    series = np.asarray(values, dtype=np.float64).copy()
    series[~(np.asarray(likelihood) >= p_bound)] = np.nan
    usable = np.isfinite(series)
    if usable.sum() <= MIN_ARIMA_POINTS:
        return None
    level = series[usable].mean()
    centred = series - level
    order = (int(ARdegree), 0, int(MAdegree))
    # The state-space matrices are tiny: a multi-threaded BLAS only adds overhead (25x slower on a busy 2-core machine).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # convergence and start-parameter warnings: the fit is still used
        model = SARIMAX(centred, order=order, seasonal_order=(0, 0, 0, 0), simple_differencing=True)
        try:
            result = model.fit(disp=False)
        except ValueError:
            start = np.array([1.0 if "sigma" in name else 0.0 for name in model.param_names])
            result = model.fit(start_params=start, disp=False)
        except np.linalg.LinAlgError:
            model = SARIMAX(
                centred, order=order, seasonal_order=(0, 0, 0, 0), simple_differencing=True,
                enforce_stationarity=False, enforce_invertibility=False, use_exact_diffuse=False,
            )  # fmt: skip
            result = model.fit(disp=False)
        prediction = result.get_prediction(end=model.nobs + nforecast - 1)
        mean = np.asarray(prediction.predicted_mean, dtype=np.float64) + level
        interval = np.asarray(prediction.conf_int(alpha=alpha), dtype=np.float64) + level
    return mean, interval


def arima_filter(values: np.ndarray, likelihood: np.ndarray, settings: FilterSettings) -> np.ndarray:
    """One coordinate filtered with :func:`fit_sarimax`; frame 0 keeps its value; unfittable series unchanged."""
    fitted = fit_sarimax(values, likelihood, settings.p_bound, settings.alpha, settings.ARdegree, settings.MAdegree)
    if fitted is None:
        return np.asarray(values, dtype=np.float64).copy()
    mean = fitted[0]
    mean[0] = values[0]
    return mean


def filter_analysis_file(
    source: str | Path, destination: str | Path, settings: FilterSettings, save_as_csv: bool = False
) -> pd.DataFrame:
    """Filter the poses or tracks in ``source`` and write them to ``destination`` (``..._filtered.h5``).

    Written as DeepLabCut writes filtered data: HDF key ``df_with_missing``,
    ``format="table"`` (also for tracks), and with ``save_as_csv`` a ``.csv``
    twin. Returns the filtered table.
    """
    filtered = filter_predictions(analysis.read_analysis(source), settings)
    analysis.write_analysis(filtered, destination, save_as_csv=save_as_csv)
    return filtered
