# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""report_parse.py - what a bnn-run --report page says, as JSON.

    python3 report_parse.py PAGE.html        (or a DOM dumped by Chromium)

Reads the cells the page marks for machines: data-k (a count or rate),
data-cm="t,p" (confusion matrix), tr[data-src] (per-record rows),
section[data-src] (strip sections) and figure.strip (one strip each).
Used by tests/unit/test_report.sh and tests/report/test_chromium.sh.
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.k, self.cm, self.rows, self.sections = {}, {}, {}, {}
        self.figures = []
        self.row = None      # per-record row being read
        self.cur = None      # (where, key) of the cell being read
        self.text = ""
        self.svg_paths = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-src" in a:
            self.row = self.rows.setdefault(a["data-src"], {})
        if tag == "section" and "data-src" in a:
            self.sections[a["data-src"]] = {
                "strips": int(a["data-strips"]), "left": int(a["data-left"])}
        if tag == "figure" and "strip" in a.get("class", "").split():
            self.figures.append({"ref": a.get("data-ref"),
                                 "pred": a.get("data-pred"),
                                 "miss": "miss" in a["class"].split()})
        if tag == "path" and a.get("class") == "tr" and a.get("d"):
            self.svg_paths += 1
        if "data-k" in a:
            self.cur = ("row" if self.row is not None else "k", a["data-k"])
            self.text = ""
        elif "data-cm" in a:
            self.cur = ("cm", a["data-cm"])
            self.text = ""

    def handle_endtag(self, tag):
        if tag == "tr":
            self.row = None
        if self.cur and tag in ("td", "span", "b"):
            where, key = self.cur
            v = self.text.strip()
            if where == "row":
                self.row[key] = v
            elif where == "cm":
                self.cm[key] = int(v)
            else:
                self.k.setdefault(key, v)
            self.cur = None

    def handle_data(self, data):
        if self.cur:
            self.text += data


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return {"k": p.k, "cm": p.cm, "rows": p.rows, "sections": p.sections,
            "figures": p.figures, "svg_paths": p.svg_paths}


if __name__ == "__main__":
    json.dump(parse(sys.argv[1]), sys.stdout, indent=1)
    print()
