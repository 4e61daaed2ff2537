"""ccxt's Binance client against exchange-sim started with no flags (live clock, bundled
FILUSDT candles). Default client settings: no time-difference adjustment, default recvWindow,
ccxt's own client order ids, default market types and currency loading (so `load_markets`
also asks the wallet, margin, futures and options endpoints, which the stand-in answers).
Only the URLs point at the local server."""

import asyncio
import json
from urllib.parse import urlsplit

import ccxt
import ccxt.pro

from simcheck import Run, expect_error

run = Run("ccxt")
base, key, secret = run.args()

ex = ccxt.binance({"apiKey": key, "secret": secret})
for name, url in ex.urls["api"].items():
    # Every API host of ccxt's (spot, wallet, margin, futures, options) to the local server,
    # the path kept: URL configuration only.
    ex.urls["api"][name] = base + urlsplit(url).path
ex.session.hooks["response"].append(run.record)
assert not ex.options.get("adjustForTimeDifference"), "ccxt's default: no time adjustment"

SYMBOL = "FIL/USDT"
state = {}


def time_is_wall_clock():
    server = ex.fetch_time()
    assert abs(server - ex.milliseconds()) < 5_000, (server, ex.milliseconds())


def markets_and_filters():
    ex.load_markets()
    m = ex.market(SYMBOL)
    assert m["spot"] and m["active"] and m["id"] == "FILUSDT", m
    assert m["precision"]["price"] == 0.001 and m["precision"]["amount"] == 0.01, m["precision"]
    assert m["limits"]["amount"]["min"] == 0.01, m["limits"]
    assert m["limits"]["price"]["min"] == 0.001, m["limits"]
    assert m["limits"]["cost"]["min"] == 5.0, m["limits"]
    assert m["taker"] == 0.001 and m["maker"] == 0.001
    filters = {f["filterType"] for f in m["info"]["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL", "PERCENT_PRICE_BY_SIDE"} <= filters, filters
    assert list(ex.markets) == [SYMBOL], "futures and options are empty lists: spot only"
    served = ex.currencies["FIL"], ex.currencies["USDT"]
    assert all(c["info"]["trading"] and c["info"]["networkList"] == [] for c in served), served
    assert not ex.currencies["USDT"]["deposit"] and not ex.currencies["USDT"]["withdraw"]


def wallet_stand_ins():
    assert ex.fetch_status()["status"] == "ok"
    fee = ex.fetch_trading_fee(SYMBOL)
    assert fee["maker"] == fee["taker"] == 0.001, fee
    coins = {c["coin"]: c for c in ex.sapiGetCapitalConfigGetall()}
    assert set(coins) == {"FIL", "USDT"} and coins["USDT"]["free"] == "10000.00000000", coins


def ticker():
    t = ex.fetch_ticker(SYMBOL)
    assert t["last"] > 0 and t["low"] <= t["last"] <= t["high"], t
    assert t["baseVolume"] > 0 and t["quoteVolume"] > 0, t
    assert t["bid"] == t["ask"] == t["last"], "no spread in the model"
    assert abs(t["timestamp"] - ex.milliseconds()) < 5_000
    state["last"] = t["last"]
    mini = ex.fetch_tickers([SYMBOL])
    assert SYMBOL in mini, mini.keys()


def last_price():
    return ex.fetch_ticker(SYMBOL)["last"]


def order_book():
    book = ex.fetch_order_book(SYMBOL, limit=10)
    assert book["bids"] and book["asks"], book
    assert book["bids"][0][0] == book["asks"][0][0] == last_price(), book
    assert book["bids"][0][1] > 0


def klines():
    now = ex.milliseconds()
    rows = ex.fetch_ohlcv(SYMBOL, "1m", limit=100)
    assert len(rows) == 100, len(rows)
    assert all(b[0] - a[0] == 60_000 for a, b in zip(rows, rows[1:]))
    assert rows[-1][0] <= now and rows[-1][0] > now - 3 * 60_000, (rows[-1][0], now)
    assert rows[-1][4] == last_price(), "last close is the last price"
    hours = ex.fetch_ohlcv(SYMBOL, "1h", since=now - 48 * 3_600_000, limit=24)
    assert len(hours) == 24 and hours[0][0] % 3_600_000 == 0, hours[:1]
    # Paging by `since`: the second page starts right after the first, nothing repeated.
    since = now - 1_500 * 60_000
    first = ex.fetch_ohlcv(SYMBOL, "1m", since=since, limit=1000)
    second = ex.fetch_ohlcv(SYMBOL, "1m", since=first[-1][0] + 60_000, limit=1000)
    bars = first + second
    assert len(first) == 1000 and 498 <= len(second) <= 502, (len(first), len(second))
    assert all(b[0] - a[0] == 60_000 for a, b in zip(bars, bars[1:])), "no gap, no repeat"
    # Binance's timeZone passes through ccxt's params: days from midnight UTC+8.
    days = ex.fetch_ohlcv(SYMBOL, "1d", limit=2, params={"timeZone": "8"})
    assert all(d[0] % 86_400_000 == 16 * 3_600_000 for d in days), days


def balances():
    b = ex.fetch_balance()
    assert b["USDT"]["free"] == 10_000 and b["USDT"]["used"] == 0, b["USDT"]
    assert b["FIL"]["total"] == 0, b.get("FIL")


def limit_buy_with_client_id():
    price = float(ex.price_to_precision(SYMBOL, state["last"] * 0.9))
    o = ex.create_order(SYMBOL, "limit", "buy", 4, price, {"clientOrderId": "ccxt-grid-b1"})
    assert o["clientOrderId"] == "ccxt-grid-b1" and o["status"] == "open", o
    assert o["price"] == price and o["amount"] == 4, o
    state["order"] = o
    assert ex.fetch_balance()["USDT"]["used"] == round(4 * price, 8)


def lookup_by_client_id():
    o = ex.fetch_order(None, SYMBOL, {"clientOrderId": "ccxt-grid-b1"})
    assert o["id"] == state["order"]["id"] and o["status"] == "open", o


def open_orders():
    ids = [o["id"] for o in ex.fetch_open_orders(SYMBOL)]
    assert ids == [state["order"]["id"]], ids


def cancel():
    c = ex.cancel_order(state["order"]["id"], SYMBOL)
    assert c["status"] == "canceled", c
    assert ex.fetch_open_orders(SYMBOL) == []
    assert ex.fetch_balance()["USDT"]["free"] == 10_000


def rejected(fn, exc_type, code, text):
    """ccxt raises exc_type; the answer itself carried Binance's code and text."""
    expect_error(fn, exc_type, None, text)
    body = json.loads(run.last_body)
    assert body["code"] == code and text in body["msg"], body


def rejections():
    last = state["last"]
    rejected(
        lambda: ex.create_order(SYMBOL, "limit", "buy", 9_000_001, last),
        ccxt.InvalidOrder, -1013, "Filter failure: LOT_SIZE",
    )
    rejected(
        lambda: ex.create_order(SYMBOL, "limit", "buy", 1, 2000),
        ccxt.InvalidOrder, -1013, "Filter failure: PRICE_FILTER",
    )
    rejected(
        lambda: ex.create_order(SYMBOL, "limit", "buy", 0.01, last),
        # ccxt maps only the older MIN_NOTIONAL text to InvalidOrder; -1013 is BadRequest.
        ccxt.BadRequest, -1013, "Filter failure: NOTIONAL",
    )
    rejected(
        lambda: ex.create_order(SYMBOL, "limit", "buy", 3000, last),
        ccxt.InsufficientFunds, -2010, "Account has insufficient balance for requested action.",
    )
    rejected(lambda: ex.fetch_order("999999", SYMBOL), ccxt.OrderNotFound, -2013,
             "Order does not exist.")


def market_fill_then_my_trades():
    before = last_price()
    o = ex.create_order(SYMBOL, "market", "buy", 2)
    after = last_price()
    assert o["status"] == "closed" and o["filled"] == 2, o
    # At the last price of the moment (a minute may have closed in between).
    assert o["average"] in (before, after), (o["average"], before, after)
    trades = ex.fetch_my_trades(SYMBOL)
    mine = [t for t in trades if t["order"] == o["id"]]
    assert mine and sum(t["amount"] for t in mine) == 2, trades
    assert mine[0]["fee"]["currency"] == "FIL" and mine[0]["takerOrMaker"] == "taker", mine[0]
    since = ex.fetch_my_trades(SYMBOL, since=ex.milliseconds() - 60_000)
    assert [t["id"] for t in since] == [t["id"] for t in mine], since
    assert ex.fetch_balance()["FIL"]["free"] == 1.998, "2 FIL less the 0.1 % commission"


def pro_client():
    """ccxt.pro's binance (bundled in ccxt) with every REST and WebSocket URL on the sim."""
    pro = ccxt.pro.binance({"apiKey": key, "secret": secret})
    for name, url in ex.urls["api"].items():
        if isinstance(url, str):
            pro.urls["api"][name] = url
    ws = base.replace("http://", "ws://")
    pro.urls["api"]["ws"]["spot"] = ws + "/ws"
    pro.urls["api"]["ws"]["ws-api"]["spot"] = ws + "/ws-api/v3"
    return pro


async def until(seconds, watch, want):
    """Watches until want(result) holds; fails after `seconds`."""
    async def wait():
        while True:
            got = await watch()
            if want(got):
                return got
    return await asyncio.wait_for(wait(), seconds)


async def user_data_and_ws_orders():
    # ccxt 4.5.90: watch_orders / watch_balance subscribe with
    # `userDataStream.subscribe.signature` on the WebSocket API (no listenKey);
    # create_order_ws / cancel_order_ws are `order.place` / `order.cancel` on the same host.
    pro = pro_client()
    try:
        await pro.load_markets()
        first = asyncio.ensure_future(pro.watch_orders(SYMBOL))
        await asyncio.sleep(0)
        balance = asyncio.ensure_future(pro.watch_balance())
        price = float(pro.price_to_precision(SYMBOL, last_price() * 0.9))
        # Once ccxt has queued its subscribe request, create_order_ws goes out after it on the
        # same connection, and the server answers a connection's requests in order.
        for _ in range(200):
            if "spot" in pro.client(pro.urls["api"]["ws"]["ws-api"]["spot"]).subscriptions:
                break
            await asyncio.sleep(0.05)
        o = await pro.create_order_ws(SYMBOL, "limit", "buy", 4, price,
                                      {"clientOrderId": "ccxt-ws-b1"})
        assert o["clientOrderId"] == "ccxt-ws-b1" and o["status"] == "open", o
        orders = await asyncio.wait_for(first, 10)
        mine = [x for x in orders if x["clientOrderId"] == "ccxt-ws-b1"]
        assert mine and mine[-1]["status"] == "open" and mine[-1]["id"] == o["id"], orders
        assert mine[-1]["price"] == price and mine[-1]["amount"] == 4, mine[-1]
        b = await asyncio.wait_for(balance, 10)
        assert b["USDT"]["used"] == round(4 * price, 8), b["USDT"]
        # Watching before the cancel: ccxt hands out updates that arrive after the call.
        gone = asyncio.ensure_future(until(
            10, lambda: pro.watch_orders(SYMBOL),
            lambda os: any(x["id"] == o["id"] and x["status"] == "canceled" for x in os)))
        await asyncio.sleep(0)
        c = await pro.cancel_order_ws(o["id"], SYMBOL)
        assert c["status"] == "canceled", c
        await gone
        assert ex.fetch_open_orders(SYMBOL) == [], "one engine behind both transports"
    finally:
        await pro.close()


READ_ONLY = {time_is_wall_clock, markets_and_filters, ticker, order_book, klines, balances}
for label, fn in [
    ("time is wall-clock time", time_is_wall_clock),
    ("markets and filters (default load_markets: spot, futures, options, wallet, margin)",
     markets_and_filters),
    ("wallet stand-ins: status, trading fees, coins", wallet_stand_ins),
    ("ticker", ticker),
    ("order book", order_book),
    ("klines (history before now)", klines),
    ("balances", balances),
    ("limit buy with our client id", limit_buy_with_client_id),
    ("look-up by client id", lookup_by_client_id),
    ("open orders", open_orders),
    ("cancel", cancel),
    ("rejections: lot size, price filter, min notional, insufficient balance", rejections),
    ("market fill, then myTrades", market_fill_then_my_trades),
    ("ccxt.pro user data (watch_orders, watch_balance) and create_order_ws / cancel_order_ws",
     lambda: asyncio.run(user_data_and_ws_orders())),
]:
    run.check(label, fn, read_only=fn in READ_ONLY)
run.check_weight_headers(at_least=15)
run.report()
