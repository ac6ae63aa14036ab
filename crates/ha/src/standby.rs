//! How a standby master refuses a call, and how a caller recognises the refusal: gRPC status
//! UNAVAILABLE carrying the leader's `host:port` (empty while none is known) in a metadata
//! entry. A refused call was never applied, so any call, even one that changes the namespace,
//! may be sent again to the leader. Also how a caller recognises a master that is gone.

use tonic::Status;
use tonic::metadata::MetadataValue;

/// The metadata key of a standby's refusal.
pub const STANDBY_LEADER_KEY: &str = "alluxio-standby-leader";

/// The status a standby master at `me` answers every call with, naming `leader` when known.
pub fn standby_refusal(me: &str, leader: Option<&str>) -> Status {
    let known = leader.unwrap_or_default();
    let message = match leader {
        Some(leader) => format!("the master at {me} is a standby; the leader is {leader}"),
        None => format!("the master at {me} is a standby and no leader is elected yet"),
    };
    let mut status = Status::unavailable(message);
    if let Ok(value) = MetadataValue::try_from(known) {
        status.metadata_mut().insert(STANDBY_LEADER_KEY, value);
    }
    status
}

/// When `status` is a standby's refusal: the leader it names (`None` if it knew none).
pub fn refused_by_standby(status: &Status) -> Option<Option<String>> {
    let value = status.metadata().get(STANDBY_LEADER_KEY)?;
    let leader = value.to_str().ok().filter(|l| !l.is_empty()).map(str::to_string);
    Some(leader)
}

/// Whether `status` shows the master unreachable rather than answering: UNAVAILABLE (a
/// standby's refusal is one too: ask [`refused_by_standby`] first), or any status tonic built
/// around a transport failure (a connection closed under a call surfaces with other codes).
pub fn master_lost(status: &Status) -> bool {
    if status.code() == tonic::Code::Unavailable {
        return true;
    }
    let mut source = std::error::Error::source(status);
    while let Some(err) = source {
        if err.is::<tonic::transport::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_leader_when_known() {
        let status = standby_refusal("m2:19998", Some("m1:19998"));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(status.message().contains("standby") && status.message().contains("m1:19998"));
        assert_eq!(refused_by_standby(&status), Some(Some("m1:19998".to_string())));
        let status = standby_refusal("m2:19998", None);
        assert_eq!(refused_by_standby(&status), Some(None));
        assert_eq!(
            refused_by_standby(&Status::unavailable("connection refused")),
            None
        );
    }

    #[test]
    fn unavailable_is_a_lost_master_and_an_answer_is_not() {
        assert!(master_lost(&Status::unavailable("connection refused")));
        assert!(!master_lost(&Status::not_found("/a")));
        assert!(!master_lost(&Status::deadline_exceeded("slow")));
    }
}
