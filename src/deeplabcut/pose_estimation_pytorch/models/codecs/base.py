"""What every codec shares: the model stride that maps feature cells to input pixels."""

from __future__ import annotations


class Codec:
    """Base of the codecs: holds the stride (input pixels per output cell).

    The model builder sets ``stride`` from the backbone and head metadata;
    ``encode``/``decode`` may also be given one explicitly.
    """

    stride: float | None = None

    def _stride(self, stride: float | None) -> float:
        stride = self.stride if stride is None else stride
        if stride is None:
            raise ValueError(f"{type(self).__name__} needs the model stride (pass stride= or set codec.stride)")
        return float(stride)
