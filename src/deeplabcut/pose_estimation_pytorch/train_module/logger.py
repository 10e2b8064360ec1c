"""``learning_stats.csv``: one row per epoch, DeepLabCut's column names."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from deeplabcut.utils.atomic import write_text_atomic


class CSVLogger:
    """Writes ``step`` (the epoch) then every metric name logged so far, sorted.

    The file is rewritten (atomically) after each call, so it is always
    complete. Rows already in the file are loaded, so a resumed run continues
    it; :meth:`truncate_after` drops rows of epochs that will be trained again.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows: dict[int, dict[str, float]] = {}
        if self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as stream:
                for row in csv.DictReader(stream):
                    step = int(float(row.pop("step")))
                    self.rows[step] = {key: float(value) for key, value in row.items() if value not in ("", None)}

    def truncate_after(self, step: int) -> None:
        """Forget rows after ``step`` (they belong to epochs that are about to be trained again)."""
        self.rows = {s: values for s, values in self.rows.items() if s <= step}
        self._write()

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self.rows.setdefault(int(step), {}).update({key: float(value) for key, value in metrics.items()})
        self._write()

    def _write(self) -> None:
        names = sorted({name for values in self.rows.values() for name in values})
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["step", *names])
        for step in sorted(self.rows):
            values = self.rows[step]
            writer.writerow([step, *[_format(values.get(name)) for name in names]])
        write_text_atomic(self.path, stream.getvalue())


def _format(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))
