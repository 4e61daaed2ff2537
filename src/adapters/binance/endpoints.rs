//! The endpoints this client calls, with what each costs.
//!
//! Weights are the current ones from the project's Binance reference (late 2026; check
//! `CHANGELOG.md` when Binance announces changes). Since 2026-04-02 a *successful* order
//! placement, cancel or cancel-replace costs 0 request weight and a failed one costs 1; the
//! local budget charges 1 before sending (we cannot know the outcome in advance) and gives it
//! back when the answer is a success (`free_on_success`); the `X-MBX-USED-WEIGHT-1M` header
//! then raises the count if the server saw more. Placements (new order, cancel-replace) count 1
//! against the ORDERS limits; cancels do not.

use super::transport::Method;

/// Whether a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Public market data.
    None,
    /// `TRADE` / `USER_DATA`: API key header, `timestamp`, `signature`.
    Signed,
}

/// One endpoint and its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path under the base URL.
    pub path: &'static str,
    /// Signed or public.
    pub security: Security,
    /// Request weight charged locally before sending.
    pub weight: u32,
    /// How many ORDERS-limit units a request uses (1 for placements).
    pub orders: u32,
    /// Order entry (place, cancel, cancel-all, cancel-replace): 0 weight when it succeeds
    /// (Binance since 2026-04-02), so the local charge is given back on a 2xx answer.
    pub free_on_success: bool,
}

const fn public(path: &'static str, weight: u32) -> Endpoint {
    Endpoint {
        method: Method::Get,
        path,
        security: Security::None,
        weight,
        orders: 0,
        free_on_success: false,
    }
}

const fn signed(method: Method, path: &'static str, weight: u32, orders: u32) -> Endpoint {
    Endpoint {
        method,
        path,
        security: Security::Signed,
        weight,
        orders,
        free_on_success: false,
    }
}

/// An order-entry endpoint: weight 1 charged before sending, 0 once it succeeded.
const fn order_entry(method: Method, path: &'static str, orders: u32) -> Endpoint {
    Endpoint {
        free_on_success: true,
        ..signed(method, path, 1, orders)
    }
}

/// `GET /api/v3/time`.
pub const TIME: Endpoint = public("/api/v3/time", 1);
/// `GET /api/v3/exchangeInfo?symbol=…`.
pub const EXCHANGE_INFO: Endpoint = public("/api/v3/exchangeInfo", 20);
/// `GET /api/v3/ticker/price?symbol=…` (one symbol).
pub const TICKER_PRICE: Endpoint = public("/api/v3/ticker/price", 2);
/// `GET /api/v3/ticker/bookTicker?symbol=…` (one symbol).
pub const BOOK_TICKER: Endpoint = public("/api/v3/ticker/bookTicker", 2);
/// `GET /api/v3/klines`.
pub const KLINES: Endpoint = public("/api/v3/klines", 2);
/// Most rows one [`KLINES`] request returns (`limit`, default 500).
pub const KLINES_MAX_LIMIT: u16 = 1000;
/// `GET /api/v3/account`.
pub const ACCOUNT: Endpoint = signed(Method::Get, "/api/v3/account", 20, 0);
/// `GET /api/v3/account/commission`.
pub const ACCOUNT_COMMISSION: Endpoint = signed(Method::Get, "/api/v3/account/commission", 20, 0);
/// `POST /api/v3/order` (0 on success, 1 on failure; charged 1).
pub const ORDER_NEW: Endpoint = order_entry(Method::Post, "/api/v3/order", 1);
/// `GET /api/v3/order`.
pub const ORDER_QUERY: Endpoint = signed(Method::Get, "/api/v3/order", 4, 0);
/// `DELETE /api/v3/order` (0 on success, 1 on failure; charged 1).
pub const ORDER_CANCEL: Endpoint = order_entry(Method::Delete, "/api/v3/order", 0);
/// `POST /api/v3/order/cancelReplace` (0 on success, 1 on failure; charged 1).
pub const ORDER_CANCEL_REPLACE: Endpoint =
    order_entry(Method::Post, "/api/v3/order/cancelReplace", 1);
