"""Vector map tiles from a PMTiles file on this machine (KORGOO_MAP_TILES).

The console's maps draw streets from these tiles, fetched from Korgoo itself: a
public tile server would learn where operators look, that is where protected
persons are. The file is read with the `pmtiles` package (a memory map: the
operating system keeps the hot parts in its cache); tiles are handed out as
stored, gzip-compressed MVT as they are in a Protomaps build.
"""

from __future__ import annotations

import gzip
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmtiles.reader import Reader
from pmtiles.tile import Compression, TileType, deserialize_header

MAX_ZOOM = 24  # deeper than any extract; a larger z is not a tile


class TilesUnusableError(ValueError):
    """The configured file is not a PMTiles file of vector tiles Korgoo can serve."""


@dataclass(frozen=True)
class TileFile:
    path: Path
    min_zoom: int
    max_zoom: int
    gzipped: bool  # tiles stored gzip-compressed (sent as Content-Encoding: gzip)
    _reader: Any  # pmtiles.reader.Reader over the memory map

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The stored bytes of tile z/x/y, or None where the file has none."""
        if not (0 <= z <= MAX_ZOOM and 0 <= x < 1 << z and 0 <= y < 1 << z):
            return None
        if not self.min_zoom <= z <= self.max_zoom:
            return None
        data: bytes | None = self._reader.get(z, x, y)
        return data or None


def open_tiles(path: str | Path) -> TileFile:
    """Open a PMTiles (v3) file of MVT tiles, uncompressed or gzip; TilesUnusableError if not."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            # The mapping stays valid after the file is closed.
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as e:
        raise TilesUnusableError(f"{p}: {e}") from None
    try:
        header = deserialize_header(data[:127])
    except Exception as e:  # the package raises its own errors and struct's
        raise TilesUnusableError(f"{p}: not a PMTiles v3 file ({e})") from None
    if header["tile_type"] != TileType.MVT:
        raise TilesUnusableError(f"{p}: holds {header['tile_type'].name} tiles, not vector (MVT)")
    compression = header["tile_compression"]
    if compression not in (Compression.NONE, Compression.GZIP):
        raise TilesUnusableError(
            f"{p}: tiles compressed with {compression.name}; need gzip or none"
        )

    def get_bytes(offset: int, length: int) -> bytes:
        return data[offset : offset + length]

    return TileFile(
        path=p,
        min_zoom=header["min_zoom"],
        max_zoom=header["max_zoom"],
        gzipped=compression == Compression.GZIP,
        _reader=Reader(get_bytes),  # type: ignore[no-untyped-call]
    )


def for_client(tile: bytes, gzipped: bool, accepts_gzip: bool) -> tuple[bytes, str | None]:
    """The body to send and its Content-Encoding: gzip tiles as stored when the client
    takes gzip (every browser does), unpacked for one that does not."""
    if not gzipped:
        return tile, None
    if accepts_gzip:
        return tile, "gzip"
    return gzip.decompress(tile), None
