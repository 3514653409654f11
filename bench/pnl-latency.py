"""P&L update latency with ~300 positions: quote received by the hub -> P&L computed / P&L frame received.

    python3 bench/pnl-latency.py      (uses .build/debug unless TICKHUB_BIN_DIR is set)
"""
import asyncio, json, statistics, subprocess, sys, time, urllib.request, re, os, tempfile
BIN = os.environ.get("TICKHUB_BIN_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "debug"))
env = dict(os.environ, TICKHUB_PROVIDERS="ibkr", TICKHUB_DATA_DIR=tempfile.mkdtemp(), YAHOO_BASE_URL="http://127.0.0.1:9", ALPHAVANTAGE_BASE_URL="http://127.0.0.1:9")
sim = subprocess.Popen([f"{BIN}/tickhub-sim", "--port", "0", "--control-port=-1", "--clock", "open", "--lines", "1000", "--tick-rate", "2000", "--portfolio", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "sim-portfolio.json")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
sim_port = int(re.search(r" port=(\d+)", sim.stdout.readline()).group(1))
cfg = tempfile.mktemp(suffix=".json"); open(cfg, "w").write(json.dumps({"ibkr": {"lineBudget": 400}}))
hub = subprocess.Popen([f"{BIN}/tickhub", "--config", cfg, "--ibkr-port", str(sim_port), "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
port = int(re.search(r" port=(\d+)", hub.stdout.readline()).group(1))
rows = ["symbol,quantity,average_cost,multiplier,currency,security_type"]
n = 0
for under in ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "TSLA"]:
    for k in range(50):
        strike = 100 + k * 10
        rows.append(f"{under} 271217C{strike*1000:08d},1,5.0,100,USD,OPT"); n += 1
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/positions/import?broker=tastytrade&account=5WT1", method="POST", data="\n".join(rows).encode(), headers={"content-type": "text/csv"})
print(urllib.request.urlopen(req).read())
async def main():
    import websockets
    async with websockets.connect(f"ws://127.0.0.1:{port}/stream", max_size=None) as ws:
        await ws.send(json.dumps({"op": "subscribe", "channels": ["pnl"]}))
        compute, e2e, sizes = [], [], []
        end = time.time() + 40
        while time.time() < end:
            frame = json.loads(await ws.recv())
            now = time.time() * 1e6
            for m in frame if isinstance(frame, list) else [frame]:
                if m.get("type") == "pnl" and m.get("quoteT") and sum(1 for p in m["positions"] if p["marketPrice"] is not None) >= 300:
                    compute.append((m["t"] - m["quoteT"]) / 1000); e2e.append((now - m["quoteT"]) / 1000); sizes.append(len(m["positions"]))
        print("positions", max(sizes) if sizes else 0, "pushes", len(e2e))
        for name, xs in (("quote->pnl computed", compute), ("quote->pnl frame received", e2e)):
            xs.sort()
            print(f"{name}: median {statistics.median(xs):.1f} ms, p90 {xs[int(len(xs)*0.9)]:.1f} ms, max {xs[-1]:.1f} ms")
asyncio.run(main())
hub.terminate(); sim.terminate()
