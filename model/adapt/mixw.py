"""Mixture weights of a semi-continuous/PTM sphinx model: read pocketsphinx's ``sendump``,
write SphinxTrain's float32 ``mixture_weights``.

The bundled en-us model ships its weights only as a ``sendump`` (one byte per weight), but
SphinxTrain's ``bw`` and ``map_adapt`` read ``mixture_weights``. A ``sendump`` holds a header of
length-prefixed strings (ending with a zero length), the codeword and senone counts as int32,
then one byte per weight laid out [stream][codeword][senone]; a byte ``b`` stands for the
weight ``1.0001 ** -(b * 1024)`` (pocketsphinx keeps weights as log-base-1.0001 values shifted
right by 10 bits). SphinxTrain's format is a text header (``s3`` ... ``endhdr``), the byte-order
magic ``0x11223344``, the three dimensions [senone][stream][codeword], the element count and
the float32 weights.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxcart.model.errors import ModelError

_LOG_BASE = 1.0001
_SHIFT = 10
_MAGIC = 0x11223344
_HEADER = b"s3\nversion 1.0\nendhdr\n"


@dataclass(frozen=True)
class MixtureWeights:
    """Normalised mixture weights.

    Attributes:
        weights: float32 array [senone][stream][codeword]; each (senone, stream) row sums to 1.
    """

    weights: np.ndarray

    @property
    def senones(self) -> int:
        """Number of senones."""
        return int(self.weights.shape[0])


def read_sendump(path: Path) -> MixtureWeights:
    """The weights of a pocketsphinx ``sendump`` (uncompressed, no cluster table).

    Raises:
        ModelError: the file is missing, truncated, or uses a layout this reader does not
            handle (clustered weights).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the senone dump {path}: {exc}") from exc
    offset = 0
    attributes: dict[str, str] = {}
    try:
        while True:
            (length,) = struct.unpack_from("<i", data, offset)
            offset += 4
            if length == 0:
                break
            text = data[offset : offset + length].rstrip(b"\0").decode("ascii", "replace")
            offset += length
            key, _, value = text.partition(" ")
            attributes[key] = value
        codewords, senones = struct.unpack_from("<ii", data, offset)
        offset += 8
    except struct.error as exc:
        raise ModelError(f"{path} is not a pocketsphinx senone dump (truncated header)") from exc
    if attributes.get("cluster_count", "0") != "0":
        raise ModelError(f"{path} holds clustered weights, which voxcart cannot convert")
    streams = int(attributes.get("feature_count", "1"))
    size = streams * codewords * senones
    if len(data) - offset != size:
        raise ModelError(
            f"{path}: expected {size} weight bytes ({streams} streams x {codewords} codewords x "
            f"{senones} senones), found {len(data) - offset}"
        )
    raw = np.frombuffer(data, dtype=np.uint8, count=size, offset=offset)
    scores = raw.reshape(streams, codewords, senones).astype(np.float64)
    weights = np.power(_LOG_BASE, -(scores * (1 << _SHIFT)))
    weights /= weights.sum(axis=1, keepdims=True)
    return MixtureWeights(np.ascontiguousarray(weights.transpose(2, 0, 1), dtype=np.float32))


def write_mixw(path: Path, mixw: MixtureWeights) -> None:
    """Write SphinxTrain's binary ``mixture_weights`` (no checksum), atomically."""
    weights = np.ascontiguousarray(mixw.weights, dtype="<f4")
    if weights.ndim != 3:
        raise ModelError(f"mixture weights must be 3-D, got shape {weights.shape}")
    head = struct.pack("<Iiiii", _MAGIC, *weights.shape, weights.size)
    staging = path.with_name(path.name + ".tmp")
    staging.write_bytes(_HEADER + head + weights.tobytes())
    staging.replace(path)


def read_mixw(path: Path) -> MixtureWeights:
    """Read a SphinxTrain ``mixture_weights`` file (little-endian, as written here or by
    ``map_adapt``; a trailing checksum is ignored).

    Raises:
        ModelError: the file is not in that format.
    """
    data = path.read_bytes()
    end = data.find(b"endhdr\n")
    if not data.startswith(b"s3\n") or end < 0:
        raise ModelError(f"{path} is not a SphinxTrain parameter file")
    offset = end + len(b"endhdr\n")
    magic, n_senones, n_streams, n_codewords, count = struct.unpack_from("<Iiiii", data, offset)
    if magic != _MAGIC or count != n_senones * n_streams * n_codewords:
        raise ModelError(f"{path}: unexpected byte order or dimensions")
    values = np.frombuffer(data, dtype="<f4", count=count, offset=offset + 20)
    return MixtureWeights(values.reshape(n_senones, n_streams, n_codewords).copy())
