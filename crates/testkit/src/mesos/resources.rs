//! Resource accounting of a simulated agent: named scalars (`cpus`, `mem`, `disk`) and named
//! range sets (`ports`), with the arithmetic the allocator needs and the v1 JSON shapes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Why a resource description could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// An agent resource spec like `cpus:4;ports:[1-2]` did not parse.
    #[error("bad agent resource spec {spec:?}: {why} (expected e.g. cpus:4;mem:8192;ports:[31000-32000])")]
    Spec {
        /// The whole spec.
        spec: String,
        /// What is wrong with it.
        why: String,
    },
    /// A JSON `Resource` of a call is malformed.
    #[error("invalid resource {0}")]
    Json(String),
}

/// A set of resources: scalar amounts and port-like ranges, keyed by resource name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    scalars: BTreeMap<String, f64>,
    ranges: BTreeMap<String, Vec<(u64, u64)>>,
}

/// Scalars are compared with this tolerance, as Mesos fixes them to three decimals.
const EPSILON: f64 = 0.0005;

impl Resources {
    /// Parses the agent flag syntax: `cpus:4;mem:8192;disk:10240;ports:[31000-32000,19998-19999]`.
    pub fn parse(spec: &str) -> Result<Self, ResourceError> {
        let err = |why: String| ResourceError::Spec {
            spec: spec.to_owned(),
            why,
        };
        let mut out = Resources::default();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| err(format!("{part:?} has no ':'")))?;
            let value = value.trim();
            if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                let mut set = Vec::new();
                for range in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    let (b, e) = range
                        .split_once('-')
                        .ok_or_else(|| err(format!("range {range:?} is not begin-end")))?;
                    let b: u64 = b
                        .trim()
                        .parse()
                        .map_err(|_| err(format!("bad range {range:?}")))?;
                    let e: u64 = e
                        .trim()
                        .parse()
                        .map_err(|_| err(format!("bad range {range:?}")))?;
                    if b > e {
                        return Err(err(format!("range {range:?} ends before it begins")));
                    }
                    set.push((b, e));
                }
                out.add_ranges(name.trim(), &set);
            } else {
                let v: f64 = value
                    .parse()
                    .map_err(|_| err(format!("{value:?} is not a number")))?;
                if v < 0.0 {
                    return Err(err(format!("{name} is negative")));
                }
                *out.scalars.entry(name.trim().to_owned()).or_default() += v;
            }
        }
        Ok(out)
    }

    /// Reads the v1 JSON `Resource` array of a task (SCALAR and RANGES; SET is rejected).
    pub fn from_json(resources: &[Value]) -> Result<Self, ResourceError> {
        let mut out = Resources::default();
        for r in resources {
            let name = r
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| ResourceError::Json(format!("{r}: no name")))?;
            match r.get("type").and_then(Value::as_str) {
                Some("SCALAR") => {
                    let v = r
                        .pointer("/scalar/value")
                        .and_then(Value::as_f64)
                        .ok_or_else(|| ResourceError::Json(format!("{name}: no scalar.value")))?;
                    if v < 0.0 || !v.is_finite() {
                        return Err(ResourceError::Json(format!("{name}: scalar {v} is negative")));
                    }
                    *out.scalars.entry(name.to_owned()).or_default() += v;
                }
                Some("RANGES") => {
                    let list = r
                        .pointer("/ranges/range")
                        .and_then(Value::as_array)
                        .ok_or_else(|| ResourceError::Json(format!("{name}: no ranges.range")))?;
                    let mut set = Vec::new();
                    for range in list {
                        let b = range.get("begin").and_then(Value::as_u64);
                        let e = range.get("end").and_then(Value::as_u64);
                        match (b, e) {
                            (Some(b), Some(e)) if b <= e => set.push((b, e)),
                            _ => return Err(ResourceError::Json(format!("{name}: bad range {range}"))),
                        }
                    }
                    out.add_ranges(name, &set);
                }
                other => {
                    return Err(ResourceError::Json(format!(
                        "{name}: type {other:?} is not supported by the simulator (SCALAR or RANGES)"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The v1 JSON `Resource` array, each entry carrying `role` and `allocation_info` for `role`.
    pub fn to_json(&self, role: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for (name, v) in &self.scalars {
            if *v > EPSILON {
                out.push(json!({
                    "name": name, "type": "SCALAR", "scalar": {"value": (v * 1000.0).round() / 1000.0},
                    "role": "*", "allocation_info": {"role": role},
                }));
            }
        }
        for (name, set) in &self.ranges {
            if !set.is_empty() {
                let range: Vec<Value> = set.iter().map(|(b, e)| json!({"begin": b, "end": e})).collect();
                out.push(json!({
                    "name": name, "type": "RANGES", "ranges": {"range": range},
                    "role": "*", "allocation_info": {"role": role},
                }));
            }
        }
        out
    }

    /// True when nothing is left worth offering.
    pub fn is_empty(&self) -> bool {
        self.scalars.values().all(|v| *v <= EPSILON) && self.ranges.values().all(Vec::is_empty)
    }

    /// The amount of scalar `name` (0 when absent).
    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars.get(name).copied().unwrap_or(0.0)
    }

    /// The ranges of `name` (empty when absent), sorted and merged.
    pub fn ranges(&self, name: &str) -> &[(u64, u64)] {
        self.ranges.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when every scalar and range of `other` is inside `self`.
    pub fn contains(&self, other: &Resources) -> bool {
        other
            .scalars
            .iter()
            .all(|(name, v)| self.scalar(name) + EPSILON >= *v)
            && other.ranges.iter().all(|(name, set)| {
                set.iter()
                    .all(|(b, e)| self.ranges(name).iter().any(|(ob, oe)| ob <= b && e <= oe))
            })
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Resources) {
        for (name, v) in &other.scalars {
            *self.scalars.entry(name.clone()).or_default() += v;
        }
        for (name, set) in &other.ranges {
            self.add_ranges(name, set);
        }
    }

    /// Removes `other` from `self`; callers check [`Resources::contains`] first.
    pub fn subtract(&mut self, other: &Resources) {
        for (name, v) in &other.scalars {
            let left = (self.scalar(name) - v).max(0.0);
            self.scalars.insert(name.clone(), left);
        }
        for (name, set) in &other.ranges {
            let mut current = self.ranges.remove(name).unwrap_or_default();
            for &(b, e) in set {
                current = current
                    .into_iter()
                    .flat_map(|(ob, oe)| {
                        let mut pieces = Vec::new();
                        if e < ob || b > oe {
                            pieces.push((ob, oe));
                        } else {
                            if ob < b {
                                pieces.push((ob, b - 1));
                            }
                            if e < oe {
                                pieces.push((e + 1, oe));
                            }
                        }
                        pieces
                    })
                    .collect();
            }
            self.ranges.insert(name.clone(), current);
        }
    }

    fn add_ranges(&mut self, name: &str, set: &[(u64, u64)]) {
        let current = self.ranges.entry(name.to_owned()).or_default();
        current.extend_from_slice(set);
        current.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(current.len());
        for &(b, e) in current.iter() {
            match merged.last_mut() {
                Some(last) if b <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((b, e)),
            }
        }
        *current = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_agent_spec_and_subtracts_ports() {
        let mut r = Resources::parse("cpus:4;mem:8192;ports:[31000-32000,19998-19999]").unwrap();
        assert_eq!(r.scalar("cpus"), 4.0);
        assert_eq!(r.ranges("ports"), &[(19998, 19999), (31000, 32000)]);
        let used = Resources::parse("cpus:1;ports:[19999-19999,31005-31005]").unwrap();
        assert!(r.contains(&used));
        r.subtract(&used);
        assert_eq!(r.scalar("cpus"), 3.0);
        assert_eq!(
            r.ranges("ports"),
            &[(19998, 19998), (31000, 31004), (31006, 32000)]
        );
        assert!(!r.contains(&used));
        r.add(&used);
        assert_eq!(r.ranges("ports"), &[(19998, 19999), (31000, 32000)]);
    }

    #[test]
    fn json_round_trip_carries_allocation_info() {
        let r = Resources::parse("cpus:1.5;ports:[5-6]").unwrap();
        let json = r.to_json("alluxio");
        assert_eq!(json[0]["allocation_info"]["role"], "alluxio");
        assert_eq!(Resources::from_json(&json).unwrap(), r);
        assert!(Resources::parse("cpus:x").is_err());
        assert!(Resources::parse("ports:[9-1]").is_err());
    }
}
