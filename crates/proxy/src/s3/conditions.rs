//! Conditional reads (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`),
//! evaluated in RFC 7232's order, which is also S3's: an `If-Match` that holds overrides a
//! failing `If-Unmodified-Since`, and an `If-None-Match` that fails overrides a holding
//! `If-Modified-Since`. Times compare in whole seconds, as HTTP dates carry no more.

use axum::http::{HeaderMap, header::ETAG};
use s3s::dto::{ETagCondition, Timestamp};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::store::seconds;

/// The conditions of one request.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Conditions<'a> {
    pub(crate) if_match: Option<&'a ETagCondition>,
    pub(crate) if_none_match: Option<&'a ETagCondition>,
    pub(crate) if_modified_since: Option<&'a Timestamp>,
    pub(crate) if_unmodified_since: Option<&'a Timestamp>,
}

/// The outcome for a read that fails its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// 412: the client's precondition does not hold.
    Precondition,
    /// 304: the client's copy is current.
    NotModified,
}

impl Conditions<'_> {
    /// `Ok` if a read of an object with `etag` (unquoted) last modified at `modified_ms` may
    /// proceed; else `PreconditionFailed` (412) or `NotModified` (304).
    pub(crate) fn check(&self, etag: &str, modified_ms: i64) -> S3Result<()> {
        match self.evaluate(etag, seconds(modified_ms)) {
            None => Ok(()),
            Some(Failure::Precondition) => Err(S3Error::with_message(
                S3ErrorCode::PreconditionFailed,
                "at least one of the preconditions (If-Match, If-Unmodified-Since) does not hold",
            )),
            Some(Failure::NotModified) => {
                let mut err = S3Error::with_message(S3ErrorCode::NotModified, "the object was not modified");
                let mut headers = HeaderMap::new();
                if let Ok(value) = format!("\"{etag}\"").parse() {
                    headers.insert(ETAG, value);
                }
                err.set_headers(headers);
                Err(err)
            }
        }
    }

    fn evaluate(&self, etag: &str, modified: i64) -> Option<Failure> {
        match self.if_match {
            Some(condition) if !matches(condition, etag) => return Some(Failure::Precondition),
            Some(_) => {}
            None => {
                if self
                    .if_unmodified_since
                    .is_some_and(|since| modified > unix_seconds(since))
                {
                    return Some(Failure::Precondition);
                }
            }
        }
        match self.if_none_match {
            Some(condition) if matches(condition, etag) => Some(Failure::NotModified),
            Some(_) => None,
            None => self
                .if_modified_since
                .filter(|since| modified <= unix_seconds(since))
                .map(|_| Failure::NotModified),
        }
    }
}

/// Whether an `If-(None-)Match` value names `etag` (weak comparison, as for GET).
fn matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(given) => given.value() == etag,
    }
}

fn unix_seconds(timestamp: &Timestamp) -> i64 {
    time::OffsetDateTime::from(timestamp.clone()).unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::ETag;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(seconds).unwrap())
    }

    fn tag(value: &str) -> ETagCondition {
        ETagCondition::ETag(ETag::Strong(value.into()))
    }

    #[test]
    fn conditions_follow_rfc_7232() {
        let (good, bad, any) = (tag("abc"), tag("xyz"), ETagCondition::Any);
        let (before, same, after) = (at(99), at(100), at(101));
        let none = Conditions::default();
        let modified = 100;
        assert_eq!(none.evaluate("abc", modified), None);

        let c = |m, n, ms, us| Conditions {
            if_match: m,
            if_none_match: n,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        assert_eq!(c(Some(&good), None, None, None).evaluate("abc", modified), None);
        assert_eq!(c(Some(&any), None, None, None).evaluate("abc", modified), None);
        assert_eq!(
            c(Some(&bad), None, None, None).evaluate("abc", modified),
            Some(Failure::Precondition)
        );
        assert_eq!(
            c(None, Some(&good), None, None).evaluate("abc", modified),
            Some(Failure::NotModified)
        );
        assert_eq!(c(None, Some(&bad), None, None).evaluate("abc", modified), None);
        assert_eq!(
            c(None, None, Some(&same), None).evaluate("abc", modified),
            Some(Failure::NotModified)
        );
        assert_eq!(c(None, None, Some(&before), None).evaluate("abc", modified), None);
        assert_eq!(
            c(None, None, None, Some(&before)).evaluate("abc", modified),
            Some(Failure::Precondition)
        );
        assert_eq!(c(None, None, None, Some(&after)).evaluate("abc", modified), None);
        // If-Match holding wins over a failing If-Unmodified-Since.
        assert_eq!(
            c(Some(&good), None, None, Some(&before)).evaluate("abc", modified),
            None
        );
        // If-None-Match failing (no match) wins over If-Modified-Since.
        assert_eq!(
            c(None, Some(&bad), Some(&after), None).evaluate("abc", modified),
            None
        );
    }

    #[test]
    fn failures_have_their_status() {
        let bad = tag("xyz");
        let cond = Conditions {
            if_match: Some(&bad),
            ..Conditions::default()
        };
        let err = cond.check("abc", 0).unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::PreconditionFailed);
        let good = tag("abc");
        let cond = Conditions {
            if_none_match: Some(&good),
            ..Conditions::default()
        };
        let err = cond.check("abc", 0).unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::NotModified);
        assert_eq!(err.headers().unwrap()[ETAG], "\"abc\"");
    }
}
