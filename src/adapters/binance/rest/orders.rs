//! Orders: place, query, cancel, cancel-all, cancel-replace — and the unknown-outcome rule.
//!
//! Never re-send a placement under a new id while its outcome is unknown; never report
//! "rejected" for an order that may exist. Concretely:
//! - place → `Unknown` (timeout, 5xx, -1006/-1007, unreadable 2xx) → [`BinanceRest::resolve_placement`];
//! - place → -2010 "Duplicate order sent." → the id is on the book: query and return it;
//! - cancel → `Unknown` → query: closed → that report; still open → one more cancel;
//! - cancel → -2011 "Unknown order sent." → query: closed (filled, cancelled) → that report;
//!   the lookup failing → `Unknown` (the order may exist).

use super::{decode, unreadable, BinanceRest, Failure, Sent};
use crate::adapters::binance::endpoints;
use crate::adapters::binance::error::{reject_reason, RejectReason, UNKNOWN_OUTCOME_CODES};
use crate::adapters::binance::parse;
use crate::adapters::binance::rate_limit::Priority;
use crate::adapters::binance::request::{self, CancelReplaceMode, Params};
use crate::adapters::binance::transport::HttpTransport;
use crate::adapters::binance::wire::{self, CancelReplaceHalf};
use crate::core::client_id::ClientOrderId;
use crate::core::missing_order::{MissingOrder, Verdict};
use crate::core::order::Slot;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{
    codes, earliest_created_ms, ApiError, ExchangeError, NewOrder, OrderRef, OrderReport,
};

/// What one half of a cancel-replace did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Half {
    /// Done; the report says the resulting state.
    Done(OrderReport),
    /// The new order was accepted but the answer had no state (ACK shape).
    Accepted {
        /// Exchange order id.
        order_id: u64,
    },
    /// Refused with this error.
    Failed(ApiError),
    /// Not attempted (STOP_ON_FAILURE after a failed cancel).
    NotAttempted,
    /// Not known: the answer was lost and the lookup failed too (look it up later).
    Unknown(String),
}

/// Both halves of `POST /api/v3/order/cancelReplace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReplaceReport {
    /// The cancel of the old order.
    pub cancel: Half,
    /// The placement of the new order.
    pub new_order: Half,
}

/// `symbol` plus `orderId` or `origClientOrderId`.
fn order_params(symbol: &Symbol, order: &OrderRef) -> Params {
    let params = Params::new().push("symbol", symbol.as_str());
    match order {
        OrderRef::Id(id) => params.push("orderId", *id),
        OrderRef::Client(c) => params.push("origClientOrderId", c.as_str()),
    }
}

fn no_such_order() -> ApiError {
    ApiError {
        code: codes::NO_SUCH_ORDER,
        msg: "Order does not exist.".into(),
    }
}

impl<T: HttpTransport> BinanceRest<T> {
    fn report(
        &self,
        w: &wire::OrderWire,
        slot: Option<Slot>,
    ) -> Result<OrderReport, ExchangeError> {
        let parsed = match slot {
            Some(slot) => parse::order_report(w, slot),
            None => parse::order_report_ours(w, &self.config.id_prefix),
        };
        parsed.map_err(|e| unreadable("/api/v3/order", e))
    }

    /// One `GET /api/v3/order` without retries; -2013 → `Ok(None)`.
    async fn query_once(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let params = order_params(symbol, order);
        match self
            .call(&endpoints::ORDER_QUERY, &params, Priority::Normal)
            .await
        {
            Ok(sent) => {
                let w: wire::OrderWire = decode(&sent.response, endpoints::ORDER_QUERY.path)?;
                self.report(&w, None).map(Some)
            }
            Err(Failure {
                error: ExchangeError::Rejected(api),
                ..
            }) if api.code == codes::NO_SUCH_ORDER => Ok(None),
            Err(f) => Err(f.error),
        }
    }

