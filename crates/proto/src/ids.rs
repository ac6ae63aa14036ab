//! Block and file ids. As in Alluxio, a file's blocks share its *container id*: a block id is the
//! container id shifted left by 24 bits plus a sequence number, and the file id is the container
//! id with the all-ones sequence. So the file of any block is known without a lookup.

/// Bits of a block id that hold its sequence number inside the container.
pub const SEQUENCE_BITS: u32 = 24;
/// The largest sequence number; also the sequence part of every file or directory id.
pub const MAX_SEQUENCE: u64 = (1 << SEQUENCE_BITS) - 1;

/// The id of block `sequence` of container `container_id`.
pub fn block_id(container_id: u64, sequence: u64) -> u64 {
    debug_assert!(sequence < MAX_SEQUENCE);
    (container_id << SEQUENCE_BITS) | sequence
}

/// The container id of a block or file id.
pub fn container_id(id: u64) -> u64 {
    id >> SEQUENCE_BITS
}

/// The sequence number of a block inside its file.
pub fn sequence(block_id: u64) -> u64 {
    block_id & MAX_SEQUENCE
}

/// The file (or directory) id of a container.
pub fn file_id(container_id: u64) -> u64 {
    (container_id << SEQUENCE_BITS) | MAX_SEQUENCE
}

/// The id of the file a block belongs to.
pub fn file_id_of_block(block_id: u64) -> u64 {
    file_id(container_id(block_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_round_trip_to_their_file() {
        let b = block_id(7, 3);
        assert_eq!(container_id(b), 7);
        assert_eq!(sequence(b), 3);
        assert_eq!(file_id_of_block(b), file_id(7));
        assert_ne!(b, file_id(7));
    }
}
