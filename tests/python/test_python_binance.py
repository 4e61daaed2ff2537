"""python-binance against exchange-sim started with no flags (live clock, bundled FILUSDT
candles). Default client settings (no timestamp offset, no recvWindow); only the API URL
points at the local server (spot and wallet URLs), and the constructor's ping is deferred
until it does (the constructor cannot take a URL)."""

import asyncio
import time
from decimal import Decimal

from binance.async_client import AsyncClient
from binance.client import Client
from binance.exceptions import BinanceAPIException
from binance.ws.streams import BinanceSocketManager
from binance.ws.websocket_api import WebsocketAPI

from simcheck import Run, expect_error

run = Run("python-binance")
base, key, secret = run.args()

client = Client(key, secret, ping=False)
client.API_URL = base + "/api"
client.MARGIN_API_URL = base + "/sapi"
# The WebSocket API client is built in the constructor from its URL; this is the same one for
# the local server.
client.ws_api = WebsocketAPI(url=base.replace("http://", "ws://") + "/ws-api/v3")
client.session.hooks["response"].append(run.record)
assert client.timestamp_offset == 0, "python-binance's default: no time adjustment"

SYMBOL = "FILUSDT"
state = {}


def now_ms():
    return int(time.time() * 1000)


def time_is_wall_clock():
    client.ping()
    server = client.get_server_time()["serverTime"]
    assert abs(server - now_ms()) < 5_000, (server, now_ms())


