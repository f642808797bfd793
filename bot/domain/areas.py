"""Find a resident's NAG from a postcode, a place name (typos tolerated) or a location."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.content import Nag

# Outward code MK + 1-2 digits, then optionally the sector digit and the two unit letters.
_POSTCODE = re.compile(r"^MK(\d{1,2})(?:(\d)([A-Z]{2})?)?$")
NAME_CUTOFF = 82.0
NAME_SPREAD = 4.0  # other places within this many points of the best are offered too
MAX_CHOICES = 8


@dataclass(frozen=True)
class SearchResult:
    kind: Literal["postcode", "name", "none", "outside"]
    nags: tuple[Nag, ...]
    matched: str = ""


@dataclass(frozen=True)
class Postcode:
    district: str  # "MK6"
    sector: str | None  # "MK6 3"


def parse_postcode(text: str, known_districts: frozenset[str]) -> Postcode | None:
    """Parse "MK6 3AX", "mk63ax", "MK6 3" or "MK6"; None when it is not an MK postcode shape."""
    compact = re.sub(r"\s+", "", text.upper())
    if not compact.startswith("MK") or len(compact) > 7:
        return None
    # A full postcode always ends digit + two letters (the inward code).
    full = re.fullmatch(r"MK(\d{1,2})(\d)([A-Z]{2})", compact)
    if full:
        d = f"MK{int(full.group(1))}"
        return Postcode(d, f"{d} {full.group(2)}")
    m = _POSTCODE.match(compact)
    if not m:
        return None
    digits = m.group(1)
    if m.group(2) is None:
        # "MK63" is either district MK63 or MK6 sector 3: prefer the one we know.
        if len(digits) == 2 and f"MK{int(digits)}" not in known_districts:
            d = f"MK{int(digits[0])}"
            if d in known_districts:
                return Postcode(d, f"{d} {digits[1]}")
        return Postcode(f"MK{int(digits)}", None)
    d = f"MK{int(digits)}"
    return Postcode(d, f"{d} {m.group(2)}")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class AreaIndex:
    """Built once from content; answers searches in well under a millisecond."""

    def __init__(self, nags: tuple[Nag, ...]) -> None:
        self.nags = nags
        self.by_sector: dict[str, list[Nag]] = {}
        self.by_district: dict[str, list[Nag]] = {}
        for nag in nags:
            for pc in nag.postcodes:
                district = pc.split()[0]
                if " " in pc:
                    self.by_sector.setdefault(pc, []).append(nag)
                if nag not in self.by_district.setdefault(district, []):
                    self.by_district[district].append(nag)
        self.districts = frozenset(self.by_district)
        # Search choices: every area name and every NAG name, pre-processed once.
        self._names: list[str] = []
        self._owners: list[Nag] = []
        for nag in nags:
            for name in (nag.name, *nag.areas):
                self._names.append(utils.default_process(name))
                self._owners.append(nag)

    def by_postcode(self, pc: Postcode) -> SearchResult:
        if pc.sector and pc.sector in self.by_sector:
            return SearchResult("postcode", tuple(self.by_sector[pc.sector]), pc.sector)
        if pc.district in self.by_district:
            nags = self.by_district[pc.district]
            if pc.sector:
                # Sector not listed anywhere: NAGs covering the whole district come first.
                whole = [n for n in nags if pc.district in n.postcodes]
                nags = whole or nags
            return SearchResult("postcode", tuple(nags[:MAX_CHOICES]), pc.district)
        return SearchResult("outside", (), pc.sector or pc.district)

    def search(self, text: str) -> SearchResult:
        """Postcode first, then place names with typos tolerated."""
        text = text.strip()
        if not text:
            return SearchResult("none", ())
        pc = parse_postcode(text, self.districts)
        if pc is not None:
            return self.by_postcode(pc)
        query = utils.default_process(text)
        if not query or len(query) < 3:
            return SearchResult("none", ())
        hits = process.extract(
            query,
            self._names,
            scorer=fuzz.WRatio,
            processor=None,
            score_cutoff=NAME_CUTOFF,
            limit=MAX_CHOICES * 3,
        )
        if not hits:
            return SearchResult("none", ())
        best = hits[0][1]
        seen: list[Nag] = []
        for _, score, idx in hits:
            nag = self._owners[idx]
            if score >= best - NAME_SPREAD and nag not in seen:
                seen.append(nag)
        return SearchResult("name", tuple(seen[:MAX_CHOICES]), text)

    def nearest(self, lat: float, lon: float, limit: int = 1) -> list[tuple[Nag, float]]:
        ranked = sorted(
            ((n, haversine_km(lat, lon, n.lat, n.lon)) for n in self.nags), key=lambda x: x[1]
        )
        return ranked[:limit]
