//! Changes already applied, by the id their client named them with, so that a change retried
//! after its answer was lost (its master killed mid-call, a connection cut) is answered instead
//! of applied twice. The id travels on the change's last journal entry, so a standby that takes
//! over knows every change its predecessor applied, as far back as the journal's last checkpoint.

use std::collections::{HashMap, VecDeque};

use alluxio_proto::grpc::OperationId;
use alluxio_proto::grpc::journal_entry::Entry;

/// How many applied changes are remembered: Alluxio's default retry cache size. Retries come
/// within seconds of the change, so only the most recent matter.
const REMEMBERED: usize = 100_000;

/// What an applied change produced that its retry must be answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Nothing beyond the namespace as it now is.
    Done,
    /// The block id a GetNewBlockIdForFile allocated.
    NewBlock(u64),
}

/// The most recent changes applied, with what each produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppliedOperations {
    outcomes: HashMap<(u64, u64), Applied>,
    /// Ids in the order they were applied, the oldest first, to forget.
    order: VecDeque<(u64, u64)>,
}

impl AppliedOperations {
    /// Remembers that the change `id` is applied, `last` being its last entry.
    pub fn record(&mut self, id: &OperationId, last: &Entry) {
        let applied = match last {
            Entry::AddBlock(add) => Applied::NewBlock(add.block_id),
            _ => Applied::Done,
        };
        let key = (id.high, id.low);
        if self.outcomes.insert(key, applied).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.outcomes.remove(&oldest);
            }
        }
    }

    /// What the change `id` produced, if it is applied (and recent enough to be remembered).
    pub fn get(&self, id: &OperationId) -> Option<Applied> {
        self.outcomes.get(&(id.high, id.low)).copied()
    }
}

#[cfg(test)]
mod tests {
    use alluxio_proto::grpc::{JournalAddBlock, JournalDelete};

    use super::*;

    fn id(low: u64) -> OperationId {
        OperationId { high: 7, low }
    }

    #[test]
    fn remembers_what_each_change_produced_and_forgets_the_oldest() {
        let mut applied = AppliedOperations::default();
        let add = Entry::AddBlock(JournalAddBlock {
            file_id: 1,
            block_id: 42,
        });
        applied.record(&id(0), &add);
        applied.record(&id(1), &Entry::Delete(JournalDelete::default()));
        assert_eq!(applied.get(&id(0)), Some(Applied::NewBlock(42)));
        assert_eq!(applied.get(&id(1)), Some(Applied::Done));
        assert_eq!(applied.get(&OperationId { high: 8, low: 0 }), None);
        for low in 2..(REMEMBERED as u64 + 1) {
            applied.record(&id(low), &Entry::Delete(JournalDelete::default()));
        }
        assert_eq!(applied.get(&id(0)), None, "the oldest is forgotten");
        assert_eq!(applied.get(&id(1)), Some(Applied::Done));
        assert_eq!(applied.order.len(), REMEMBERED);
    }
}
