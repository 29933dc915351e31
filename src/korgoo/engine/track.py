"""A party's recent positions, kept small: the live fix plus a decimated ring.

The ring lets a late (buffered) fix of one party be compared with where the
other party was at that time, without any database query.
"""

from __future__ import annotations

from array import array

from korgoo.geo import M_PER_DEG_LAT_MIN, distance_m

RING = 12  # entries kept
SPACING_S = 90.0  # at most one ring entry per 90 s of device time: 18 minutes or more
# The ring holds float32 (a quarter-metre at Bishkek's latitude is plenty for a
# record check), with times relative to the first one kept, to stay small: it is
# most of an order's memory.
# A device standing still (reported speed under this) has its positions
# averaged: indoor GPS scatters far more than the accuracy it reports, and the
# average of a still device is a better estimate than any single fix. A moving
# device is taken fix by fix, so a real approach is never held back.
STILL_MPS = 0.5
SMOOTHING = 0.15  # weight of a new fix in the average
RESET_GAP_S = 600.0
# Multipath: a device reporting it stands still whose position leaps this far
# (and beyond a few radii) is not moving; up to JUMP_RUN such fixes in a row are
# discounted and the estimate kept. More in a row are taken as a real move.
# Indoor drift is slow (minutes), so two radii of the larger accuracy already
# exceed what it moves an estimate between two reports.
JUMP_MIN_M = 100.0
# ... and no farther than this: a still phone found a kilometre and more from
# where it was has been carried there (a phone on its slow schedule, on a bus).
JUMP_MAX_M = 1000.0
JUMP_RADII = 2.0
JUMP_RUN = 3
# A moving device cannot have gone farther than its reported speeds allow
# (with slack for acceleration and both accuracies): a fix beyond that is a
# multipath leap whatever its claimed accuracy.
JUMP_SPEED_SLACK = 1.5
# A cell fix (this coarse or worse) that agrees with a finer estimate says only
# that the device is still there: the finer position is kept.
CELL_M = 250.0
# A network fix this soon after a moving satellite fix is moving at that speed.
NETWORK_CARRY_S = 120.0


