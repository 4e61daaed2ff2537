//! The trade journal (`/journal`, `/baskets/{id}`, the CSV exports): every basket with its
//! fees, realised P&L and note; a basket's timeline; fills and baskets as CSV for taxes and
//! spreadsheets. Pure: the reader fetches records and books.

use super::format::{self, Precision};
use super::ledger::Book;
use crate::core::fill::Fill;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::symbol::Asset;
use crate::ports::store::{BasketRecord, FillRecord};
use serde::Serialize;

/// Longest note kept (characters).
pub const MAX_NOTE_CHARS: usize = 2_000;

/// One basket of the journal.
#[derive(Debug, Clone, Serialize)]
pub struct BasketRow {
    /// Id.
    pub id: u32,
    /// Pair.
    pub symbol: String,
    /// Status name.
    pub status: &'static str,
    /// Opened, Unix ms.
    pub opened_ms: i64,
    /// Closed, Unix ms.
    pub closed_ms: Option<i64>,
    /// Anchor P0.
    pub anchor: Price,
    /// Base bought.
    pub bought: Qty,
    /// Base sold.
    pub sold: Qty,
    /// Fills.
    pub fills: usize,
    /// Fees in the quote asset (a BNB fee at the value journalled with its fill).
    pub fees: Quote,
    /// Realised P&L, net of fees.
    pub realised: Quote,
    /// The operator's note.
    pub note: Option<String>,
}

/// One moment of a basket's life.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Unix ms.
    pub time_ms: i64,
    /// `opened`, `buy`, `tp`, `sell`, `closed`.
    pub kind: &'static str,
    /// What happened, in English (the API's text).
    pub text: String,
    /// The same as a text of `locales/*.ftl` (`timeline-opened`, `timeline-bought`,
    /// `timeline-sold`, or the closing status as `status-…`) …
    #[serde(skip)]
    pub key: String,
    /// … with its arguments, numbers as plain decimals (the page writes them for its
    /// language) …
    #[serde(skip)]
    pub args: Vec<(&'static str, String)>,
    /// … and why it closed, in the words of whoever closed it.
    #[serde(skip)]
    pub reason: Option<String>,
}

/// A fill's fee in the quote asset: the quote-asset amount, a base-asset fee at the fill's
/// price, or a third asset (BNB) at the value journalled with the fill.
pub fn fee_in_quote(fill: &Fill, base: &Asset, quote: &Asset) -> Option<Quote> {
    let c = &fill.commission;
    if &c.asset == quote {
        Some(Quote::new(c.amount.get()))
    } else if &c.asset == base {
        Some(Quote::new(fill.price.get() * c.amount.get()))
    } else {
        c.quote_value
    }
}

/// The journal row of a basket from its record, book, fills and note.
pub fn basket_row(
    record: &BasketRecord,
    book: &Book,
    fills: &[Fill],
    note: Option<String>,
    assets: (&Asset, &Asset),
    p: Precision,
) -> BasketRow {
    let sum = |side: Side| -> Qty { fills.iter().filter(|f| f.side == side).map(|f| f.qty).sum() };
    let fees = fills
        .iter()
        .filter_map(|f| fee_in_quote(f, assets.0, assets.1))
        .sum();
    BasketRow {
        id: record.basket.id,
        symbol: record.symbol.to_string(),
        status: record.basket.status.as_str(),
        opened_ms: record.basket.created_ms,
        closed_ms: record.closed_ms,
        anchor: p.price(record.basket.anchor),
        bought: p.qty(sum(Side::Buy)),
        sold: p.qty(sum(Side::Sell)),
        fills: fills.len(),
        fees: format::quote(fees),
        realised: format::quote(book.position.realised_pnl),
        note,
    }
}

