//! `Resource` and `Offer` (mesos.proto).

use serde::{Deserialize, Serialize};

use super::Id;

/// `Value.Type`: how a resource's quantity is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueType {
    /// A number (`cpus`, `mem` in MB, `disk` in MB).
    Scalar,
    /// Integer ranges (`ports`).
    Ranges,
    /// A set of strings.
    Set,
    /// Text.
    Text,
    /// A type newer than this framework.
    #[serde(other)]
    Unknown,
}

/// `Value.Scalar`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scalar {
    /// The quantity.
    pub value: f64,
}

/// `Value.Range`: inclusive bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// First value in the range.
    pub begin: u64,
    /// Last value in the range (inclusive).
    pub end: u64,
}

/// `Value.Ranges`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ranges {
    /// The ranges.
    #[serde(default)]
    pub range: Vec<Range>,
}

/// `Resource.AllocationInfo`: the role an offered resource is allocated to (MULTI_ROLE).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AllocationInfo {
    /// The role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `Resource`. The fields the framework reads are modelled; every other field of an offered
/// resource (`reservation`, `reservations`, `disk`, `revocable`, `shared`, `provider_id`, ...) is
/// kept verbatim in `identity`, so that a launched resource carved out of it with
/// [`take_scalar`] or [`take_ranges`] names exactly the resource Mesos offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// `cpus`, `mem`, `ports`, ...
    pub name: String,
    /// Which of the value fields is meaningful.
    #[serde(rename = "type")]
    pub kind: ValueType,
    /// Set for SCALAR resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    /// Set for RANGES resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    /// The role the resource is reserved for (`*` or absent: unreserved), in the format Mesos
    /// uses for frameworks without the RESERVATION_REFINEMENT capability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The role the resource is allocated to (MULTI_ROLE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
    /// Every other field, as offered.
    #[serde(flatten)]
    pub identity: serde_json::Map<String, serde_json::Value>,
}

impl Resource {
    /// A SCALAR resource (tests build offers with it).
    #[cfg(test)]
    pub fn scalar(name: &str, value: f64) -> Self {
        Self {
            name: name.to_string(),
            kind: ValueType::Scalar,
            scalar: Some(Scalar { value }),
            ranges: None,
            role: None,
            allocation_info: None,
            identity: Default::default(),
        }
    }

    /// A RANGES resource (tests build offers with it).
    #[cfg(test)]
    pub fn ranges(name: &str, ranges: Vec<Range>) -> Self {
        Self {
            name: name.to_string(),
            kind: ValueType::Ranges,
            scalar: None,
            ranges: Some(Ranges { range: ranges }),
            role: None,
            allocation_info: None,
            identity: Default::default(),
        }
    }

    /// Whether the resource is reserved (statically or dynamically) for a role, in either the
    /// pre- or the post-reservation-refinement format.
    pub fn is_reserved(&self) -> bool {
        let refined = ["reservation", "reservations"]
            .iter()
            .any(|field| self.identity.get(*field).is_some_and(|v| !v.is_null()));
        refined || self.role.as_deref().is_some_and(|role| role != "*")
    }
}

/// Sum of the SCALAR resources called `name` in `resources`, whatever their role.
pub fn scalar_total(resources: &[Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar)
        .map(|s| s.value)
        .sum()
}

/// Every range of the RANGES resources called `name` in `resources`.
pub fn ranges_of(resources: &[Resource], name: &str) -> Vec<(u64, u64)> {
    resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.ranges.as_ref())
        .flat_map(|r| r.range.iter().map(|range| (range.begin, range.end)))
        .collect()
}

/// Scalars are fixed to three decimals by Mesos; smaller leftovers are rounding.
const SCALAR_EPSILON: f64 = 0.0005;

/// The offered resources called `name`, reserved ones first: they are held for our role and
/// would otherwise go unused.
fn candidates<'a>(offered: &'a [Resource], name: &'a str) -> impl Iterator<Item = &'a Resource> {
    let named = move |reserved: bool| {
        offered
            .iter()
            .filter(move |r| r.name == name && r.is_reserved() == reserved)
    };
    named(true).chain(named(false))
}

/// Takes `amount` of the SCALAR resource `name` out of `offered`: one piece per offered resource
/// drawn on, each a copy of it (role, reservations, allocation and every other field) with only
/// the quantity changed. `None` when the offer holds less.
pub fn take_scalar(offered: &[Resource], name: &str, amount: f64) -> Option<Vec<Resource>> {
    let mut left = amount;
    let mut pieces = Vec::new();
    for resource in candidates(offered, name) {
        if left <= SCALAR_EPSILON {
            break;
        }
        let Some(available) = resource.scalar.map(|s| s.value).filter(|v| *v > 0.0) else {
            continue;
        };
        let taken = available.min(left);
        left -= taken;
        pieces.push(Resource {
            scalar: Some(Scalar {
                value: (taken * 1000.0).round() / 1000.0,
            }),
            ..resource.clone()
        });
    }
    (left <= SCALAR_EPSILON).then_some(pieces)
}

/// Takes the single values `wanted` (ports) of the RANGES resource `name` out of `offered`, as
/// single-value ranges in copies of the offered resources holding them (one per such resource,
/// values in the order given). `None` when a value is not offered.
pub fn take_ranges(offered: &[Resource], name: &str, wanted: &[u64]) -> Option<Vec<Resource>> {
    let mut pieces: Vec<(usize, Resource)> = Vec::new();
    let sources: Vec<&Resource> = candidates(offered, name).collect();
    for &value in wanted {
        let source = sources.iter().position(|r| {
            r.ranges
                .as_ref()
                .is_some_and(|ranges| ranges.range.iter().any(|g| g.begin <= value && value <= g.end))
        })?;
        let single = Range {
            begin: value,
            end: value,
        };
        match pieces.iter_mut().find(|(index, _)| *index == source) {
            Some((_, piece)) => piece
                .ranges
                .get_or_insert_with(Ranges::default)
                .range
                .push(single),
            None => pieces.push((
                source,
                Resource {
                    ranges: Some(Ranges { range: vec![single] }),
                    ..sources[source].clone()
                },
            )),
        }
    }
    Some(pieces.into_iter().map(|(_, piece)| piece).collect())
}

/// `Offer`: resources of one agent offered to this framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The offer id, used to accept or decline it.
    pub id: Id,
    /// The framework the offer is made to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<Id>,
    /// The agent holding the resources.
    pub agent_id: Id,
    /// The agent's host name.
    pub hostname: String,
    /// The offered resources.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// The role the whole offer is allocated to (MULTI_ROLE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
}