class Track:
    __slots__ = (
        "acc",
        "at",
        "backed",
        "base",
        "course",
        "gap",
        "head",
        "held",
        "jlat",
        "jlon",
        "jumped",
        "lat",
        "lon",
        "plat",
        "plon",
        "pspeed",
        "pt",
        "ring",
        "ring_t",
        "speed",
        "still",
        "t",
        "w",
    )

    def __init__(self) -> None:
        self.t = -1.0  # device time of the live fix; < 0: none yet
        self.at = 0.0
        self.lat = 0.0
        self.lon = 0.0
        self.acc = 0.0
        self.ring: array[float] | None = None
        self.head = 0
        self.ring_t = -1e18  # device time of the newest ring entry
        self.base = 0.0  # ring times are relative to this
        self.still = 0  # fixes averaged into the current estimate
        self.speed = -1.0  # reported speed of the live fix; < 0: none (network, cell)
        self.course = -1.0  # reported heading of the live fix, degrees; < 0: none
        self.gap = 0.0  # device seconds since the fix before the live one
        self.jumped = 0  # discounted fixes in a row (multipath) up to the live one
        self.jlat = self.jlon = 0.0  # the first fix of that run
        self.held = False  # the live report was a cell fix that kept the finer estimate
        self.plat = self.plon = 0.0  # the estimate before the live fix was taken
        self.pt = -1.0  # device time of the fix the estimate was last taken from
        self.pspeed = -1.0  # reported speed of the fix before the live one
        # The live estimate was just moved there by a run of fixes that agree
        # (`moved`): several fixes in one place, not one.
        self.backed = False
        self.w = 1.0  # weight of the live fix in a still estimate (`reported`)

    @property
    def known(self) -> bool:
        return self.t >= 0.0

    def update(
        self,
        t: float,
        at: float,
        lat: float,
        lon: float,
        acc: float,
        speed: float | None,
        heading: float | None = None,
    ) -> None:
        # The live estimate, read once (this runs per fix), one name at a time:
        # packing four or more into a tuple costs an allocation.
        st = self.t
        slat = self.lat
        slon = self.lon
        sacc = self.acc
        sspeed = self.speed
        dt = t - st
        if st >= 0.0 and dt < RESET_GAP_S and sacc < CELL_M:
            # An upper bound on the step: the geodesic is computed only where a
            # threshold beyond it needs it (under JUMP_MIN_M nothing below is a
            # leap, a move or a disagreement, and a moving step is settled by its
            # bound at once).
            b = lat - slat if lat > slat else slat - lat
            b = (b + (lon - slon if lon > slon else slon - lon)) * 111_320.0
            if speed is None and acc < CELL_M:
                # A network fix carries no speed: it is taken as moving on when
                # the device just reported moving and it has gone on about as
                # far (else it stopped: by what the radii leave of the step),
                # or when it moved farther than indoor drift explains.
                if 0.0 <= dt <= NETWORK_CARRY_S and sspeed >= STILL_MPS:
                    half = 0.5 * sspeed * dt
                    if (lat - slat if lat > slat else slat - lat) * M_PER_DEG_LAT_MIN >= half:
                        speed = sspeed  # gone on that far north or south alone
                    else:
                        d = b if b <= JUMP_MIN_M else distance_m(slat, slon, lat, lon)
                        beyond = d - acc - sacc
                        beyond = beyond if beyond > 0.0 else 0.0
                        speed = sspeed if beyond >= half - (acc + sacc) else beyond / max(dt, 1.0)
                else:
                    reach = JUMP_MIN_M + JUMP_RADII * (acc + sacc)
                    if b > reach:
                        d = distance_m(slat, slon, lat, lon)
                        if d > reach:
                            speed = max(d / max(dt, 1.0), STILL_MPS)
            elif acc >= CELL_M:
                reach = 2.0 * acc + sacc  # a cell radius is ~1.6 sigma: within 3
                if b <= reach or distance_m(slat, slon, lat, lon) <= reach:
                    # A still device is still there (it reports every minute
                    # once it moves); a moving one's estimate just ages.
                    if sspeed < STILL_MPS:
                        # Kept as a position of its own: a later real fix does
                        # not hide that the device was there at this time,
                        # reporting on its slow schedule.
                        self.remember(t, slat, slon, sacc)
                        self.gap = dt
                        self.t, self.at = t, at
                    self.held = True
                    return
            elif speed is not None and self.jumped < JUMP_RUN:
                if speed < STILL_MPS and sspeed < STILL_MPS:
                    # Still now and at the estimate (a network fix has no speed
                    # but a phone moving reports satellite fixes every minute).
                    near = JUMP_RADII * max(acc, sacc)
                    d = b if b <= JUMP_MIN_M else distance_m(slat, slon, lat, lon)
                    if JUMP_MIN_M < d <= JUMP_MAX_M and d > near:
                        left = distance_m(self.plat, self.plon, slat, slon)
                        if left > max(JUMP_MIN_M, near) and (
                            # Arriving: the fix before it was moving, fast
                            # enough to have come that far (he drove up and
                            # stopped); that leaves no doubt about the estimate.
                            self.pspeed < STILL_MPS
                            or left
                            > JUMP_MIN_M
                            + 2.0 * JUMP_RADII * sacc
                            + JUMP_SPEED_SLACK * self.pspeed * self.gap
                        ):
                            # The estimate itself stands alone (a first fix, or
                            # one that left its predecessor): it may be the leap,
                            # so the newer fix is taken afresh.
                            self.still = 0
                        elif self.jumped >= self.still > 0 and self._agrees(lat, lon, acc):
                            # More fixes now agree away from the estimate than
                            # were averaged into it (he parked, a first fix or
                            # two leapt, then the true place): the estimate was
                            # the leap, and the run is judged as a full one.
                            self.jumped = JUMP_RUN
                        else:
                            # The estimate stays; the device is reporting, so it
                            # is not stale.
                            if not self.jumped:
                                self.jlat, self.jlon = lat, lon
                            self.jumped += 1
                            self.gap = dt
                            self.t, self.at = t, at
                            return
                elif speed >= STILL_MPS and sspeed >= 0.0:
                    # From the fix the estimate was taken from: a cell report
                    # that kept it says only that he was within its radius.
                    reach = (
                        JUMP_MIN_M
                        + JUMP_RADII * (acc + sacc)
                        + JUMP_SPEED_SLACK * max(speed, sspeed) * (t - self.pt)
                    )
                    if b > reach and (b <= JUMP_MIN_M or distance_m(slat, slon, lat, lon) > reach):
                        # Kept where it was, and it ages from there.
                        if not self.jumped:
                            self.jlat, self.jlon = lat, lon
                        self.jumped += 1
                        return
        # A fix taken after a full run of discounted ones that agree with each
        # other (not jitter scattered all round) is a real move: the estimate
        # starts afresh there rather than creeping towards it.
        moved = self.jumped >= JUMP_RUN and self._agrees(lat, lon, acc)
        self.jumped = 0
        self.held = False
        self.backed = moved
        if t - self.ring_t >= SPACING_S:
            # `remember`, inlined: this runs on every other fix.
            ring = self.ring if self.ring is not None else self._new_ring(t)
            i = self.head * 4
            ring[i] = t - self.base
            ring[i + 1] = lat
            ring[i + 2] = lon
            ring[i + 3] = acc
            self.head = (self.head + 1) % RING
            self.ring_t = t
        if (
            speed is not None
            and speed < STILL_MPS
            and self.still
            and not moved
            and dt < RESET_GAP_S
            and abs(lat - slat) < 0.005
            and abs(lon - slon) < 0.007
        ):
            w = SMOOTHING if self.still > 2 else 1.0 / (self.still + 1)
            if acc < sacc:
                # A tighter fix than the last (she stepped out of the house,
                # away from the indoor drift) weighs as much more as its
                # variance is smaller.
                w *= (sacc * sacc) / (acc * acc)
                w = w if w < 1.0 else 1.0
            self.w = w
            lat = slat + (lat - slat) * w
            lon = slon + (lon - slon) * w
            self.still += 1
        else:
            self.still = 1 if speed is not None and speed < STILL_MPS else 0
        self.gap = dt if st >= 0.0 else 0.0
        self.pspeed = sspeed
        self.speed = -1.0 if speed is None else speed
        self.course = -1.0 if heading is None or speed is None else heading % 360.0
        self.plat, self.plon = slat, slon  # (0, 0) before the first: far away
        self.t = t
        self.at = at
        self.lat = lat
        self.lon = lon
        self.acc = acc
        self.pt = t

    def _agrees(self, lat: float, lon: float, acc: float) -> bool:
        """Whether a fix lies with the first of the run of discounted fixes (not
        jitter scattered all round)."""
        near = JUMP_RADII * acc
        return distance_m(self.jlat, self.jlon, lat, lon) <= (
            near if near > JUMP_MIN_M else JUMP_MIN_M
        )

    def reported(self) -> tuple[float, float]:
        """Where the live fix was reported: a still estimate averages still fixes
        (`update`), so the fix is recovered from it and the estimate before."""
        w = self.w
        if self.still < 2 or w >= 1.0:
            return self.lat, self.lon
        return self.plat + (self.lat - self.plat) / w, self.plon + (self.lon - self.plon) / w

    def remember(self, t: float, lat: float, lon: float, acc: float) -> None:
        """Keep a position in the ring only (late fixes never become the live one)."""
        ring = self.ring if self.ring is not None else self._new_ring(t)
        if abs(t - self.ring_t) >= SPACING_S:
            i = self.head * 4
            ring[i], ring[i + 1], ring[i + 2], ring[i + 3] = t - self.base, lat, lon, acc
            self.head = (self.head + 1) % RING
            self.ring_t = t

    def _new_ring(self, t: float) -> array[float]:
        self.ring = array("f", [-1.0]) * (RING * 4)
        self.base = t - 1e6  # relative times stay positive for late fixes too
        return self.ring

    def forget(self) -> None:
        """Sharing paused: the position is no longer evidence of where she is."""
        self.t = -1.0

    def bracket(
        self, t: float
    ) -> tuple[tuple[float, float, float, float] | None, tuple[float, float, float, float] | None]:
        """The kept positions closest to t at or before it and at or after it."""
        before: tuple[float, float, float, float] | None = None
        after: tuple[float, float, float, float] | None = None
        entries: list[tuple[float, float, float, float]] = []
        if self.t >= 0.0:
            entries.append((self.t, self.lat, self.lon, self.acc))
        ring = self.ring
        if ring is not None:
            for i in range(0, RING * 4, 4):
                if ring[i] >= 0.0:
                    entries.append((ring[i] + self.base, ring[i + 1], ring[i + 2], ring[i + 3]))
        for e in entries:
            if e[0] <= t and (before is None or e[0] > before[0]):
                before = e
            if e[0] >= t and (after is None or e[0] < after[0]):
                after = e
        return before, after

    def nearest(self, t: float) -> tuple[float, float, float, float] | None:
        """(t, lat, lon, acc) of the kept position closest in time to t."""
        best: tuple[float, float, float, float] | None = None
        best_dt = float("inf")
        if self.t >= 0.0:
            best, best_dt = (self.t, self.lat, self.lon, self.acc), abs(self.t - t)
        ring = self.ring
        if ring is not None:
            for i in range(0, RING * 4, 4):
                if ring[i] < 0.0:
                    continue
                rt = ring[i] + self.base
                if abs(rt - t) < best_dt:
                    best_dt = abs(rt - t)
                    best = (rt, ring[i + 1], ring[i + 2], ring[i + 3])
        return best
