//! Two languages, English and German (`locales/{en,de}.ftl`, Project Fluent through the
//! `fluent-bundle` crate). The language is the `bt_lang` cookie (set by the switch,
//! `GET /lang/{code}`), else the best of `Accept-Language`, else English. Numbers and dates
//! follow it: German writes `1.234,56` and `31.01.2026 23:59`.
//!
//! The templates' number filters run inside askama's synchronous `render`, so the language
//! of the page being rendered is a thread-local set around that call ([`render_in`]): no
//! template has to pass it down to every number.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::cell::Cell;
use std::sync::OnceLock;
use unic_langid::LanguageIdentifier;

/// Cookie holding the chosen language.
pub const LANG_COOKIE: &str = "bt_lang";

/// A language of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// German.
    De,
}

impl Lang {
    /// Every language, in the switch's order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// `en` or `de` (also the page's `lang` attribute).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A language tag (`de`, `de-AT`, `EN-us`) as one of ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best of an `Accept-Language` header (`de-DE,de;q=0.9,en;q=0.8`), or English.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let weight = (q.clamp(0.0, 1.0) * 1000.0) as u16;
            if let Some(lang) = Lang::parse(tag) {
                if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                    best = Some((weight, lang));
                }
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    /// The language of a request: cookie, else `Accept-Language`, else English.
    pub fn of_request(headers: &axum::http::HeaderMap) -> Lang {
        if let Some(lang) = super::flash::cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c))
        {
            return lang;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::En, Lang::from_accept_language)
    }

    /// The text of `key` (the key itself when a translation is missing, so a gap shows).
    pub fn t(self, key: &str) -> String {
        self.tr(key, &[])
    }

    /// The text of `key` with one placeholder `name` set to `value`.
    pub fn t1(self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr(key, &[(name, &value.to_string())])
    }

    /// The word for a state or kind (`status-closed`, `delivery-sent`): the text of
    /// `{prefix}-{value}`, else `value` as it is (a state this file does not know yet).
    pub fn named(self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}-{value}");
        match self.has(&key) {
            true => self.t(&key),
            false => value.to_string(),
        }
    }

    /// Whether `key` has a text.
    pub fn has(self, key: &str) -> bool {
        bundles()[self as usize].has_message(key)
    }

    /// The text of `key` with its `{ $name }` placeholders filled from `args` (as given: a
    /// number is formatted before it gets here, by the filters or [`localize_number`]).
    pub fn tr(self, key: &str, args: &[(&str, &str)]) -> String {
        let bundle = &bundles()[self as usize];
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        Lang::ALL.map(|lang| {
            let source = match lang {
                Lang::En => include_str!("../../../locales/en.ftl"),
                Lang::De => include_str!("../../../locales/de.ftl"),
            };
            let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            bundle.set_use_isolating(false);
            // A broken file is a build-time bug; the unit test below parses both.
            let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
            let _ = bundle.add_resource(resource);
            bundle
        })
    })
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Runs `render` with `lang` as the language of the number and date filters.
pub fn render_in<T>(lang: Lang, render: impl FnOnce() -> T) -> T {
    let before = CURRENT.with(|c| c.replace(lang));
    let out = render();
    CURRENT.with(|c| c.set(before));
    out
}

/// The language of the page being rendered.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

/// A plain decimal (`-1234.5`, `+4.79`, `87.5%`) written for `lang`: German swaps the
/// decimal point for a comma and groups thousands with dots; English stays as it is.
pub fn localize_number(text: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    let (sign, rest) = match text.chars().next() {
        Some(c @ ('+' | '-')) => (c.to_string(), &text[1..]),
        _ => (String::new(), text),
    };
    let digits_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(digits_end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}{suffix}")
    } else {
        format!("{sign}{grouped},{frac}{suffix}")
    }
}

/// A chart's date label written for `lang`: German turns `2026-01-31` into `31.01.2026` and
/// `01-31 23:59` into `31.01. 23:59`; anything else stays as it is.
pub fn localize_date(label: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return label.to_string();
    }
    let (date, time) = label.split_once(' ').unwrap_or((label, ""));
    let parts: Vec<&str> = date.split('-').collect();
    let date = match parts.as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        [m, d] => format!("{d}.{m}."),
        _ => return label.to_string(),
    };
    match time {
        "" => date,
        time => format!("{date} {time}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_parse_and_have_the_same_keys() {
        for source in [
            include_str!("../../../locales/en.ftl"),
            include_str!("../../../locales/de.ftl"),
        ] {
            assert!(FluentResource::try_new(source.to_string()).is_ok());
        }
        let keys = |s: &str| -> Vec<String> {
            s.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
                .collect()
        };
        assert_eq!(
            keys(include_str!("../../../locales/en.ftl")),
            keys(include_str!("../../../locales/de.ftl"))
        );
        assert_eq!(Lang::De.t("nav-journal"), "Journal");
        assert_eq!(Lang::De.t("close-all"), "Alle Positionen schließen");
        assert_eq!(Lang::En.t("no-such-key"), "no-such-key");
    }

    #[test]
    fn accept_language_picks_the_best_known() {
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Lang::De
        );
        assert_eq!(Lang::from_accept_language("fr,en;q=0.5,de;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.2, de-AT"), Lang::De);
    }

    #[test]
    fn german_numbers() {
        assert_eq!(localize_number("-1234567.50", Lang::De), "-1.234.567,50");
        assert_eq!(localize_number("+4.79", Lang::De), "+4,79");
        assert_eq!(localize_number("87.5%", Lang::De), "87,5%");
        assert_eq!(localize_number("1000", Lang::De), "1.000");
        assert_eq!(localize_number("1234.5", Lang::En), "1234.5");
        assert_eq!(localize_date("2026-01-31", Lang::De), "31.01.2026");
        assert_eq!(localize_date("01-31 23:59", Lang::De), "31.01. 23:59");
        assert_eq!(localize_date("01-31 23:59", Lang::En), "01-31 23:59");
    }
}