/// `GET /api/v3/allOrders?symbol=…` (most recent first page; the window is 24 h at most
/// with `startTime`/`endTime`).
pub const ALL_ORDERS: Endpoint = signed(Method::Get, "/api/v3/allOrders", 20, 0);
/// Longest `startTime`–`endTime` window of [`ALL_ORDERS`] (-1127 beyond).
pub const ALL_ORDERS_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// `GET /api/v3/openOrders?symbol=…` (6 with a symbol; never call it without one: 80).
pub const OPEN_ORDERS: Endpoint = signed(Method::Get, "/api/v3/openOrders", 6, 0);
/// `DELETE /api/v3/openOrders?symbol=…` (0 on success, 1 on failure; charged 1).
pub const CANCEL_ALL: Endpoint = order_entry(Method::Delete, "/api/v3/openOrders", 0);
/// `PUT /api/v3/order/amend/keepPriority` (4; 0 only when the amend ends the order, which
/// the bot never asks for; no ORDERS unit).
pub const ORDER_AMEND: Endpoint = signed(Method::Put, "/api/v3/order/amend/keepPriority", 4, 0);
/// `GET /api/v3/myFilters?symbol=…` (the account's `MAX_ASSET`).
pub const MY_FILTERS: Endpoint = signed(Method::Get, "/api/v3/myFilters", 40, 0);
/// `GET /api/v3/myTrades?symbol=…&fromId=…` (20; 5 only with `orderId`, which we do not use).
pub const MY_TRADES: Endpoint = signed(Method::Get, "/api/v3/myTrades", 20, 0);

/// Every endpoint above, for documentation tests.
pub const ALL: [Endpoint; 16] = [
    TIME,
    EXCHANGE_INFO,
    TICKER_PRICE,
    BOOK_TICKER,
    KLINES,
    ACCOUNT,
    ACCOUNT_COMMISSION,
    ORDER_NEW,
    ORDER_QUERY,
    ORDER_CANCEL,
    ORDER_CANCEL_REPLACE,
    OPEN_ORDERS,
    CANCEL_ALL,
    MY_TRADES,
    MY_FILTERS,
    ORDER_AMEND,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_match_the_reference() {
        let table: [(&Endpoint, u32, u32); 16] = [
            (&TIME, 1, 0),
            (&EXCHANGE_INFO, 20, 0),
            (&TICKER_PRICE, 2, 0),
            (&BOOK_TICKER, 2, 0),
            (&KLINES, 2, 0),
            (&ACCOUNT, 20, 0),
            (&ACCOUNT_COMMISSION, 20, 0),
            (&ORDER_NEW, 1, 1),
            (&ORDER_QUERY, 4, 0),
            (&ORDER_CANCEL, 1, 0),
            (&ORDER_CANCEL_REPLACE, 1, 1),
            (&OPEN_ORDERS, 6, 0),
            (&CANCEL_ALL, 1, 0),
            (&MY_TRADES, 20, 0),
            (&MY_FILTERS, 40, 0),
            (&ORDER_AMEND, 4, 0),
        ];
        for (e, weight, orders) in table {
            assert_eq!((e.weight, e.orders), (weight, orders), "{}", e.path);
        }
        assert!(ALL.iter().all(|e| e.path.starts_with("/api/v3/")));
        let free: Vec<_> = ALL.iter().filter(|e| e.free_on_success).collect();
        assert_eq!(
            free,
            [
                &ORDER_NEW,
                &ORDER_CANCEL,
                &ORDER_CANCEL_REPLACE,
                &CANCEL_ALL
            ]
        );
        assert!(ALL
            .iter()
            .filter(|e| e.orders > 0)
            .all(|e| e.method == Method::Post && e.security == Security::Signed));
    }
}
