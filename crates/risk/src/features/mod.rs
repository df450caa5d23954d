//! Named features of an event: a flat map of values that rules test and
//! reasons quote.

mod agent;
mod catalogue;
mod compute;
mod network;

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use agent::{AgentInfo, classify_user_agent};
pub use catalogue::{Feature, FeatureKind};
pub use compute::compute_features;
pub use network::{CidrList, XffInfo, is_private, is_reserved, read_x_forward_for};

/// One feature's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FeatureValue {
    /// A flag.
    Bool(bool),
    /// A count, a time in seconds or a code.
    Int(i64),
    /// A ratio.
    Float(f64),
    /// A name or code.
    Str(Cow<'static, str>),
}

impl FeatureValue {
    /// The zero of `kind`: `false`, `0`, `0.0`, `""`.
    pub fn zero(kind: FeatureKind) -> Self {
        match kind {
            FeatureKind::Bool => FeatureValue::Bool(false),
            FeatureKind::Int => FeatureValue::Int(0),
            FeatureKind::Float => FeatureValue::Float(0.0),
            FeatureKind::Str => FeatureValue::Str(Cow::Borrowed("")),
        }
    }

    /// The flag, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            FeatureValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            FeatureValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FeatureValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for FeatureValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureValue::Bool(b) => write!(f, "{b}"),
            FeatureValue::Int(i) => write!(f, "{i}"),
            FeatureValue::Float(x) => write!(f, "{x:.2}"),
            FeatureValue::Str(s) => f.write_str(s),
        }
    }
}

impl From<bool> for FeatureValue {
    fn from(b: bool) -> Self {
        FeatureValue::Bool(b)
    }
}

impl From<i64> for FeatureValue {
    fn from(i: i64) -> Self {
        FeatureValue::Int(i)
    }
}

impl From<f64> for FeatureValue {
    fn from(x: f64) -> Self {
        FeatureValue::Float(x)
    }
}

impl From<&'static str> for FeatureValue {
    fn from(s: &'static str) -> Self {
        FeatureValue::Str(Cow::Borrowed(s))
    }
}

impl From<String> for FeatureValue {
    fn from(s: String) -> Self {
        FeatureValue::Str(Cow::Owned(s))
    }
}

/// Every [`Feature`] of one event with its value. Serializes as a JSON
/// object `{name: value}` in catalogue order.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    values: Vec<FeatureValue>,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            values: Feature::ALL
                .iter()
                .map(|f| FeatureValue::zero(f.kind()))
                .collect(),
        }
    }
}

impl Features {
    /// Every feature at its zero (`false`, `0`, `0.0`, `""`).
    pub fn new() -> Self {
        Features::default()
    }

    /// The value of `feature`.
    pub fn get(&self, feature: Feature) -> &FeatureValue {
        &self.values[feature as usize]
    }

    /// The value of the feature called `name`.
    pub fn by_name(&self, name: &str) -> Option<&FeatureValue> {
        Feature::from_name(name).map(|f| self.get(f))
    }

    /// Sets `feature`; a value of another type than the feature's is
    /// converted (bool ↔ 0/1, number ↔ text, anything → bool by being non-zero) so the map stays well typed.
    pub fn set(&mut self, feature: Feature, value: impl Into<FeatureValue>) {
        let value = match (feature.kind(), value.into()) {
            (FeatureKind::Bool, FeatureValue::Int(i)) => FeatureValue::Bool(i != 0),
            (FeatureKind::Bool, FeatureValue::Float(x)) => FeatureValue::Bool(x != 0.0),
            (FeatureKind::Bool, FeatureValue::Str(s)) => FeatureValue::Bool(!s.is_empty()),
            (FeatureKind::Int, FeatureValue::Bool(b)) => FeatureValue::Int(i64::from(b)),
            (FeatureKind::Int, FeatureValue::Float(x)) => FeatureValue::Int(x as i64),
            (FeatureKind::Int, FeatureValue::Str(s)) => FeatureValue::Int(s.parse().unwrap_or(0)),
            (FeatureKind::Float, FeatureValue::Bool(b)) => {
                FeatureValue::Float(f64::from(u8::from(b)))
            }
            (FeatureKind::Float, FeatureValue::Int(i)) => FeatureValue::Float(i as f64),
            (FeatureKind::Float, FeatureValue::Str(s)) => {
                FeatureValue::Float(s.parse().unwrap_or(0.0))
            }
            (
                FeatureKind::Str,
                v @ (FeatureValue::Bool(_) | FeatureValue::Int(_) | FeatureValue::Float(_)),
            ) => FeatureValue::Str(Cow::Owned(v.to_string())),
            (_, v) => v,
        };
        self.values[feature as usize] = value;
    }

    /// Every feature with its value, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = (Feature, &FeatureValue)> {
        Feature::ALL.iter().copied().zip(&self.values)
    }
}

impl Serialize for Features {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (feature, value) in self.iter() {
            map.serialize_entry(feature.name(), value)?;
        }
        map.end()
    }
}
