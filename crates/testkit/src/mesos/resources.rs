//! Resource accounting of a simulated agent: named scalars (`cpus`, `mem`, `disk`) and named
//! range sets (`ports`), each unreserved or reserved for a role (statically by the agent's
//! `--resources`, or dynamically), with the arithmetic the allocator needs and the v1 JSON
//! shapes Mesos 1.11 uses (apache/mesos `src/common/resources_utils.cpp`,
//! `convertResourceFormat`): frameworks without the RESERVATION_REFINEMENT capability see a
//! reservation as `role` (plus `reservation` when dynamic), the others as `reservations`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};

/// Why a resource description could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// An agent resource spec like `cpus:4;ports:[1-2]` did not parse.
    #[error(
        "bad agent resource spec {spec:?}: {why} (expected e.g. cpus:4;mem(alluxio):8192;ports:[31000-32000])"
    )]
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

/// Whom a resource is reserved for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reservation {
    /// Role `*`: offered to every framework.
    Unreserved,
    /// Reserved by the agent's `--resources` (`cpus(role):4`).
    Static(String),
    /// Reserved by an operator or framework, with the principal that reserved it.
    Dynamic {
        /// The role.
        role: String,
        /// Who reserved it.
        principal: Option<String>,
    },
}

impl Reservation {
    /// The role the resource is reserved for, `None` when unreserved.
    pub fn role(&self) -> Option<&str> {
        match self {
            Reservation::Unreserved => None,
            Reservation::Static(role) | Reservation::Dynamic { role, .. } => Some(role),
        }
    }

    /// Whether a framework of `role` is offered (and may use) the resource.
    pub fn usable_by(&self, role: &str) -> bool {
        self.role().is_none_or(|reserved| reserved == role)
    }

    /// Reads the reservation of a v1 JSON `Resource`, in either format.
    fn from_json(resource: &Value) -> Result<Self, ResourceError> {
        let name = resource.get("name").and_then(Value::as_str).unwrap_or_default();
        if let Some(stack) = resource.get("reservations").and_then(Value::as_array)
            && !stack.is_empty()
        {
            let [reservation] = stack.as_slice() else {
                return Err(ResourceError::Json(format!(
                    "{name}: refined reservations (more than one) are not supported by the simulator"
                )));
            };
            let role = reservation
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or("*")
                .to_owned();
            return match reservation.get("type").and_then(Value::as_str) {
                Some("STATIC") => Ok(Reservation::Static(role)),
                Some("DYNAMIC") => Ok(Reservation::Dynamic {
                    role,
                    principal: principal(reservation),
                }),
                other => Err(ResourceError::Json(format!(
                    "{name}: reservation type {other:?} is neither STATIC nor DYNAMIC"
                ))),
            };
        }
        let role = resource.get("role").and_then(Value::as_str).unwrap_or("*");
        Ok(match (role, resource.get("reservation")) {
            ("*", _) => Reservation::Unreserved,
            (role, Some(reservation)) => Reservation::Dynamic {
                role: role.to_owned(),
                principal: principal(reservation),
            },
            (role, None) => Reservation::Static(role.to_owned()),
        })
    }

    /// Adds the reservation fields to a v1 JSON `Resource`, in the format the framework reads.
    fn write_json(&self, resource: &mut Value, refinement: bool) {
        if refinement {
            let stack = match self {
                Reservation::Unreserved => return,
                Reservation::Static(role) => json!([{"type": "STATIC", "role": role}]),
                Reservation::Dynamic { role, principal } => {
                    let mut reservation = json!({"type": "DYNAMIC", "role": role});
                    if let Some(principal) = principal {
                        reservation["principal"] = json!(principal);
                    }
                    json!([reservation])
                }
            };
            resource["reservations"] = stack;
            return;
        }
        resource["role"] = json!(self.role().unwrap_or("*"));
        if let Reservation::Dynamic { principal, .. } = self {
            resource["reservation"] = match principal {
                Some(principal) => json!({"principal": principal}),
                None => json!({}),
            };
        }
    }
}

fn principal(reservation: &Value) -> Option<String> {
    reservation
        .get("principal")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A resource name with its reservation: resources are only interchangeable within one key.
type Key = (String, Reservation);

/// A set of resources: scalar amounts and port-like ranges, keyed by name and reservation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    scalars: BTreeMap<Key, f64>,
    ranges: BTreeMap<Key, Vec<(u64, u64)>>,
}

