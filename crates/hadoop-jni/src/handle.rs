//! Rust objects handed to Java as `long` handles: a boxed value whose address Java keeps and
//! passes back. The Java side guarantees a handle is freed exactly once and never used after;
//! 0 (a closed or never-opened object) is refused with an `IOException` instead of dereferenced.

use jni::sys::jlong;

use crate::failure::Failure;

/// Moves `value` to the heap and returns its handle.
pub(crate) fn into_handle<T>(value: T) -> jlong {
    Box::into_raw(Box::new(value)) as jlong
}

/// The object behind `handle`.
///
/// # Safety
/// `handle` is 0 or was returned by [`into_handle`] for a `T` and not yet passed to [`release`].
pub(crate) unsafe fn borrow<'a, T>(handle: jlong, what: &str) -> Result<&'a T, Failure> {
    if handle == 0 {
        return Err(Failure::io(format!("the {what} is closed")));
    }
    // SAFETY: per the contract above, a non-zero handle points at a live `T`.
    Ok(unsafe { &*(handle as *const T) })
}

/// Takes back the object behind `handle`, which Java no longer holds; `None` for 0.
///
/// # Safety
/// As [`borrow`]; after this call the handle is dangling.
pub(crate) unsafe fn release<T>(handle: jlong) -> Option<Box<T>> {
    // SAFETY: per the contract above, a non-zero handle came from `Box::into_raw` of a `T`.
    (handle != 0).then(|| unsafe { Box::from_raw(handle as *mut T) })
}