    /// Looks an order up with read retries; -2013 → `Ok(None)` (raw: apply
    /// [`MissingOrder`] before believing it for a fresh placement).
    pub(super) async fn query_order(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let mut last = None;
        for retry in 0..=self.config.read_retries {
            match self.query_once(symbol, order).await {
                Err(e @ (ExchangeError::Unknown(_) | ExchangeError::Transport(_))) => {
                    last = Some(e);
                    if retry < self.config.read_retries {
                        let delay = {
                            let mut state = self.state();
                            self.config.backoff.delay_ms(retry, &mut state.rng)
                        };
                        self.pause.pause(delay).await;
                    }
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| ExchangeError::Unknown("query not attempted".into())))
    }

    pub(super) async fn place_order(&self, order: &NewOrder) -> Result<OrderReport, ExchangeError> {
        let priority = match order.spec.slot {
            Slot::Exit => Priority::Emergency,
            _ => Priority::Normal,
        };
        let params = request::new_order_params(order);
        let outcome = self.call(&endpoints::ORDER_NEW, &params, priority).await;
        self.settle_placement(order, outcome).await
    }

    async fn settle_placement(
        &self,
        order: &NewOrder,
        outcome: Result<Sent, Failure>,
    ) -> Result<OrderReport, ExchangeError> {
        let slot = Some(order.spec.slot);
        match outcome {
            Ok(sent) => {
                let read = decode::<wire::OrderWire>(&sent.response, endpoints::ORDER_NEW.path)
                    .and_then(|w| self.report(&w, slot));
                match (read, sent.timestamp_ms) {
                    (Ok(report), _) => Ok(report),
                    // Accepted, but we cannot read what: look it up.
                    (Err(e), Some(ts)) => self.resolve_placement(order, ts, e.to_string()).await,
                    (Err(e), None) => Err(e),
                }
            }
            Err(Failure {
                error: ExchangeError::Unknown(reason),
                timestamp_ms: Some(ts),
                ..
            }) => self.resolve_placement(order, ts, reason).await,
            Err(Failure {
                error: ExchangeError::Rejected(api),
                timestamp_ms,
                ..
            }) if reject_reason(&api) == RejectReason::DuplicateOrder => {
                // The id is on the book, and open ids are unique: the lookup is unambiguous.
                // Ours, unless it is older than this request (someone else's open order with
                // our id): then the placement was refused.
                let open = OrderRef::Client(order.client_id.clone());
                match self.query_order(&order.symbol, &open).await {
                    Ok(Some(report))
                        if timestamp_ms
                            .is_some_and(|ts| report.time_ms < earliest_created_ms(ts)) =>
                    {
                        Err(ExchangeError::Rejected(api))
                    }
                    Ok(Some(report)) => Ok(report),
                    _ => Err(ExchangeError::Unknown(format!(
                        "{} reported as duplicate but not readable yet",
                        order.client_id
                    ))),
                }
            }
            Err(f) => Err(f.error),
        }
    }

    /// Resolves a placement of unknown outcome sent with `timestamp`: queries by client id
    /// until it is found (→ its report), or -2013 is conclusive under [`MissingOrder`]
    /// (→ `Rejected(-2013)`: never placed), or `resolve_budget_ms` ran out (→ `Unknown`).
    pub async fn resolve_placement(
        &self,
        order: &NewOrder,
        sent_timestamp_ms: i64,
        reason: String,
    ) -> Result<OrderReport, ExchangeError> {
        tracing::warn!(client_id = %order.client_id, %reason, "order outcome unknown; resolving");
        let mut missing = MissingOrder::for_request(
            sent_timestamp_ms,
            self.config.recv_window_ms,
            self.config.unknown_grace_ms,
        );
        let started = self.local_now();
        let budget = i64::try_from(self.config.resolve_budget_ms).unwrap_or(i64::MAX);
        let by_client = OrderRef::Client(order.client_id.clone());
        loop {
            let found = match self.query_once(&order.symbol, &by_client).await {
                Ok(Some(report)) if report.time_ms < earliest_created_ms(sent_timestamp_ms) => {
                    // A namesake: an older, closed order with our id (Binance keeps ids unique
                    // only among open orders). Ours, if it exists, was created in the window
                    // the request's timestamp allows.
                    self.created_in_window(order, sent_timestamp_ms).await
                }
                other => other,
            };
            let last = match found {
                Ok(Some(mut report)) => {
                    report.spec.slot = order.spec.slot;
                    return Ok(report);
                }
                Ok(None) => {
                    if missing.observe_missing(self.server_now_ms()) != Verdict::NeverPlaced {
                        "-2013 not yet conclusive".to_string()
                    } else {
                        // A last look where the lookup by client id cannot lag: the book,
                        // then allOrders over the request's window.
                        match self.listed_in_window(order, sent_timestamp_ms).await {
                            Ok(Some(mut report)) => {
                                report.spec.slot = order.spec.slot;
                                return Ok(report);
                            }
                            Ok(None) => return Err(ExchangeError::Rejected(no_such_order())),
                            Err(e) => format!("last look failed: {e}"),
                        }
                    }
                }
                Err(e) => e.to_string(),
            };
            if self.local_now().saturating_sub(started) >= budget {
                return Err(ExchangeError::Unknown(format!(
                    "{} still unknown after {} ms ({reason}); last lookup: {last}",
                    order.client_id, self.config.resolve_budget_ms
                )));
            }
            self.pause.pause(self.config.resolve_poll_ms).await;
        }
    }

    /// The order with our client id on the book or in `allOrders`, created within the
    /// request's window (see [`Self::created_in_window`]).
    async fn listed_in_window(
        &self,
        order: &NewOrder,
        sent_timestamp_ms: i64,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let from = earliest_created_ms(sent_timestamp_ms);
        let open = self.open_orders_of(&order.symbol).await?;
        if let Some(found) = open
            .into_iter()
            .find(|o| o.client_id == order.client_id && o.time_ms >= from)
        {
            return Ok(Some(found));
        }
        self.created_in_window(order, sent_timestamp_ms).await
    }

    /// The order with our client id among those created within `[sent − 5 s, sent +
    /// recvWindow]`: the only times at which the request sent at `sent` can have placed it.
    async fn created_in_window(
        &self,
        order: &NewOrder,
        sent_timestamp_ms: i64,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let from = earliest_created_ms(sent_timestamp_ms);
        let to = sent_timestamp_ms + i64::try_from(self.config.recv_window_ms).unwrap_or(0);
        let rows = self.all_orders_between(&order.symbol, from, to).await?;
        Ok(rows.into_iter().find(|r| r.client_id == order.client_id))
    }

    pub(super) async fn cancel_order(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> Result<OrderReport, ExchangeError> {
        let params = order_params(symbol, order);
        let mut resent = false;
        loop {
            let outcome = self
                .call(&endpoints::ORDER_CANCEL, &params, Priority::Normal)
                .await;
            let reason = match outcome {
                Ok(sent) => {
                    match decode::<wire::OrderWire>(&sent.response, endpoints::ORDER_CANCEL.path)
                        .and_then(|w| self.report(&w, None))
                    {
                        Ok(report) => return Ok(report),
                        Err(e) => e.to_string(),
                    }
                }
                Err(Failure {
                    error: ExchangeError::Unknown(reason),
                    ..
                }) => reason,
                Err(Failure {
                    error: ExchangeError::Rejected(api),
                    ..
                }) if reject_reason(&api) == RejectReason::UnknownOrder => {
                    return match self.query_order(symbol, order).await {
                        Ok(Some(report)) if !report.status.is_open() => Ok(report),
                        Ok(_) => Err(ExchangeError::Rejected(api)),
                        // The order may exist (filled): not knowing is not a rejection.
                        Err(e) => Err(ExchangeError::Unknown(format!(
                            "cancel of {order}: {}; lookup failed: {e}",
                            api.msg
                        ))),
                    };
                }
                Err(f) => return Err(f.error),
            };
            match self.query_order(symbol, order).await {
                Ok(Some(report)) if !report.status.is_open() => return Ok(report),
                Ok(Some(_)) if !resent => resent = true,
                _ => {
                    return Err(ExchangeError::Unknown(format!(
                        "cancel of {order}: {reason}"
                    )))
                }
            }
        }
    }

    /// Cancels every open order of `symbol` (emergency priority). "Unknown order sent." (no
    /// open orders) → empty list; an unknown outcome is returned as is: reconcile with
    /// `open_orders`.
    pub async fn cancel_all(&self, symbol: &Symbol) -> Result<Vec<OrderReport>, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        let sent = match self
            .call(&endpoints::CANCEL_ALL, &params, Priority::Emergency)
            .await
        {
            Ok(sent) => sent,
            Err(Failure {
                error: ExchangeError::Rejected(api),
                ..
            }) if api.code == codes::CANCEL_REJECTED
                && reject_reason(&api) == RejectReason::UnknownOrder =>
            {
                return Ok(Vec::new())
            }
            Err(f) => return Err(f.error),
        };
        let items: Vec<wire::CancelAllItem> = decode(&sent.response, endpoints::CANCEL_ALL.path)?;
        let mut reports = Vec::new();
        for item in &items {
            match item {
                wire::CancelAllItem::Order(w) => reports.push(self.report(w, None)?),
                wire::CancelAllItem::List(list) => {
                    for w in &list.order_reports {
                        reports.push(self.report(w, None)?);
                    }
                }
            }
        }
        Ok(reports)
    }

    /// Cancels `cancel_id` and places `new` in one request. 409 answers (-2021, -2022) are
    /// reports, not errors: each half says what it did. An unknown outcome is resolved like a
    /// placement (new half) plus a query (cancel half).
    pub async fn cancel_replace(
        &self,
        cancel_id: &ClientOrderId,
        new: &NewOrder,
        mode: CancelReplaceMode,
    ) -> Result<CancelReplaceReport, ExchangeError> {
        let params = request::cancel_replace_params(cancel_id, new, mode);
        let path = endpoints::ORDER_CANCEL_REPLACE.path;
        let outcome = self
            .call(&endpoints::ORDER_CANCEL_REPLACE, &params, Priority::Normal)
            .await;
        let (data, ts) = match outcome {
            Ok(sent) => match decode::<wire::CancelReplaceData>(&sent.response, path) {
                Ok(data) => (data, sent.timestamp_ms),
                Err(e) => {
                    return self
                        .settle_cancel_replace(cancel_id, new, sent.timestamp_ms, e)
                        .await
                }
            },
            Err(f) => {
                let body = f.response.as_ref().map(|r| r.body.as_str()).unwrap_or("");
                match serde_json::from_str::<wire::CancelReplaceFailure>(body) {
                    Ok(failure) => (failure.data, f.timestamp_ms),
                    Err(_) if matches!(f.error, ExchangeError::Unknown(_)) => {
                        return self
                            .settle_cancel_replace(cancel_id, new, f.timestamp_ms, f.error)
                            .await
                    }
                    Err(_) => return Err(f.error),
                }
            }
        };
        let cancel = match &data.cancel_response {
            CancelReplaceHalf::Error(e) => Half::Failed(ApiError {
                code: e.code,
                msg: e.msg.clone(),
            }),
            CancelReplaceHalf::Order(w) => Half::Done(self.report(w, None)?),
        };
        let new_order = match &data.new_order_response {
            None => Half::NotAttempted,
            Some(CancelReplaceHalf::Error(e)) if UNKNOWN_OUTCOME_CODES.contains(&e.code) => {
                match ts {
                    Some(ts) => self.resolved_half(new, ts, e.msg.clone()).await?,
                    None => return Err(ExchangeError::Unknown(e.msg.clone())),
                }
            }
            Some(CancelReplaceHalf::Error(e)) => Half::Failed(ApiError {
                code: e.code,
                msg: e.msg.clone(),
            }),
            Some(CancelReplaceHalf::Order(w)) if w.status.is_none() => Half::Accepted {
                order_id: w.order_id,
            },
            Some(CancelReplaceHalf::Order(w)) => Half::Done(self.report(w, Some(new.spec.slot))?),
        };
        Ok(CancelReplaceReport { cancel, new_order })
    }

    async fn resolved_half(
        &self,
        new: &NewOrder,
        ts: i64,
        reason: String,
    ) -> Result<Half, ExchangeError> {
        match self.resolve_placement(new, ts, reason).await {
            Ok(report) => Ok(Half::Done(report)),
            Err(ExchangeError::Rejected(api)) => Ok(Half::Failed(api)),
            Err(e) => Err(e),
        }
    }

    async fn settle_cancel_replace(
        &self,
        cancel_id: &ClientOrderId,
        new: &NewOrder,
        ts: Option<i64>,
        error: ExchangeError,
    ) -> Result<CancelReplaceReport, ExchangeError> {
        let Some(ts) = ts else { return Err(error) };
        let new_order = self.resolved_half(new, ts, error.to_string()).await?;
        // The new half is settled; a failed lookup of the cancelled one must not turn the
        // whole answer into an error (the caller would take the new order for absent).
        let cancel = match self
            .query_order(&new.symbol, &OrderRef::Client(cancel_id.clone()))
            .await
        {
            Ok(Some(report)) => Half::Done(report),
            Ok(None) => Half::Failed(no_such_order()),
            Err(e) => Half::Unknown(format!("cancel of {cancel_id}: {e}")),
        };
        Ok(CancelReplaceReport { cancel, new_order })
    }
}
