//! Which pieces of the log count. A piece (a local segment or a UFS log object) is named with
//! the epoch of the leader that wrote it and the epoch it continued from: the newest epoch that
//! had pieces when that leader read the log, after claiming its own epoch. The log is then fixed
//! by names alone: start at the newest epoch's pieces, go on with the pieces of the epoch it
//! continued from that begin before it, and so on down to the sequence a reader needs. Pieces a
//! deposed leader created after its successor read the log lie on no chain and are ignored, and
//! so are the entries it appended to a piece past the point where its successor took over.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A run of consecutive log entries stored together, as its name describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The sequence of its first entry (of the next entry while it holds none).
    pub(crate) first: u64,
    /// The last sequence its name declares (UFS objects; `first - 1` for an empty object that
    /// starts an epoch); `None` where the name does not say (local segments grow).
    pub(crate) last: Option<u64>,
    /// The epoch of the leader that wrote it (0 for journals written before epochs existed).
    pub(crate) epoch: u64,
    /// The epoch whose pieces it continues.
    pub(crate) after: u64,
    /// The file, or the object's URI.
    pub(crate) path: PathBuf,
}

/// A piece on the chain, with where its part of the log ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// The piece.
    pub(crate) piece: Piece,
    /// Entries at or after this sequence belong to the next link; `None` for the newest piece.
    pub(crate) end: Option<u64>,
}

/// The log as the names describe it.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// In sequence order, from the one holding the sequence asked for.
    pub(crate) links: Vec<Link>,
    /// Links wholly before the sequence asked for (a checkpoint covers them).
    pub(crate) covered: Vec<Link>,
    /// Pieces on no chain, or older than the chain needed to go.
    pub(crate) unused: Vec<Piece>,
    /// The newest epoch with pieces (0 without any).
    pub(crate) head: u64,
}

/// A piece whose name contradicts the chain.
#[derive(Debug)]
pub(crate) struct BadName {
    /// The piece.
    pub(crate) path: PathBuf,
    /// What is wrong.
    pub(crate) reason: String,
}

/// Builds the chain of `pieces` far enough back to hold sequence `need_from`.
pub(crate) fn build(pieces: Vec<Piece>, need_from: u64) -> Result<Chain, BadName> {
    let head = pieces.iter().map(|p| p.epoch).max().unwrap_or(0);
    let mut by_epoch: BTreeMap<u64, Vec<Piece>> = BTreeMap::new();
    for piece in pieces {
        by_epoch.entry(piece.epoch).or_default().push(piece);
    }
    let mut reversed = Vec::new();
    let (mut epoch, mut upper) = (head, None);
    while let Some(all) = by_epoch.get_mut(&epoch) {
        // Pieces an epoch wrote from where its successor starts on were never part of the log.
        let (mut run, rest): (Vec<Piece>, Vec<Piece>) = std::mem::take(all)
            .into_iter()
            .partition(|p| upper.is_none_or(|upper| p.first < upper));
        *all = rest;
        if run.is_empty() {
            // A leader that wrote nothing before its successor started where it had started
            // (a master restarted twice with no change in between): its first piece holds
            // nothing of the log but still links the successor to the epoch it continued, so it
            // stays on the chain, and the chain goes on below it.
            let Some(at) = upper else { break };
            let Some(index) = all.iter().position(|p| p.first == at) else {
                break;
            };
            let piece = all.swap_remove(index);
            let after = piece.after;
            reversed.push(Link { piece, end: upper });
            if at <= need_from || epoch == 0 {
                break;
            }
            if after >= epoch {
                return Err(not_older(&reversed[reversed.len() - 1].piece.path, epoch, after));
            }
            epoch = after;
            continue;
        }
        run.sort_by_key(|p| (p.first, p.last));
        let (lowest, after) = (run[0].first, run[0].after);
        let path = run[0].path.clone();
        let ends: Vec<Option<u64>> = run.iter().skip(1).map(|p| Some(p.first)).chain([upper]).collect();
        for (piece, end) in run.into_iter().zip(ends).rev() {
            reversed.push(Link { piece, end });
        }
        if lowest <= need_from || epoch == 0 {
            break;
        }
        if after >= epoch {
            return Err(not_older(&path, epoch, after));
        }
        (epoch, upper) = (after, Some(lowest));
    }
    reversed.reverse();
    let (links, covered): (Vec<Link>, Vec<Link>) = reversed
        .into_iter()
        .partition(|link| link.end.is_none_or(|end| end > need_from));
    Ok(Chain {
        links,
        covered,
        unused: by_epoch.into_values().flatten().collect(),
        head,
    })
}

fn not_older(path: &std::path::Path, epoch: u64, after: u64) -> BadName {
    BadName {
        path: path.to_path_buf(),
        reason: format!("epoch {epoch} cannot continue epoch {after}, which is not older"),
    }
}

/// The suffix naming a piece's epoch and the epoch it continues: `.e<epoch>.after<after>`.
pub(crate) fn epoch_suffix(epoch: u64, after: u64) -> String {
    format!(".e{epoch}.after{after}")
}

