"""Paging `GET /api/positions` over a large table: the first, a middle and the last page, at 1,000 and 5,000 rows.

    python3 bench/positions-paging.py [--positions 100000] [--runs 5]   (.build/release unless TICKHUB_BIN_DIR is set)

The positions come in through the CSV import (100 accounts of 1,000 rows sharing 1,000 symbols, so the hub follows
no more than that). Prints one JSON object: the median time per page size and place, and the whole walk.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.environ.get("TICKHUB_BIN_DIR", os.path.join(ROOT, ".build", "release"))

parser = argparse.ArgumentParser()
parser.add_argument("--positions", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=5)
args = parser.parse_args()
per_account = 1000
accounts = max(1, args.positions // per_account)

data = tempfile.mkdtemp()
config = os.path.join(data, "hub.json")
with open(config, "w") as f:
    json.dump({"server": {"maxSymbolsPerImport": per_account}}, f)
hub = subprocess.Popen([f"{BIN}/tickhub", "--demo", "--no-demo-tastytrade", "--offline", "--config", config, "--db", os.path.join(data, "hub.sqlite"),
                        "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port = int(re.search(r" port=(\d+)", hub.stdout.readline()).group(1))
    base = f"http://127.0.0.1:{port}"

    def get(path):
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=120) as response:
            body = json.loads(response.read())
        return body, time.perf_counter() - started

    rows = "symbol,quantity,average_cost\n" + "".join(f"B{i:04d},1,10\n" for i in range(per_account))
    started = time.perf_counter()
    for n in range(accounts):
        request = urllib.request.Request(f"{base}/api/positions/import?broker=schwab&account=B{n:04d}", method="POST",
                                         data=rows.encode(), headers={"content-type": "text/csv"})
        urllib.request.urlopen(request, timeout=120).read()
    imported = time.perf_counter() - started

    # Cursors to the start, the middle and the end of the table, found by one walk at the largest page size.
    cursors, cursor, walked = [None], None, 0
    walk_started = time.perf_counter()
    while True:
        page, _ = get("/api/positions?limit=5000" + (f"&cursor={cursor}" if cursor else ""))
        walked += len(page["positions"])
        cursor = page["nextCursor"]
        if not cursor:
            break
        cursors.append(cursor)
    walk = time.perf_counter() - walk_started
    places = {"first": cursors[0], "middle": cursors[len(cursors) // 2], "last": cursors[-1]}

    result = {"positions": walked, "importSeconds": round(imported, 2), "walkAt5000Seconds": round(walk, 3), "pages": {}}
    for limit in (1000, 5000):
        for place, start in places.items():
            times = [get(f"/api/positions?limit={limit}" + (f"&cursor={start}" if start else ""))[1] for _ in range(args.runs)]
            result["pages"][f"{limit}@{place}"] = {"medianMs": round(statistics.median(times) * 1000, 1),
                                                   "minMs": round(min(times) * 1000, 1)}
    print(json.dumps(result, indent=2))
finally:
    hub.terminate()
    hub.wait(timeout=10)
