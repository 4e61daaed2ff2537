//! `GET /api/v3/myFilters` (weight 40, since 2025-09): the filters that apply to this account
//! on a symbol. Only `assetFilters` of type `MAX_ASSET` are read; other entries, and filter
//! types added later, are skipped.

use super::{unreadable, BinanceRest};
use crate::adapters::binance::endpoints;
use crate::adapters::binance::request::Params;
use crate::adapters::binance::transport::HttpTransport;
use crate::core::filters::account::{AccountFilters, MaxAsset};
use crate::core::money::Amount;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::ExchangeError;
use serde::Deserialize;
use serde_json::Value;

/// The response, filters kept raw until their type is known (`exchangeFilters` and
/// `symbolFilters` repeat what exchangeInfo says and are not read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyFiltersWire {
    /// Asset filters (`MAX_ASSET`).
    #[serde(default)]
    pub asset_filters: Vec<Value>,
}

/// The `MAX_ASSET` filters of a response; a malformed one is an error (a limit we cannot read
/// must not pass for no limit).
pub fn parse(w: &MyFiltersWire) -> Result<AccountFilters, String> {
    let mut out = AccountFilters::default();
    for f in &w.asset_filters {
        if f.get("filterType").and_then(Value::as_str) != Some("MAX_ASSET") {
            continue;
        }
        let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("");
        let asset = Asset::parse(text("asset")).map_err(|_| format!("MAX_ASSET asset: {f}"))?;
        let limit = Amount::parse(text("limit")).map_err(|_| format!("MAX_ASSET limit: {f}"))?;
        out.max_asset.push(MaxAsset { asset, limit });
    }
    Ok(out)
}

impl<T: HttpTransport> BinanceRest<T> {
    /// The account's filters on `symbol` (`MAX_ASSET`).
    pub async fn my_filters(&self, symbol: &Symbol) -> Result<AccountFilters, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        let w: MyFiltersWire = self.read_json(&endpoints::MY_FILTERS, &params).await?;
        parse(&w).map_err(|e| unreadable(endpoints::MY_FILTERS.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_max_asset_from_the_documented_example() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/binance-docs/myFilters.json"
        ))
        .unwrap();
        let w: MyFiltersWire = serde_json::from_str(&text).unwrap();
        let f = parse(&w).unwrap();
        assert_eq!(
            f.max_asset(&Asset::parse("JPY").unwrap()),
            Some(Amount::parse("1000000").unwrap())
        );
        assert_eq!(f.max_asset.len(), 1);
    }

    #[test]
    fn unknown_types_are_skipped_and_a_bad_limit_is_an_error() {
        let w: MyFiltersWire = serde_json::from_str(
            r#"{"assetFilters":[{"filterType":"MAX_SOMETHING_NEW","x":1},
                {"filterType":"MAX_ASSET","asset":"USDC","limit":"42.00000000"}]}"#,
        )
        .unwrap();
        assert_eq!(parse(&w).unwrap().max_asset.len(), 1);
        let bad: MyFiltersWire = serde_json::from_str(
            r#"{"assetFilters":[{"filterType":"MAX_ASSET","asset":"USDC","limit":"lots"}]}"#,
        )
        .unwrap();
        assert!(parse(&bad).is_err());
    }
}
