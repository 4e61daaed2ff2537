//! One-time messages after an action (post/redirect/get): kept server-side under a random
//! id named by a short-lived cookie, so no text travels in a URL or a cookie.

use axum::http::{header, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Cookie naming the pending flash message.
pub const FLASH_COOKIE: &str = "bt_flash";
/// More pending messages than this (nobody reads them) are dropped at once.
const MAX_PENDING: usize = 1_000;

/// A one-time message shown after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// True for a failure.
    pub error: bool,
    /// The text.
    pub text: String,
}

/// The pending messages; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Flashes(Arc<Mutex<HashMap<String, Flash>>>);

impl Flashes {
    /// Keeps `flash` and returns the `Set-Cookie` value that names it.
    pub fn put(&self, flash: Flash) -> String {
        let id = super::auth::new_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_PENDING {
            map.clear();
        }
        map.insert(id.clone(), flash);
        format!("{FLASH_COOKIE}={id}; Path=/; Max-Age=300; HttpOnly; SameSite=Strict")
    }

    /// Takes the request's message (once) and the header that clears its cookie.
    pub fn take(&self, headers: &HeaderMap) -> (Option<Flash>, HeaderMap) {
        let mut clear = HeaderMap::new();
        let Some(id) = cookie(headers, FLASH_COOKIE) else {
            return (None, clear);
        };
        let flash = self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        )) {
            clear.insert(header::SET_COOKIE, v);
        }
        (flash, clear)
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
