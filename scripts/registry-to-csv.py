#!/usr/bin/env python3
"""Convert an IOC registry (JSON) into the CSV files of deploy/sample/csv/, after validating it.

usage: scripts/registry-to-csv.py [REGISTRY.json] [OUTDIR]      write the CSV files
       scripts/registry-to-csv.py --check [REGISTRY.json] [OUTDIR]  validate, and fail if OUTDIR is stale

Defaults: deploy/sample/registry.json and deploy/sample/csv (relative to the repository).
Output: units.csv (code,name,level,parent), gateways.csv (code,name,unit),
stations.csv (code,name,unit,domain,gateway,lat,lon,attributes as a JSON string),
sensors.csv (station,metric,unit,min,max). UTF-8 without BOM, "\n" line ends.
"""
import csv
import io
import json
import math
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The canonical unit of each metric (see DESIGN.md, "Domain").
CANONICAL_UNITS = {
    "water_level": "m",
    "rain": "mm",
    "inflow": "m3/s",
    "outflow": "m3/s",
    "pm2_5": "ug/m3",
    "pm10": "ug/m3",
    "no2": "ug/m3",
    "o3": "ug/m3",
    "so2": "ug/m3",
    "co": "ug/m3",
    "temperature": "Cel",
    "humidity": "%",
    "vehicle_count": "vehicles",
    "speed": "km/h",
    "occupancy": "%",
}
DOMAINS = {"hydrology", "rain", "reservoir", "air", "traffic", "water_quality"}
LEVELS = {"province", "district", "commune"}


def fail(errors):
    for e in errors:
        print(f"registry: {e}", file=sys.stderr)
    sys.exit(1)


def num(v):
    """Numbers as they appear in JSON: 15 stays 15, 1.7 stays 1.7."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(v)
    return repr(v)


def validate(reg):
    errors = []
    for key in ("units", "gateways", "stations"):
        if not isinstance(reg.get(key), list):
            errors.append(f"top-level '{key}' must be a list")
    if errors:
        fail(errors)

    def unique(kind, items):
        seen = set()
        for it in items:
            code = it.get("code")
            if not isinstance(code, str) or not code:
                errors.append(f"{kind} without a code: {it}")
            elif code in seen:
                errors.append(f"duplicate {kind} code {code}")
            seen.add(code)
        return seen

    units = unique("unit", reg["units"])
    gateways = unique("gateway", reg["gateways"])
    unique("station", reg["stations"])

    for u in reg["units"]:
        if u.get("level") not in LEVELS:
            errors.append(f"unit {u.get('code')}: level must be one of {sorted(LEVELS)}")
        if u.get("parent") is not None and u["parent"] not in units:
            errors.append(f"unit {u.get('code')}: unknown parent {u['parent']}")
        if not u.get("name"):
            errors.append(f"unit {u.get('code')}: name missing")
    for g in reg["gateways"]:
        code = g.get("code", "")
        # The code is the MQTT user name, and a level of the topic ioc/v1/{gateway}/...
        if any(c in code for c in "+#/: ") or code == "ioc":
            errors.append(f"gateway {code}: not usable as an MQTT user name / topic level")
        if g.get("unit") not in units:
            errors.append(f"gateway {code}: unknown unit {g.get('unit')}")
    for s in reg["stations"]:
        code = s.get("code")
        if s.get("unit") not in units:
            errors.append(f"station {code}: unknown unit {s.get('unit')}")
        if s.get("gateway") is not None and s["gateway"] not in gateways:
            errors.append(f"station {code}: unknown gateway {s.get('gateway')}")
        if s.get("domain") not in DOMAINS:
            errors.append(f"station {code}: domain must be one of {sorted(DOMAINS)}")
        lat, lon = s.get("lat"), s.get("lon")
        if not (isinstance(lat, (int, float)) and 8.0 <= lat <= 23.5
                and isinstance(lon, (int, float)) and 102.0 <= lon <= 110.0):
            errors.append(f"station {code}: lat/lon {lat},{lon} outside Vietnam")
        if not isinstance(s.get("attributes", {}), dict):
            errors.append(f"station {code}: attributes must be an object")
        sensors = s.get("sensors")
        if not isinstance(sensors, list) or not sensors:
            errors.append(f"station {code}: no sensors")
            continue
        metrics = set()
        for x in sensors:
            m = x.get("metric")
            if m in metrics:
                errors.append(f"station {code}: duplicate metric {m}")
            metrics.add(m)
            if m not in CANONICAL_UNITS:
                errors.append(f"station {code}: unknown metric {m}")
            elif x.get("unit") != CANONICAL_UNITS[m]:
                errors.append(f"station {code}: {m} in {x.get('unit')}, expected {CANONICAL_UNITS[m]}")
            lo, hi = x.get("min"), x.get("max")
            ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi))
            if not ok or lo >= hi:
                errors.append(f"station {code}: {m} needs a valid range, min < max (got {lo}, {hi})")
    if errors:
        fail(errors)


def render(reg):
    """Returns {file name: CSV text}."""
    out = {}

    def table(name, header, rows):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        out[name] = buf.getvalue()

    table("units.csv", ["code", "name", "level", "parent"],
          [[u["code"], u["name"], u["level"], u.get("parent") or ""] for u in reg["units"]])
    table("gateways.csv", ["code", "name", "unit"],
          [[g["code"], g["name"], g["unit"]] for g in reg["gateways"]])
    table("stations.csv", ["code", "name", "unit", "domain", "gateway", "lat", "lon", "attributes"],
          [[s["code"], s["name"], s["unit"], s["domain"], s.get("gateway") or "", num(s["lat"]), num(s["lon"]),
            json.dumps(s.get("attributes", {}), ensure_ascii=False, separators=(",", ":"))]
           for s in reg["stations"]])
    table("sensors.csv", ["station", "metric", "unit", "min", "max"],
          [[s["code"], x["metric"], x["unit"], num(x["min"]), num(x["max"])]
           for s in reg["stations"] for x in s["sensors"]])
    return out


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if any(a.startswith("-") for a in args) or len(args) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = args[0] if args else os.path.join(REPO, "deploy/sample/registry.json")
    outdir = args[1] if len(args) > 1 else os.path.join(REPO, "deploy/sample/csv")
    with open(src, encoding="utf-8") as f:
        reg = json.load(f)
    validate(reg)
    files = render(reg)
    if check:
        stale = []
        for name, text in files.items():
            path = os.path.join(outdir, name)
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        if stale:
            print("registry: CSV out of date, run scripts/registry-to-csv.py: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"registry: {src} valid ({len(reg['units'])} units, {len(reg['gateways'])} gateways, "
              f"{len(reg['stations'])} stations, {sum(len(s['sensors']) for s in reg['stations'])} sensors); CSV up to date")
        return 0
    os.makedirs(outdir, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
