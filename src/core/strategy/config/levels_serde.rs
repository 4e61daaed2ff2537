//! Deserializes [`LevelsConfig`] by the *shape* of the value: a table is the generator, an
//! array the explicit list. Serde's `untagged` would try both and report only "data did not
//! match any variant"; dispatching on the shape keeps the inner error (the key and the rule).

use super::{LevelDef, LevelsConfig};
use crate::core::money::Pct;
use rust_decimal::Decimal;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// The generator form, with every key required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Generated {
    count: u16,
    first_step_pct: Pct,
    step_scale: Decimal,
    volume_scale: Decimal,
}

struct LevelsVisitor;

impl<'de> Visitor<'de> for LevelsVisitor {
    type Value = LevelsConfig;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a generator table `[levels]` (count, first_step_pct, step_scale, volume_scale) \
             or a list `[[levels]]` of {drop_pct, weight}",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LevelsConfig, A::Error> {
        let g = Generated::deserialize(MapAccessDeserializer::new(map))?;
        Ok(LevelsConfig::Generated {
            count: g.count,
            first_step_pct: g.first_step_pct,
            step_scale: g.step_scale,
            volume_scale: g.volume_scale,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LevelsConfig, A::Error> {
        Vec::<LevelDef>::deserialize(SeqAccessDeserializer::new(seq)).map(LevelsConfig::Explicit)
    }
}

impl<'de> Deserialize<'de> for LevelsConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LevelsVisitor)
    }
}