def markets_and_filters():
    info = client.get_symbol_info(SYMBOL)
    assert info["status"] == "TRADING" and info["quoteAsset"] == "USDT", info
    filters = {f["filterType"]: f for f in info["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.00100000", filters["PRICE_FILTER"]
    assert filters["LOT_SIZE"]["stepSize"] == "0.01000000", filters["LOT_SIZE"]
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000", filters["NOTIONAL"]
    assert [s["symbol"] for s in client.get_exchange_info()["symbols"]] == [SYMBOL]
    limits = {r["rateLimitType"] for r in client.get_exchange_info()["rateLimits"]}
    assert {"REQUEST_WEIGHT", "ORDERS"} <= limits, limits


def ticker():
    t = client.get_ticker(symbol=SYMBOL)
    last = float(t["lastPrice"])
    assert float(t["lowPrice"]) <= last <= float(t["highPrice"]), t
    assert float(t["volume"]) > 0 and int(t["count"]) > 0, t
    assert t["lastId"] - t["firstId"] + 1 == t["count"], t
    assert client.get_symbol_ticker(symbol=SYMBOL)["price"] == t["lastPrice"]
    book = client.get_orderbook_ticker(symbol=SYMBOL)
    assert book["bidPrice"] == book["askPrice"] == t["lastPrice"], book
    mini = client.get_ticker(symbol=SYMBOL, type="MINI")
    assert "priceChange" not in mini and mini["lastPrice"] == t["lastPrice"], mini
    rolling = client._get("ticker", data={"symbol": SYMBOL, "windowSize": "1h"})
    # The hour opens on a minute; 60 one-minute candles of 4 trades (one less or more when a
    # minute turns during the request).
    assert 4 * 59 <= rolling["count"] <= 4 * 61, rolling["count"]
    avg = client.get_avg_price(symbol=SYMBOL)
    assert avg["mins"] == 5 and float(avg["price"]) > 0, avg
    state["last"] = t["lastPrice"]


def last_price():
    return client.get_symbol_ticker(symbol=SYMBOL)["price"]


def order_book_and_trades():
    book = client.get_order_book(symbol=SYMBOL, limit=5)
    assert book["bids"][0][0] == book["asks"][0][0] == last_price(), book
    recent = client.get_recent_trades(symbol=SYMBOL, limit=8)
    assert len(recent) == 8 and recent[-1]["price"] == last_price(), recent[-1]
    assert recent[-1]["id"] == book["lastUpdateId"], (recent[-1], book["lastUpdateId"])
    old = client.get_historical_trades(symbol=SYMBOL, fromId=1, limit=3)
    assert [t["id"] for t in old] == [1, 2, 3], old
    agg = client.get_aggregate_trades(symbol=SYMBOL, limit=4)
    assert [a["a"] for a in agg] == [t["id"] for t in recent[-4:]], agg


def klines():
    rows = client.get_klines(symbol=SYMBOL, interval=Client.KLINE_INTERVAL_1MINUTE, limit=60)
    assert len(rows) == 60 and rows[-1][6] < now_ms(), rows[-1]
    assert rows[-1][4] == last_price() and rows[-1][8] == 4, rows[-1]
    days = client.get_klines(symbol=SYMBOL, interval=Client.KLINE_INTERVAL_1DAY, limit=7)
    assert len(days) == 7 and days[0][0] % 86_400_000 == 0, days[0]
    ui = client._get("uiKlines", data={"symbol": SYMBOL, "interval": "1m", "limit": 60})
    assert ui == client.get_klines(symbol=SYMBOL, interval="1m", limit=60)
    # timeZone: days start at midnight UTC+8, i.e. 16:00 UTC; open and close times stay UTC.
    zoned = client.get_klines(symbol=SYMBOL, interval="1d", limit=3, timeZone="8")
    assert all(r[0] % 86_400_000 == 16 * 3_600_000 for r in zoned), [r[0] for r in zoned]
    assert all(r[6] - r[0] == 86_400_000 - 1 for r in zoned), zoned[0]


def historical_klines():
    # get_historical_klines pages by startTime, 1000 a request: 1500 minutes, two pages,
    # every minute once, in order, all closed.
    end = now_ms() - 120_000
    start = end - 1_500 * 60_000
    rows = client.get_historical_klines(SYMBOL, Client.KLINE_INTERVAL_1MINUTE,
                                        start_str=str(start), end_str=str(end))
    assert 1_499 <= len(rows) <= 1_501, len(rows)
    assert all(b[0] - a[0] == 60_000 for a, b in zip(rows, rows[1:])), "no gap, no repeat"
    assert rows[0][0] >= start and rows[-1][0] <= end, (rows[0][0], rows[-1][0])
    assert all(r[6] < now_ms() for r in rows)
    window = client.get_klines(symbol=SYMBOL, interval="1m", startTime=rows[10][0],
                               endTime=rows[14][0])
    assert window == rows[10:15], "startTime and endTime bound open times, inclusive"


def balances():
    acc = client.get_account()
    assert acc["canTrade"] and acc["accountType"] == "SPOT", acc
    assert {b["asset"] for b in acc["balances"]} == {"FIL", "USDT"}, acc["balances"]
    nonzero = client.get_account(omitZeroBalances="true")["balances"]
    assert [b["asset"] for b in nonzero] == ["USDT"], nonzero
    assert client.get_asset_balance(asset="USDT")["free"] == "10000.00000000"
    rates = client._get("account/commission", True, data={"symbol": SYMBOL})
    assert rates["standardCommission"]["taker"] == "0.00100000", rates
    test = client.create_test_order(
        symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="4",
        price=last_price(), computeCommissionRates="true",
    )
    assert test["standardCommissionForOrder"]["maker"] == "0.00100000", test
    counts = client._get("rateLimit/order", True, data={})
    assert {c["interval"] for c in counts} == {"SECOND", "DAY"}, counts
    assert client.get_open_oco_orders() == []


def wallet_stand_ins():
    assert client.get_system_status() == {"status": 0, "msg": "normal"}
    fees = client.get_trade_fee(symbol=SYMBOL)
    assert fees == [{"symbol": SYMBOL, "makerCommission": "0.00100000",
                     "takerCommission": "0.00100000"}], fees
    coins = {c["coin"]: c for c in client.get_all_coins_info()}
    assert set(coins) == {"FIL", "USDT"} and coins["USDT"]["free"] == "10000.00000000", coins
    assert coins["FIL"]["networkList"] == [] and not coins["FIL"]["withdrawAllEnable"], coins


def limit_buy_with_client_id():
    price = f"{float(state['last']) * 0.9:.3f}"
    o = client.order_limit_buy(
        symbol=SYMBOL, quantity="4", price=price, newClientOrderId="pybin-grid-b1"
    )
    assert o["clientOrderId"] == "pybin-grid-b1" and o["status"] == "NEW", o
    state["order"] = o


def lookup_by_client_id():
    o = client.get_order(symbol=SYMBOL, origClientOrderId="pybin-grid-b1")
    assert o["orderId"] == state["order"]["orderId"] and o["status"] == "NEW", o


def open_orders():
    ids = [o["orderId"] for o in client.get_open_orders(symbol=SYMBOL)]
    assert ids == [state["order"]["orderId"]], ids
    book = client.get_order_book(symbol=SYMBOL)
    prices = [b[0] for b in book["bids"]]
    assert state["order"]["price"] in prices, ("our resting bid is in the book", prices)


def cancel():
    c = client.cancel_order(symbol=SYMBOL, origClientOrderId="pybin-grid-b1")
    assert c["status"] == "CANCELED" and c["origClientOrderId"] == "pybin-grid-b1", c
    assert client.get_open_orders(symbol=SYMBOL) == []
    every = client.get_all_orders(symbol=SYMBOL)
    assert [o["status"] for o in every] == ["CANCELED"], every


def rejections():
    last = state["last"]
    for qty, price, code, text in [
        ("9000001", last, -1013, "Filter failure: LOT_SIZE"),
        ("1", "2000", -1013, "Filter failure: PRICE_FILTER"),
        ("0.01", last, -1013, "Filter failure: NOTIONAL"),
        ("3000", last, -2010, "Account has insufficient balance for requested action."),
    ]:
        e = expect_error(
            lambda: client.order_limit_buy(symbol=SYMBOL, quantity=qty, price=price),
            BinanceAPIException, code, text,
        )
        assert e.status_code == 400, e.status_code
    expect_error(lambda: client.get_ticker(symbol="NOPEUSDT"), BinanceAPIException, -1121,
                 "Invalid symbol.")
    expect_error(
        lambda: client.create_order(symbol=SYMBOL, side="BUY", type="OCO", quantity="1"),
        BinanceAPIException, -1116, "Invalid orderType.",
    )
    expect_error(lambda: client.get_klines(symbol=SYMBOL, interval="7m"), BinanceAPIException,
                 -1120, "Invalid interval.")
    expect_error(lambda: client.get_klines(symbol=SYMBOL, interval="1h", timeZone="15"),
                 BinanceAPIException, -1100,
                 "Illegal characters found in parameter 'timeZone'; legal range is "
                 "'[-12:00 to +14:00]'.")
    unsigned = Client(key, "wrong-secret", ping=False)
    unsigned.API_URL = client.API_URL
    unsigned.session.hooks["response"].append(run.record)
    expect_error(unsigned.get_account, BinanceAPIException, -1022,
                 "Signature for this request is not valid.")


def market_fill_then_my_trades():
    before = last_price()
    o = client.order_market_buy(symbol=SYMBOL, quantity="2")
    after = last_price()
    assert o["status"] == "FILLED" and o["executedQty"] == "2.00000000", o
    # At the last price of the moment (a minute may have closed in between).
    assert o["fills"][0]["price"] in (before, after), (o["fills"], before, after)
    trades = client.get_my_trades(symbol=SYMBOL)
    assert [t["orderId"] for t in trades] == [o["orderId"]], trades
    assert trades[0]["isBuyer"] and not trades[0]["isMaker"], trades[0]
    by_order = client.get_my_trades(symbol=SYMBOL, orderId=o["orderId"])
    assert by_order == trades
    window = client.get_my_trades(symbol=SYMBOL, startTime=now_ms() - 60_000, endTime=now_ms())
    assert window == trades
    later = client.get_my_trades(symbol=SYMBOL, fromId=trades[0]["id"] + 1)
    assert later == []


def websocket_api_orders():
    assert "serverTime" in client.ws_get_time()
    price = f"{float(last_price()) * 0.9:.3f}"
    o = client.ws_create_order(
        symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="4", price=price,
        newClientOrderId="pybin-ws-b1",
    )
    assert o["clientOrderId"] == "pybin-ws-b1" and o["status"] == "NEW" and o["fills"] == [], o
    status = client.ws_get_order(symbol=SYMBOL, origClientOrderId="pybin-ws-b1")
    assert status["orderId"] == o["orderId"] and status["isWorking"], status
    rest = client.get_order(symbol=SYMBOL, orderId=o["orderId"])
    assert rest["clientOrderId"] == "pybin-ws-b1", "one engine behind both transports"
    c = client.ws_cancel_order(symbol=SYMBOL, origClientOrderId="pybin-ws-b1")
    assert c["status"] == "CANCELED" and c["origClientOrderId"] == "pybin-ws-b1", c
    assert client.get_open_orders(symbol=SYMBOL) == []


async def next_event(socket, want, seconds=10):
    """The next event of the user data socket for which want(event) holds (others skipped)."""
    async def wait():
        while True:
            event = await socket.recv()
            assert event.get("e") != "error", event
            if want(event):
                return event
    return await asyncio.wait_for(wait(), seconds)


async def user_data_over_websocket_api():
    # python-binance 1.0.37's user socket: `userDataStream.subscribe.signature` over the
    # WebSocket API (no listenKey), events routed by subscriptionId.
    ac = AsyncClient(key, secret)
    ac.API_URL = client.API_URL
    ac.ws_api = WebsocketAPI(url=base.replace("http://", "ws://") + "/ws-api/v3")
    try:
        async with BinanceSocketManager(ac).user_socket() as user:
            price = f"{float(last_price()) * 0.9:.3f}"
            o = await ac.ws_create_order(
                symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="4",
                price=price, newClientOrderId="pybin-uds-b1",
            )
            new = await next_event(user, lambda e: e.get("e") == "executionReport")
            assert (new["s"], new["c"], new["x"], new["X"]) == (
                SYMBOL, "pybin-uds-b1", "NEW", "NEW"), new
            assert new["i"] == o["orderId"] and new["p"] == o["price"], (new, o)
            account = await next_event(user, lambda e: e.get("e") == "outboundAccountPosition")
            usdt = {b["a"]: b for b in account["B"]}["USDT"]
            assert Decimal(usdt["l"]) == 4 * Decimal(price), account
            await ac.ws_cancel_order(symbol=SYMBOL, origClientOrderId="pybin-uds-b1")
            gone = await next_event(user, lambda e: e.get("e") == "executionReport")
            assert (gone["x"], gone["X"], gone["C"]) == ("CANCELED", "CANCELED",
                                                         "pybin-uds-b1"), gone
    finally:
        await ac.close_connection()
        await ac.ws_api.close()


READ_ONLY = {time_is_wall_clock, markets_and_filters, ticker, order_book_and_trades, klines,
             historical_klines}
for label, fn in [
    ("time is wall-clock time", time_is_wall_clock),
    ("markets and filters", markets_and_filters),
    ("ticker (24hr, MINI, rolling, price, book, avgPrice)", ticker),
    ("order book and public trades", order_book_and_trades),
    ("klines and uiKlines (history before now, timeZone)", klines),
    ("historical klines paged by startTime", historical_klines),
    ("balances, commission, test order, order count, order lists", balances),
    ("wallet stand-ins: system status, trade fee, coins", wallet_stand_ins),
    ("limit buy with our client id", limit_buy_with_client_id),
    ("look-up by client id", lookup_by_client_id),
    ("open orders (and our bid in the book)", open_orders),
    ("cancel", cancel),
    ("rejections: lot size, price filter, min notional, insufficient balance, "
     "unknown symbol, order type, interval, signature", rejections),
    ("market fill, then myTrades", market_fill_then_my_trades),
    ("WebSocket API: time, place, status, cancel", websocket_api_orders),
    ("user data over the WebSocket API: executionReport NEW, account, CANCELED",
     lambda: asyncio.run(user_data_over_websocket_api())),
]:
    run.check(label, fn, read_only=fn in READ_ONLY)
run.check_weight_headers(at_least=30)
run.report()
