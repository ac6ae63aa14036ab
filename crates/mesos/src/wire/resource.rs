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

/// `Resource`. Reservations, disk info and the like are ignored.
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
    /// The deprecated single role of the resource (pre-MULTI_ROLE masters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The role the resource is allocated to; must be copied onto launched resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
}

impl Resource {
    /// A SCALAR resource.
    pub fn scalar(name: &str, value: f64) -> Self {
        Self {
            name: name.to_string(),
            kind: ValueType::Scalar,
            scalar: Some(Scalar { value }),
            ranges: None,
            role: None,
            allocation_info: None,
        }
    }

    /// A RANGES resource.
    pub fn ranges(name: &str, ranges: Vec<Range>) -> Self {
        Self {
            name: name.to_string(),
            kind: ValueType::Ranges,
            scalar: None,
            ranges: Some(Ranges { range: ranges }),
            role: None,
            allocation_info: None,
        }
    }
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

impl Offer {
    /// Sum of the SCALAR resources called `name` (roles are not told apart, as in Alluxio 1.x).
    pub fn scalar_sum(&self, name: &str) -> f64 {
        self.resources
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| r.scalar)
            .map(|s| s.value)
            .sum()
    }

    /// Every range of the RANGES resources called `name`.
    pub fn ranges_of(&self, name: &str) -> Vec<(u64, u64)> {
        self.resources
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| r.ranges.as_ref())
            .flat_map(|r| r.range.iter().map(|range| (range.begin, range.end)))
            .collect()
    }

    /// The role the offer is allocated to (the offer's `allocation_info`, else the first
    /// resource's), which launched resources must repeat; `None` from pre-1.2 masters.
    pub fn allocation_role(&self) -> Option<String> {
        std::iter::once(&self.allocation_info)
            .chain(self.resources.iter().map(|r| &r.allocation_info))
            .find_map(|a| a.as_ref().and_then(|a| a.role.clone()))
    }
}
