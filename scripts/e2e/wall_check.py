#!/usr/bin/env python3
"""Checks what a wall page shows, from the DOM that headless chromium dumped (--dump-dom).

    wall_check.py DOM.html --registry deploy/sample/registry.json --layout dashboards/NAME.json
                  [--min-values N] [--connection live,polling] [--lang vi|en]

Exits 0 when the page shows: its layout's title; names of the registry's stations that its
widgets cover; at least N live values (numbers, each from a reading at most 10 minutes old);
the clock at the time of Asia/Ho_Chi_Minh; a data-age indicator saying fresh; no stale banner;
the open-alerts list; a connection state among the allowed ones. Otherwise exits 1 and says
what is missing. Standard library only.
"""
import argparse
import datetime
import json
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all_text(self):
        return "".join(t if isinstance(t, str) else t.all_text() for t in self.text)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class DOM(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.text.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.text.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text.append(data)


def parse_number(text):
    """A number as the page writes it: Vietnamese (1.234,5) or English (1,234.5)."""
    t = text.strip().replace("\u2212", "-")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?", t):
        return float(t.replace(".", "").replace(",", "."))
    if re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?", t) or re.fullmatch(r"-?\d+(\.\d+)?", t):
        return float(t.replace(",", ""))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dom")
    ap.add_argument("--registry", required=True)
    ap.add_argument("--layout", required=True)
    ap.add_argument("--min-values", type=int, default=4)
    ap.add_argument("--min-stations", type=int, default=3)
    ap.add_argument("--connection", default="live,polling")
    ap.add_argument("--lang", default="vi")
    args = ap.parse_args()

    dom = DOM()
    with open(args.dom, encoding="utf-8") as f:
        dom.feed(f.read())
    nodes = list(dom.root.walk())
    by_id = {n.attrs["id"]: n for n in nodes if "id" in n.attrs}
    body = next((n for n in nodes if n.tag == "body"), None)
    text = dom.root.all_text()
    layout = json.load(open(args.layout, encoding="utf-8"))
    registry = json.load(open(args.registry, encoding="utf-8"))
    problems, facts = [], []

    title = by_id.get("title")
    want_title = layout["title_en" if args.lang == "en" else "title_vi"]
    if title is None or title.all_text().strip() != want_title:
        problems.append(f"title: expected {want_title!r}, page shows {title.all_text().strip() if title else None!r}")

    domains = {(w.get("filters") or {}).get("domain") for w in layout["widgets"] if w["type"] not in ("clock", "data_age", "alert_list")}
    covered = [s for s in registry["stations"] if None in domains or s.get("domain") in domains]
    shown = [s["name"] for s in covered if s["name"] in text]
    facts.append(f"{len(shown)} of {len(covered)} station names of the registry shown")
    if len(shown) < min(args.min_stations, len(covered)):
        problems.append(f"station names: only {len(shown)} of the registry's {len(covered)} stations are named on the page ({shown})")

    now = datetime.datetime.now(datetime.timezone.utc)
    values, old = [], []
    for n in nodes:
        if "live-value" not in n.classes():
            continue
        number = parse_number(n.all_text())
        ts = n.attrs.get("data-ts")
        if number is None or not ts:
            continue
        age = (now - datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))).total_seconds()
        (values if age <= 600 else old).append(number)
    facts.append(f"{len(values)} live values rendered (e.g. {values[:5]}), {len(old)} older than 10 min")
    if len(values) < args.min_values:
        problems.append(f"live values: {len(values)} numbers from readings of the last 10 minutes, expected at least {args.min_values}")

    clock = by_id.get("clock")
    clock_text = clock.all_text().strip() if clock else ""
    if not re.fullmatch(r"\d{2}:\d{2}:\d{2}", clock_text):
        problems.append(f"clock: expected HH:MM:SS, page shows {clock_text!r}")
    else:
        local = now.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
        h, m, s = map(int, clock_text.split(":"))
        shown_at = local.replace(hour=h, minute=m, second=s)
        drift = abs((shown_at - local).total_seconds())
        drift = min(drift, 86400 - drift)
        facts.append(f"clock {clock_text} (Asia/Ho_Chi_Minh now {local:%H:%M:%S})")
        # Headless chromium's virtual time runs ahead of the wall clock by up to its budget.
        if drift > 120:
            problems.append(f"clock: shows {clock_text}, Asia/Ho_Chi_Minh time is {local:%H:%M:%S}")

    age = by_id.get("data-age")
    if age is None:
        problems.append("data age: no #data-age element")
    else:
        facts.append(f"data age: {age.attrs.get('data-state')} ({age.all_text().strip()!r})")
        if age.attrs.get("data-state") != "fresh":
            problems.append(f"data age: says {age.attrs.get('data-state')} ({age.all_text().strip()!r}), expected fresh")
    if body is not None and "stale" in body.classes():
        banner = by_id.get("stale-banner")
        problems.append(f"the page looks stale: {banner.all_text().strip() if banner else ''!r}")

    alerts = by_id.get("alert-list")
    if alerts is None or alerts.tag != "ul":
        problems.append("open alerts: no #alert-list element")
    else:
        facts.append(f"open-alert list with {alerts.attrs.get('data-count')} alerts")

    conn = by_id.get("connection")
    state = conn.attrs.get("data-state") if conn else None
    facts.append(f"connection: {state}")
    if state not in args.connection.split(","):
        problems.append(f"connection: {state}, expected one of {args.connection}")

    for fact in facts:
        print(f"  {fact}")
    if problems:
        for p in problems:
            print(f"  NOT OK: {p}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
