"""Vector map tiles for the console's maps, from the configured PMTiles file.

Served by Korgoo itself so that no outside tile server learns which streets the
operators look at. Any role that reads a map (alerts, cases, the live map) may
fetch them; a statistics role may not. The z/x/y of a request is itself a hint of
where a protected person is: the answers may be cached by the browser only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import ApiDep, require_any
from korgoo.api.permissions import Capability
from korgoo.domain.text import N_
from korgoo.store.users import User
from korgoo.web.tiles import for_client

router = APIRouter(tags=["map"])
MapReader = Annotated[
    User,
    Depends(require_any(Capability.ALERTS_READ, Capability.ORDERS_READ, Capability.TRACKS_READ)),
]
MVT = "application/vnd.mapbox-vector-tile"
# A day in the browser's own cache; never in a shared one.
CACHE = {"Cache-Control": "private, max-age=86400", "Vary": "Accept-Encoding, Cookie"}
TILE_PATH = "/tiles/{z}/{x}/{y}.mvt"


@router.get(
    TILE_PATH,
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}, "description": "The tile (MVT)."},
        204: {"description": "The file has no tile here (empty land, or beyond the extract)."},
        404: {"description": "No tiles file is configured (KORGOO_MAP_TILES)."},
    },
)
async def tile(z: int, x: int, y: int, request: Request, _: MapReader, api: ApiDep) -> Response:
    """One vector tile, as stored (gzip-compressed when the file's tiles are)."""
    tiles = api.tiles
    if tiles is None:
        raise HTTPException(
            404, N_("No map tiles are configured on this server (KORGOO_MAP_TILES).")
        )
    # A page fault on a large file may wait for the disk: not on the event loop.
    data = await run_in_threadpool(tiles.get, z, x, y)
    if data is None:
        return Response(status_code=204, headers=CACHE)
    accepts = "gzip" in request.headers.get("accept-encoding", "").lower()
    body, encoding = for_client(data, tiles.gzipped, accepts)
    headers = dict(CACHE)
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, media_type=MVT, headers=headers)