/// The basket's life in time order: opened, every fill (levels bought, take-profits and
/// other sells), closed.
pub fn timeline(record: &BasketRecord, fills: &[Fill], p: Precision) -> Vec<TimelineEntry> {
    let mut out = vec![TimelineEntry {
        time_ms: record.basket.created_ms,
        kind: "opened",
        text: format!("opened, anchor {}", p.price(record.basket.anchor)),
        key: "timeline-opened".into(),
        args: vec![("anchor", p.price(record.basket.anchor).to_string())],
        reason: None,
    }];
    let mut sorted: Vec<&Fill> = fills.iter().collect();
    sorted.sort_by_key(|f| (f.time_ms, f.trade_id));
    for f in sorted {
        let kind = match (f.side, f.slot) {
            (Side::Buy, _) => "buy",
            (Side::Sell, Slot::Tp1 | Slot::Tp2) => "tp",
            (Side::Sell, _) => "sell",
        };
        let verb = if f.side == Side::Buy {
            "bought"
        } else {
            "sold"
        };
        out.push(TimelineEntry {
            time_ms: f.time_ms,
            kind,
            text: format!("{} {verb} {} @ {}", f.slot, p.qty(f.qty), p.price(f.price)),
            key: format!(
                "timeline-{}",
                if f.side == Side::Buy {
                    "bought"
                } else {
                    "sold"
                }
            ),
            args: vec![
                ("slot", f.slot.to_string()),
                ("qty", p.qty(f.qty).to_string()),
                ("price", p.price(f.price).to_string()),
            ],
            reason: None,
        });
    }
    if let Some(closed) = record.closed_ms {
        out.push(TimelineEntry {
            time_ms: closed,
            kind: "closed",
            text: format!(
                "{}{}",
                record.basket.status.as_str().replace('_', " "),
                record
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            key: format!("status-{}", record.basket.status.as_str()),
            args: Vec::new(),
            reason: record.reason.clone(),
        });
    }
    out
}

/// Header of the fills CSV.
pub const FILLS_CSV_HEADER: &str = "time_utc,time_ms,symbol,basket,order_id,trade_id,slot,side,\
price,qty,quote,fee,fee_asset,fee_quote,realised_pnl\n";

/// One line of the fills CSV.
pub fn fill_csv_line(
    r: &FillRecord,
    realised: Option<Quote>,
    assets: (&Asset, &Asset),
    p: Precision,
) -> String {
    let f = &r.fill;
    let fee_quote = fee_in_quote(f, assets.0, assets.1).map(format::quote);
    let cells = [
        crate::apps::backtest::report::utc_minute(f.time_ms),
        f.time_ms.to_string(),
        r.symbol.to_string(),
        r.basket_id.to_string(),
        f.order_id.to_string(),
        f.trade_id.to_string(),
        f.slot.to_string(),
        f.side.as_str().to_string(),
        p.price(f.price).to_string(),
        p.qty(f.qty).to_string(),
        format::quote(f.notional()).to_string(),
        f.commission.amount.get().normalize().to_string(),
        f.commission.asset.to_string(),
        fee_quote.map(|q| q.to_string()).unwrap_or_default(),
        realised
            .map(|q| format::quote(q).to_string())
            .unwrap_or_default(),
    ];
    line(&cells)
}

/// Header of the baskets CSV.
pub const BASKETS_CSV_HEADER: &str = "basket,symbol,status,opened_utc,closed_utc,anchor,bought,\
sold,fills,fees_quote,realised_pnl,note\n";

/// One line of the baskets CSV.
pub fn basket_csv_line(b: &BasketRow) -> String {
    let cells = [
        b.id.to_string(),
        b.symbol.clone(),
        b.status.to_string(),
        crate::apps::backtest::report::utc_minute(b.opened_ms),
        b.closed_ms
            .map(crate::apps::backtest::report::utc_minute)
            .unwrap_or_default(),
        b.anchor.to_string(),
        b.bought.to_string(),
        b.sold.to_string(),
        b.fills.to_string(),
        b.fees.to_string(),
        b.realised.to_string(),
        text_cell(b.note.as_deref().unwrap_or("")),
    ];
    line(&cells)
}

fn line(cells: &[String]) -> String {
    let mut out = cells
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// RFC 4180 quoting where a cell needs it.
fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Free text for a spreadsheet: a leading `=`, `+`, `-`, `@` would be read as a formula, so
/// such a cell gets a leading apostrophe (the usual neutraliser).
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A note as typed: line ends normalised, trimmed; `Err` when too long.
pub fn clean_note(text: &str) -> Result<String, String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("plain"), "plain");
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(clean_note("  a\r\nb  ").unwrap(), "a\nb");
        assert!(clean_note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
    }
}