/// Scalars are compared with this tolerance, as Mesos fixes them to three decimals.
const EPSILON: f64 = 0.0005;

impl Resources {
    /// Parses the agent flag syntax: `cpus:4;mem(alluxio):8192;ports:[31000-32000,19998-19999]`,
    /// where `name(role)` reserves the resource statically for `role`.
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
            let (name, reservation) = match name.trim().split_once('(') {
                Some((name, role)) => {
                    let role = role
                        .strip_suffix(')')
                        .ok_or_else(|| err(format!("{part:?}: role not closed with ')'")))?;
                    match role.trim() {
                        "" => return Err(err(format!("{part:?}: empty role"))),
                        "*" => (name, Reservation::Unreserved),
                        role => (name, Reservation::Static(role.to_owned())),
                    }
                }
                None => (name.trim(), Reservation::Unreserved),
            };
            let key = (name.trim().to_owned(), reservation);
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
                out.add_ranges(key, &set);
            } else {
                let v: f64 = value
                    .parse()
                    .map_err(|_| err(format!("{value:?} is not a number")))?;
                if v < 0.0 {
                    return Err(err(format!("{} is negative", key.0)));
                }
                *out.scalars.entry(key).or_default() += v;
            }
        }
        Ok(out)
    }

    /// Reads the v1 JSON `Resource` array of a task (SCALAR and RANGES; SET is rejected), with
    /// the reservation each resource names in either format.
    pub fn from_json(resources: &[Value]) -> Result<Self, ResourceError> {
        let mut out = Resources::default();
        for r in resources {
            let name = r
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| ResourceError::Json(format!("{r}: no name")))?;
            let key = (name.to_owned(), Reservation::from_json(r)?);
            match r.get("type").and_then(Value::as_str) {
                Some("SCALAR") => {
                    let v = r
                        .pointer("/scalar/value")
                        .and_then(Value::as_f64)
                        .ok_or_else(|| ResourceError::Json(format!("{name}: no scalar.value")))?;
                    if v < 0.0 || !v.is_finite() {
                        return Err(ResourceError::Json(format!("{name}: scalar {v} is negative")));
                    }
                    *out.scalars.entry(key).or_default() += v;
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
                    out.add_ranges(key, &set);
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

    /// The v1 JSON `Resource` array as offered to a framework: `allocation_info` for
    /// `allocation_role` (MULTI_ROLE frameworks only) and reservations in the format the
    /// framework reads (`refinement`: it has the RESERVATION_REFINEMENT capability).
    pub fn to_json(&self, allocation_role: Option<&str>, refinement: bool) -> Vec<Value> {
        let mut out = Vec::new();
        let scalars = self
            .scalars
            .iter()
            .filter(|(_, v)| **v > EPSILON)
            .map(|(key, v)| {
                (
                    key,
                    json!({"type": "SCALAR", "scalar": {"value": (v * 1000.0).round() / 1000.0}}),
                )
            });
        let ranges = self
            .ranges
            .iter()
            .filter(|(_, set)| !set.is_empty())
            .map(|(key, set)| {
                let range: Vec<Value> = set.iter().map(|(b, e)| json!({"begin": b, "end": e})).collect();
                (key, json!({"type": "RANGES", "ranges": {"range": range}}))
            });
        for ((name, reservation), mut value) in scalars.chain(ranges) {
            value["name"] = json!(name);
            reservation.write_json(&mut value, refinement);
            if let Some(role) = allocation_role {
                value["allocation_info"] = json!({"role": role});
            }
            out.push(value);
        }
        out
    }

    /// True when nothing is left worth offering.
    pub fn is_empty(&self) -> bool {
        self.scalars.values().all(|v| *v <= EPSILON) && self.ranges.values().all(Vec::is_empty)
    }

    /// The amount of scalar `name`, over every reservation (0 when absent).
    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| v)
            .sum()
    }

    /// The ranges of `name` reserved as `reservation` (empty when absent), sorted and merged.
    pub fn ranges(&self, name: &str, reservation: &Reservation) -> &[(u64, u64)] {
        self.ranges
            .get(&(name.to_owned(), reservation.clone()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The part of these resources a framework of `role` is offered: unreserved ones and those
    /// reserved for `role`.
    pub fn usable_by(&self, role: &str) -> Resources {
        Resources {
            scalars: self
                .scalars
                .iter()
                .filter(|((_, r), _)| r.usable_by(role))
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            ranges: self
                .ranges
                .iter()
                .filter(|((_, r), _)| r.usable_by(role))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// True when every scalar and range of `other` is inside `self`, reservation for
    /// reservation: an unreserved cpu cannot stand in for a reserved one, nor the reverse.
    pub fn contains(&self, other: &Resources) -> bool {
        other
            .scalars
            .iter()
            .all(|(key, v)| self.scalars.get(key).copied().unwrap_or(0.0) + EPSILON >= *v)
            && other.ranges.iter().all(|((name, reservation), set)| {
                let mine = self.ranges(name, reservation);
                set.iter()
                    .all(|(b, e)| mine.iter().any(|(ob, oe)| ob <= b && e <= oe))
            })
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Resources) {
        for (key, v) in &other.scalars {
            *self.scalars.entry(key.clone()).or_default() += v;
        }
        for (key, set) in &other.ranges {
            self.add_ranges(key.clone(), set);
        }
    }

    /// Removes `other` from `self`; callers check [`Resources::contains`] first.
    pub fn subtract(&mut self, other: &Resources) {
        for (key, v) in &other.scalars {
            let left = (self.scalars.get(key).copied().unwrap_or(0.0) - v).max(0.0);
            self.scalars.insert(key.clone(), left);
        }
        for (key, set) in &other.ranges {
            let mut current = self.ranges.remove(key).unwrap_or_default();
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
            self.ranges.insert(key.clone(), current);
        }
    }

    /// Moves `amount` (unreserved) to a dynamic reservation for `role` by `principal`, as an
    /// operator's `/reserve` does; false when the unreserved part does not hold it.
    pub fn reserve_dynamically(&mut self, amount: &Resources, role: &str, principal: Option<&str>) -> bool {
        let unreserved = Resources {
            scalars: amount
                .scalars
                .iter()
                .map(|((name, _), v)| ((name.clone(), Reservation::Unreserved), *v))
                .collect(),
            ranges: amount
                .ranges
                .iter()
                .map(|((name, _), set)| ((name.clone(), Reservation::Unreserved), set.clone()))
                .collect(),
        };
        if !self.contains(&unreserved) {
            return false;
        }
        self.subtract(&unreserved);
        let reservation = Reservation::Dynamic {
            role: role.to_owned(),
            principal: principal.map(str::to_owned),
        };
        for ((name, _), v) in unreserved.scalars {
            *self.scalars.entry((name, reservation.clone())).or_default() += v;
        }
        for ((name, _), set) in unreserved.ranges {
            self.add_ranges((name, reservation.clone()), &set);
        }
        true
    }

    fn add_ranges(&mut self, key: Key, set: &[(u64, u64)]) {
        let current = self.ranges.entry(key).or_default();
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

    /// Mesos' text for these resources as allocated to `role`, as its validation errors print
    /// them: `cpus(allocated: r)(reservations: [(STATIC,r)]):4; ports(allocated: r):[1-2]`.
    pub fn describe(&self, role: &str) -> String {
        Described {
            resources: self,
            role,
        }
        .to_string()
    }
}

struct Described<'a> {
    resources: &'a Resources,
    role: &'a str,
}

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = |name: &str, reservation: &Reservation| {
            let reserved = match reservation {
                Reservation::Unreserved => String::new(),
                Reservation::Static(role) => format!("(reservations: [(STATIC,{role})])"),
                Reservation::Dynamic { role, principal } => match principal {
                    Some(principal) => format!("(reservations: [(DYNAMIC,{role},{principal})])"),
                    None => format!("(reservations: [(DYNAMIC,{role})])"),
                },
            };
            format!("{name}(allocated: {}){reserved}", self.role)
        };
        let mut parts = Vec::new();
        for ((name, reservation), v) in &self.resources.scalars {
            if *v > EPSILON {
                parts.push(format!(
                    "{}:{}",
                    label(name, reservation),
                    (v * 1000.0).round() / 1000.0
                ));
            }
        }
        for ((name, reservation), set) in &self.resources.ranges {
            if !set.is_empty() {
                let ranges: Vec<String> = set.iter().map(|(b, e)| format!("{b}-{e}")).collect();
                parts.push(format!("{}:[{}]", label(name, reservation), ranges.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNRESERVED: &Reservation = &Reservation::Unreserved;

    #[test]
    fn parses_agent_spec_and_subtracts_ports() {
        let mut r = Resources::parse("cpus:4;mem:8192;ports:[31000-32000,19998-19999]").unwrap();
        assert_eq!(r.scalar("cpus"), 4.0);
        assert_eq!(r.ranges("ports", UNRESERVED), &[(19998, 19999), (31000, 32000)]);
        let used = Resources::parse("cpus:1;ports:[19999-19999,31005-31005]").unwrap();
        assert!(r.contains(&used));
        r.subtract(&used);
        assert_eq!(r.scalar("cpus"), 3.0);
        assert_eq!(
            r.ranges("ports", UNRESERVED),
            &[(19998, 19998), (31000, 31004), (31006, 32000)]
        );
        assert!(!r.contains(&used));
        r.add(&used);
        assert_eq!(r.ranges("ports", UNRESERVED), &[(19998, 19999), (31000, 32000)]);
    }

    #[test]
    fn json_round_trip_carries_allocation_info() {
        let r = Resources::parse("cpus:1.5;ports:[5-6]").unwrap();
        let json = r.to_json(Some("alluxio"), false);
        assert_eq!(json[0]["allocation_info"]["role"], "alluxio");
        assert_eq!(json[0]["role"], "*");
        assert_eq!(Resources::from_json(&json).unwrap(), r);
        assert!(r.to_json(None, false)[0].get("allocation_info").is_none());
        assert!(Resources::parse("cpus:x").is_err());
        assert!(Resources::parse("ports:[9-1]").is_err());
        assert!(Resources::parse("cpus(alluxio:1").is_err());
    }

    #[test]
    fn static_reservations_are_kept_apart_and_offered_to_their_role_only() {
        let r = Resources::parse("cpus(alluxio):4;cpus:1;mem(alluxio):4096;ports(alluxio):[19998-19999]")
            .unwrap();
        assert_eq!(r.scalar("cpus"), 5.0);
        assert_eq!(r.usable_by("*").scalar("cpus"), 1.0);
        assert_eq!(r.usable_by("other").scalar("mem"), 0.0);
        assert_eq!(r.usable_by("alluxio"), r);
        // Without RESERVATION_REFINEMENT a static reservation is `role`; with it, `reservations`.
        let old = r.to_json(Some("alluxio"), false);
        let reserved_cpus = old
            .iter()
            .find(|v| v["name"] == "cpus" && v["role"] == "alluxio")
            .unwrap();
        assert!(reserved_cpus.get("reservations").is_none());
        let new = r.to_json(Some("alluxio"), true);
        assert!(
            new.iter()
                .any(|v| v["reservations"] == json!([{"type": "STATIC", "role": "alluxio"}]))
        );
        assert!(new.iter().all(|v| v.get("role").is_none()));
        assert_eq!(Resources::from_json(&old).unwrap(), r);
        assert_eq!(Resources::from_json(&new).unwrap(), r);
        // An unreserved cpu is not a reserved one.
        let unreserved = Resources::parse("cpus:2").unwrap();
        assert!(!r.contains(&unreserved));
        assert_eq!(
            r.describe("alluxio"),
            "cpus(allocated: alluxio):1; cpus(allocated: alluxio)(reservations: [(STATIC,alluxio)]):4; \
             mem(allocated: alluxio)(reservations: [(STATIC,alluxio)]):4096; \
             ports(allocated: alluxio)(reservations: [(STATIC,alluxio)]):[19998-19999]"
        );
    }

    #[test]
    fn dynamic_reservations_carve_out_of_unreserved_resources() {
        let mut r = Resources::parse("cpus:4;mem:8192;ports:[1-10]").unwrap();
        let amount = Resources::parse("cpus:1;ports:[2-3]").unwrap();
        assert!(r.reserve_dynamically(&amount, "alluxio", Some("ops")));
        assert_eq!(r.usable_by("*").scalar("cpus"), 3.0);
        assert_eq!(r.usable_by("alluxio").scalar("cpus"), 4.0);
        let old = r.to_json(Some("alluxio"), false);
        let dynamic = old
            .iter()
            .find(|v| v["name"] == "cpus" && v["role"] == "alluxio")
            .unwrap();
        assert_eq!(dynamic["reservation"], json!({"principal": "ops"}));
        assert_eq!(Resources::from_json(&old).unwrap(), r);
        assert!(!r.reserve_dynamically(&Resources::parse("cpus:9").unwrap(), "alluxio", None));
    }
}
