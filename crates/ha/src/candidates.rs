//! The election queue as ZooKeeper lists it: who is first, and whom a candidate waits for.
//!
//! Candidates' nodes are named as Apache Curator's `LeaderSelector` (which Alluxio 1.x masters
//! use) names them, `_c_<uuid>-lock-<sequence>`: the uuid lets a candidate find its node after a
//! connection loss hid the answer to its create, and the sequence ZooKeeper appends orders the
//! queue.

use uuid::Uuid;

/// What precedes the sequence number in a candidate's node name.
const LOCK_NAME: &str = "lock-";

/// The name prefix of a new candidate node, unique to this candidate by `protection`.
pub(crate) fn node_prefix(protection: Uuid) -> String {
    format!("_c_{protection}-{LOCK_NAME}")
}

/// The node among `children` that a candidate created with `protection`, if any.
pub(crate) fn find_protected(children: &[String], protection: Uuid) -> Option<&String> {
    let prefix = node_prefix(protection);
    children.iter().find(|child| child.starts_with(&prefix))
}

/// A candidate's place in the queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Standing<'a> {
    /// First: it leads.
    First,
    /// It waits for the node just before it.
    Behind(&'a str),
    /// Its node is not there (its session ended, or someone deleted it).
    Absent,
}

/// Where `mine` stands among `children` (node names, not paths). Children that are not candidate
/// nodes are ignored.
pub(crate) fn standing<'a>(children: &'a [String], mine: &str) -> Standing<'a> {
    let Some(my_sequence) = sequence(mine) else {
        return Standing::Absent;
    };
    if !children.iter().any(|child| child == mine) {
        return Standing::Absent;
    }
    let predecessor = children
        .iter()
        .filter_map(|child| Some((sequence(child)?, child)))
        .filter(|&(seq, _)| seq < my_sequence)
        .max_by_key(|&(seq, _)| seq);
    match predecessor {
        Some((_, name)) => Standing::Behind(name),
        None => Standing::First,
    }
}

/// The candidate nodes among `children`, in the order they lead: the first leads.
pub(crate) fn in_queue_order(children: &[String]) -> Vec<&String> {
    let mut queued: Vec<(i64, &String)> = children
        .iter()
        .filter_map(|child| Some((sequence(child)?, child)))
        .collect();
    queued.sort();
    queued.into_iter().map(|(_, child)| child).collect()
}

/// The sequence number ZooKeeper appended after the last `lock-` of a candidate node's name.
fn sequence(name: &str) -> Option<i64> {
    let (_, digits) = name.rsplit_once(LOCK_NAME)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn the_lowest_sequence_leads_whatever_the_listing_order() {
        let children = names(&[
            "_c_b-lock-0000000012",
            "_c_a-lock-0000000007",
            "_c_c-lock-0000000009",
        ]);
        assert_eq!(standing(&children, "_c_a-lock-0000000007"), Standing::First);
        assert_eq!(
            standing(&children, "_c_c-lock-0000000009"),
            Standing::Behind("_c_a-lock-0000000007")
        );
        assert_eq!(
            standing(&children, "_c_b-lock-0000000012"),
            Standing::Behind("_c_c-lock-0000000009")
        );
    }

    #[test]
    fn the_queue_is_in_sequence_order_without_foreign_children() {
        let children = names(&["_c_b-lock-0000000012", "other", "_c_a-lock-0000000003"]);
        assert_eq!(
            in_queue_order(&children),
            ["_c_a-lock-0000000003", "_c_b-lock-0000000012"]
        );
    }

    #[test]
    fn a_missing_node_is_absent_and_foreign_children_are_ignored() {
        let children = names(&["_c_a-lock-0000000003", "notes", "_c_x-lock-", "lock-abc"]);
        assert_eq!(standing(&children, "_c_b-lock-0000000004"), Standing::Absent);
        assert_eq!(standing(&children, "_c_a-lock-0000000003"), Standing::First);
    }

    #[test]
    fn sequences_past_ten_digits_still_order() {
        let children = names(&["_c_a-lock-9999999999", "_c_b-lock-0000000000010000000000"]);
        assert_eq!(
            standing(&children, "_c_b-lock-0000000000010000000000"),
            Standing::Behind("_c_a-lock-9999999999")
        );
    }

    #[test]
    fn a_candidate_finds_its_node_by_its_uuid() {
        let mine = Uuid::new_v4();
        let other = Uuid::new_v4();
        let children = vec![
            format!("{}0000000001", node_prefix(other)),
            format!("{}0000000002", node_prefix(mine)),
        ];
        assert_eq!(find_protected(&children, mine), Some(&children[1]));
        assert_eq!(find_protected(&children, Uuid::new_v4()), None);
    }
}
