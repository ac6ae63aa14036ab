//! Helpers for the tests that claim journals and promote standbys: what a claim read, held
//! whole to compare.

use alluxio_journal::{ClaimedJournal, Journal, JournalEntry, JournalError, Replay, Tail};

/// The entries of `replay`, read whole.
pub fn read_whole(replay: Replay) -> Vec<JournalEntry> {
    replay.collect::<Result<_, _>>().unwrap()
}

/// A claimed journal's writer, started, with the entries read, held whole.
pub fn begun(claimed: (ClaimedJournal, Replay)) -> (Journal, Vec<JournalEntry>) {
    let entries = read_whole(claimed.1);
    (claimed.0.begin().unwrap(), entries)
}

/// The entries of a tail that continues what was read before (a restart fails the test).
pub fn continued(tail: Tail) -> Vec<JournalEntry> {
    match tail {
        Tail::Entries(entries) => entries,
        Tail::Restart(replay) => panic!("expected the entries after those read, got a restart: {replay:?}"),
    }
}

/// The entries of a tail that starts over from a checkpoint, read whole (entries continuing
/// what was read fail the test).
pub fn restarted_from(tail: Tail) -> Vec<JournalEntry> {
    match tail {
        Tail::Restart(replay) => read_whole(replay),
        Tail::Entries(entries) => panic!("expected a restart, got the entries after those read: {entries:?}"),
    }
}

/// A promoted standby's writer, started, with the entries it had not read before; a restart
/// fails the test.
pub fn promoted(
    claimed: Result<(ClaimedJournal, Tail), JournalError>,
) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
    let (claimed, tail) = claimed?;
    let entries = continued(tail);
    Ok((claimed.begin()?, entries))
}