/// Splits `name` into what precedes an epoch suffix and the suffix's `(epoch, after)`; a name
/// without one is of epoch 0.
pub(crate) fn split_epoch_suffix(name: &str) -> Option<(&str, u64, u64)> {
    let Some((rest, after)) = name.rsplit_once(".after") else {
        return Some((name, 0, 0));
    };
    let (stem, epoch) = rest.rsplit_once(".e")?;
    let (epoch, after) = (epoch.parse().ok()?, after.parse().ok()?);
    (epoch > 0).then_some((stem, epoch, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(first: u64, epoch: u64, after: u64) -> Piece {
        Piece {
            first,
            last: None,
            epoch,
            after,
            path: PathBuf::from(format!("log.{first}{}", epoch_suffix(epoch, after))),
        }
    }

    fn links(chain: &Chain) -> Vec<(u64, u64, Option<u64>)> {
        chain
            .links
            .iter()
            .map(|l| (l.piece.first, l.piece.epoch, l.end))
            .collect()
    }

    fn unused(chain: &Chain) -> Vec<(u64, u64)> {
        let covered = chain.covered.iter().map(|l| &l.piece);
        let mut unused: Vec<(u64, u64)> = chain
            .unused
            .iter()
            .chain(covered)
            .map(|p| (p.first, p.epoch))
            .collect();
        unused.sort_unstable();
        unused
    }

    #[test]
    fn legacy_segments_chain_by_first_sequence() {
        let chain = build(vec![piece(20, 0, 0), piece(1, 0, 0), piece(11, 0, 0)], 1).unwrap();
        assert_eq!(
            links(&chain),
            [(1, 0, Some(11)), (11, 0, Some(20)), (20, 0, None)]
        );
        assert_eq!(chain.head, 0);
    }

    #[test]
    fn an_epoch_that_wrote_nothing_still_links_its_successor_to_the_older_log() {
        // Epoch 1 wrote 1..10 (a checkpoint covers 1..6); two restarts wrote nothing.
        let pieces = vec![piece(1, 1, 0), piece(11, 2, 1), piece(11, 3, 2)];
        let chain = build(pieces, 7).unwrap();
        assert_eq!(
            links(&chain),
            [(1, 1, Some(11)), (11, 2, Some(11)), (11, 3, None)]
        );
        assert_eq!(unused(&chain), [], "nothing of the log may be deleted");
        let chain = build(vec![piece(1, 1, 0), piece(11, 2, 1), piece(11, 3, 2)], 12).unwrap();
        assert_eq!(links(&chain), [(11, 3, None)]);
        assert_eq!(
            unused(&chain),
            [(1, 1), (11, 2)],
            "a checkpoint through 11 covers them"
        );
    }

    #[test]
    fn a_newer_epoch_cuts_the_older_one_where_it_starts() {
        // Epoch 1 wrote 1.. and, after epoch 2 read it up to 150, a late segment from 151.
        let pieces = vec![
            piece(1, 1, 0),
            piece(151, 1, 0),
            piece(151, 2, 1),
            piece(160, 2, 1),
        ];
        let chain = build(pieces, 1).unwrap();
        assert_eq!(
            links(&chain),
            [(1, 1, Some(151)), (151, 2, Some(160)), (160, 2, None)]
        );
        assert_eq!(unused(&chain), [(151, 1)]);
        assert_eq!(chain.head, 2);
    }

    #[test]
    fn an_epoch_its_successor_never_saw_is_skipped() {
        // Epoch 2 created its segment at 120 after epoch 3 had read epoch 1 up to 130.
        let pieces = vec![piece(1, 1, 0), piece(120, 2, 1), piece(131, 3, 1)];
        let chain = build(pieces, 1).unwrap();
        assert_eq!(links(&chain), [(1, 1, Some(131)), (131, 3, None)]);
        assert_eq!(unused(&chain), [(120, 2)]);
    }

    #[test]
    fn the_walk_stops_where_the_needed_sequence_is_and_the_rest_is_unused() {
        let pieces = vec![piece(1, 0, 0), piece(5, 1, 0), piece(9, 1, 0), piece(12, 2, 1)];
        let chain = build(pieces.clone(), 10).unwrap();
        assert_eq!(links(&chain), [(9, 1, Some(12)), (12, 2, None)]);
        assert_eq!(unused(&chain), [(1, 0), (5, 1)]);
        let chain = build(pieces, 12).unwrap();
        assert_eq!(links(&chain), [(12, 2, None)]);
    }

    #[test]
    fn empty_start_pieces_sort_before_the_batches_of_their_epoch() {
        let start = Piece {
            last: Some(6),
            ..piece(7, 2, 1)
        };
        let batch = Piece {
            last: Some(9),
            ..piece(7, 2, 1)
        };
        let chain = build(vec![batch, piece(1, 1, 0), start], 1).unwrap();
        let lasts: Vec<Option<u64>> = chain.links.iter().map(|l| l.piece.last).collect();
        assert_eq!(lasts, [None, Some(6), Some(9)]);
        assert_eq!(chain.links[1].end, Some(7), "the start piece holds nothing");
    }

    #[test]
    fn no_pieces_is_an_empty_chain_and_a_bad_predecessor_is_refused() {
        let chain = build(Vec::new(), 1).unwrap();
        assert!(chain.links.is_empty());
        assert_eq!(chain.head, 0);
        let err = build(vec![piece(5, 2, 2)], 1).unwrap_err();
        assert!(
            err.reason.contains("epoch 2 cannot continue epoch 2"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn epoch_suffixes_round_trip() {
        let name = format!("log.00000000000000000007{}", epoch_suffix(3, 1));
        assert_eq!(name, "log.00000000000000000007.e3.after1");
        assert_eq!(
            split_epoch_suffix(&name),
            Some(("log.00000000000000000007", 3, 1))
        );
        assert_eq!(split_epoch_suffix("log.7"), Some(("log.7", 0, 0)));
        assert_eq!(split_epoch_suffix("log.7.ex.after1"), None);
        assert_eq!(split_epoch_suffix("log.7.e0.after0"), None);
    }
}
