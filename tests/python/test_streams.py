"""Market streams of exchange-sim through ccxt.pro and python-binance, against a server started
with `--clock replay --speed manual`: the market moves only when the script feeds a candle
(`POST /sim/step`), so every event is caused by the script and checked against the REST
answer for the same candle or trade. Public data only (the replay clock is the candles'
time, far from the wall clock a signing client uses; user data is in the other scripts).
Only the stream URLs point at the local server."""

import asyncio
import contextlib
import json
import urllib.request
from urllib.parse import urlsplit

import ccxt.pro
from binance.async_client import AsyncClient
from binance.ws.streams import BinanceSocketManager

from simcheck import Run

run = Run("streams")
base, key, _secret = run.args()
WS = base.replace("http://", "ws://")
SYMBOL = "FILUSDT"


def rest(path):
    req = urllib.request.Request(base + path, headers={"X-MBX-APIKEY": key})
    with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310 - loopback test server
        return json.loads(r.read())


def step():
    req = urllib.request.Request(base + "/sim/step", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310
        return json.loads(r.read())


async def fed_until(awaitable, seconds=10):
    """Feeds a candle every 0.2 s until awaitable is done (a raw stream is subscribed on the
    server a moment after the handshake the client waits for, so the first candle may come
    too early for it)."""
    task = asyncio.ensure_future(awaitable)
    async def feed():
        while not task.done():
            await asyncio.to_thread(step)
            await asyncio.wait([task], timeout=0.2)
    await asyncio.wait_for(asyncio.gather(task, feed()), seconds)
    return task.result()


def rest_kline(open_time):
    rows = rest(f"/api/v3/klines?symbol={SYMBOL}&interval=1m&startTime={open_time}&limit=1")
    assert rows and rows[0][0] == open_time, (open_time, rows)
    return rows[0]


def trade_price(trade_id):
    t = rest(f"/api/v3/historicalTrades?symbol={SYMBOL}&fromId={trade_id}&limit=1")
    assert t and t[0]["id"] == trade_id, (trade_id, t)
    return t[0]["price"]


async def next_message(socket, want):
    while True:
        m = await socket.recv()
        assert m.get("e") != "error", m
        if want(m):
            return m


@contextlib.asynccontextmanager
async def fed_close(socket):
    """python-binance's socket, opened; closed while candles are fed: its read loop notices
    the close only when a message arrives (or after its 10 s receive timeout)."""
    await socket.__aenter__()
    try:
        yield socket
    finally:
        await fed_until(socket.__aexit__(None, None, None))


async def python_binance_sockets():
    ac = AsyncClient()
    bsm = BinanceSocketManager(ac)
    bsm.STREAM_URL = WS + "/"  # its sockets are STREAM_URL + "ws/<name>" or "stream?streams="
    try:
        async with fed_close(bsm.kline_socket(SYMBOL, AsyncClient.KLINE_INTERVAL_1MINUTE)) as k:
            m = await fed_until(next_message(k, lambda m: m.get("e") == "kline"))
            bar = m["k"]
            assert m["s"] == bar["s"] == SYMBOL and bar["i"] == "1m" and bar["x"], m
            row = rest_kline(bar["t"])
            assert [bar[f] for f in "ohlcvn"] == [row[1], row[2], row[3], row[4], row[5],
                                                   row[8]], (bar, row)
            assert bar["T"] == row[6] and bar["q"] == row[7], (bar, row)
        async with fed_close(bsm.symbol_book_ticker_socket(SYMBOL)) as b:
            m = await fed_until(next_message(b, lambda m: "u" in m))
            assert m["s"] == SYMBOL and m["b"] == m["a"] == trade_price(m["u"]), m
            assert float(m["B"]) > 0 and float(m["A"]) > 0, m
        depth = bsm.depth_socket(SYMBOL, BinanceSocketManager.WEBSOCKET_DEPTH_5)
        async with fed_close(depth) as d:
            # Partial book `<s>@depth5`: {"lastUpdateId","bids","asks"}, the top at the price
            # of that trade (no spread in the model).
            m = await fed_until(next_message(d, lambda m: "lastUpdateId" in m))
            assert 0 < len(m["bids"]) <= 5 and 0 < len(m["asks"]) <= 5, m
            top = trade_price(m["lastUpdateId"])
            assert m["bids"][0][0] == m["asks"][0][0] == top, m
        streams = [f"{SYMBOL.lower()}@trade", f"{SYMBOL.lower()}@miniTicker"]
        async with fed_close(bsm.multiplex_socket(streams)) as multi:
            seen = {}
            def both(m):
                seen[m["stream"]] = m["data"]
                return set(seen) == set(streams)
            await fed_until(next_message(multi, both))
            trade, mini = seen[streams[0]], seen[streams[1]]
            assert trade["e"] == "trade" and trade["p"] == trade_price(trade["t"]), trade
            assert mini["e"] == "24hrMiniTicker" and mini["s"] == SYMBOL, mini
    finally:
        await ac.close_connection()


async def ccxt_watches():
    pro = ccxt.pro.binance({"apiKey": key})  # no secret: public data only
    for name, url in list(pro.urls["api"].items()):
        if isinstance(url, str):
            pro.urls["api"][name] = base + urlsplit(url).path
    pro.urls["api"]["ws"]["spot"] = WS + "/ws"
    try:
        await pro.load_markets()
        mini = await fed_until(pro.watch_ticker("FIL/USDT"))  # ccxt's default: miniTicker
        assert mini["info"]["e"] == "24hrMiniTicker" and mini["close"] > 0, mini
        # `ticker`: the full one, whose last trade id `L` REST can confirm.
        t = await fed_until(pro.watch_ticker("FIL/USDT", {"name": "ticker"}))
        assert t["symbol"] == "FIL/USDT" and t["info"]["e"] == "24hrTicker", t
        assert t["last"] == float(trade_price(t["info"]["L"])), t
        assert t["low"] <= t["last"] <= t["high"] and t["baseVolume"] > 0, t
        bars = await fed_until(pro.watch_ohlcv("FIL/USDT", "1m"))
        bar = bars[-1]
        row = rest_kline(bar[0])
        assert bar[1:6] == [float(x) for x in row[1:6]], (bar, row)
        orders = await fed_until(pro.watch_trades("FIL/USDT"))
        assert all(o["price"] == float(trade_price(int(o["id"]))) for o in orders), orders
    finally:
        await pro.close()


run.check("python-binance: kline, bookTicker, partial depth and multiplex sockets",
          lambda: asyncio.run(python_binance_sockets()))
run.check("ccxt.pro: watch_ticker (miniTicker and ticker), watch_ohlcv, watch_trades",
          lambda: asyncio.run(ccxt_watches()))
run.report()
