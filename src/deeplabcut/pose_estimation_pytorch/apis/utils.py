"""What the API layer shares: console/file logging and progress bars."""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from deeplabcut.pose_estimation_pytorch.train_module import TrainerCallbacks, TrainingWatch

LOGGER_NAME = "deeplabcut"


class _TqdmHandler(logging.Handler):
    """Console handler that prints above any progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stdout)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def get_logger() -> logging.Logger:
    """The package's logger, printing plain messages to the console once configured."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _TqdmHandler) for h in logger.handlers):
        handler = _TqdmHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


@contextlib.contextmanager
def file_logger(path: str | Path) -> Iterator[logging.Logger]:
    """Log to the console and append to ``path`` (DeepLabCut's ``train.txt`` format) while active."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = get_logger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)-15s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def progress_bar(total: int | None, description: str, unit: str = "it", leave: bool = True) -> tqdm:
    """A tqdm bar with the package's look."""
    return tqdm(total=total, desc=description, unit=unit, leave=leave, dynamic_ncols=True, file=sys.stderr)


def format_epoch_line(epoch: int, total_epochs: int, record: dict[str, float], label: str = "Epoch") -> str:
    """``Epoch 5/200 | loss 0.01234 | lr 5.0e-04 | 12.3 s (9.1 img/s) | test rmse 3.21 px ...``.

    A detector's line (``label`` ``Detector epoch``) shows its box ``mAP@50:95`` and ``recall@50``.
    """
    parts = [
        f"{label} {epoch}/{total_epochs}",
        f"loss {record.get('losses/train.total_loss', math.nan):.5f}",
        f"lr {record.get('learning_rate', math.nan):.1e}",
        f"{record.get('seconds', math.nan):.1f} s ({record.get('images_per_second', math.nan):.1f} img/s)",
    ]
    metrics = []
    if "losses/eval.total_loss" in record:
        metrics.append(f"eval loss {record['losses/eval.total_loss']:.5f}")
    if "metrics/test.rmse" in record:
        metrics.append(f"test rmse {record['metrics/test.rmse']:.2f} px")
    if "metrics/test.rmse_pcutoff" in record:
        metrics.append(f"rmse@pcutoff {record['metrics/test.rmse_pcutoff']:.2f} px")
    if "metrics/test.mAP" in record:
        metrics.append(f"mAP {record['metrics/test.mAP']:.1f}")
    if "metrics/test.mAP@50:95" in record:
        metrics.append(f"box mAP@50:95 {record['metrics/test.mAP@50:95']:.1f}")
    if "metrics/test.recall@50" in record:
        metrics.append(f"recall@50 {record['metrics/test.recall@50']:.1f}")
    if metrics:
        parts.append(", ".join(metrics))
    return " | ".join(parts)


class ProgressReporter:
    """Turns trainer callbacks into a per-epoch progress bar, log lines and the learning curve."""

    def __init__(
        self,
        log: logging.Logger,
        total_epochs: int,
        curve: tuple[Path, Path] | None = None,
        label: str = "Epoch",
        watch: TrainingWatch | None = None,
    ) -> None:
        self.log = log
        self.total_epochs = total_epochs
        self.curve = curve
        self.label = label
        self.watch = watch
        self.bar: tqdm | None = None

    def callbacks(self) -> TrainerCallbacks:
        return TrainerCallbacks(on_epoch_start=self._start, on_batch=self._batch, on_epoch_end=self._end)

    def _start(self, epoch: int, num_batches: int) -> None:
        self.close()
        self.bar = progress_bar(num_batches, f"{self.label} {epoch}/{self.total_epochs}", unit="batch", leave=False)

    def _batch(self, epoch: int, index: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def _end(self, epoch: int, record: dict[str, float]) -> None:
        self.close()
        self.log.info(format_epoch_line(epoch, self.total_epochs, record, self.label))
        if self.watch is not None:
            for warning in self.watch.observe(epoch, record):
                self.log.warning(warning)
        if self.curve is not None and (any(k.startswith("metrics/") for k in record) or epoch == self.total_epochs):
            self.draw_curve()

    def draw_curve(self) -> None:
        from deeplabcut.visualization import plot_learning_curve

        stats, png = self.curve  # type: ignore[misc]
        if stats.is_file():
            plot_learning_curve(stats, png)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
