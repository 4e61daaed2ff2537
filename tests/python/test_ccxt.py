"""ccxt's Binance client against exchange-sim started with no flags (live clock, bundled
FILUSDT candles). Default client settings: no time-difference adjustment, default recvWindow,
ccxt's own client order ids, default market types and currency loading (so `load_markets`
also asks the wallet, margin, futures and options endpoints, which the stand-in answers).
Only the URLs point at the local server."""

import json
from urllib.parse import urlsplit

import ccxt

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
]:
    run.check(label, fn, read_only=fn in READ_ONLY)
run.check_weight_headers(at_least=15)
run.report()
