//! The stream calls of `alluxio.jni.NativeClient`: reading a file (sequential and positioned,
//! straight into the caller's `byte[]`) and writing one. Each stream is its own handle, which
//! keeps the client's runtime alive until the stream is closed.

use alluxio_client::blocking::{FileInStream, FileOutStream};
use alluxio_client::{CreateFileOptions, OpenFileOptions, ReadType};
use jni::JNIEnv;
use jni::objects::{JByteArray, JClass, JString, ReleaseMode};
use jni::sys::{jboolean, jint, jlong};
use parking_lot::Mutex;

use crate::client_calls::{client, create_failure, write_type};
use crate::failure::{Failure, call};
use crate::handle::{borrow, into_handle, release};
use crate::java_types::{java_long, optional_string, path_arg};

/// An open file and its path, for messages. The lock serializes Java threads sharing a stream.
struct InHandle {
    stream: Mutex<FileInStream>,
    path: String,
}

/// A file being written.
struct OutHandle {
    stream: Mutex<FileOutStream>,
}

/// # Safety
/// `handle` is 0 or a live input stream handle.
unsafe fn input<'a>(handle: jlong) -> Result<&'a InHandle, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { borrow(handle, "input stream") }
}

/// # Safety
/// `handle` is 0 or a live output stream handle.
unsafe fn output<'a>(handle: jlong) -> Result<&'a OutHandle, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { borrow(handle, "output stream") }
}

/// Checks `off`/`len` against the array as `InputStream.read` does.
fn array_range(env: &mut JNIEnv, buf: &JByteArray, off: jint, len: jint) -> Result<(usize, usize), Failure> {
    if buf.is_null() {
        return Err(Failure::java(
            "java/lang/NullPointerException",
            "the buffer is null",
        ));
    }
    let size = env.get_array_length(buf)?;
    if off < 0 || len < 0 || len > size - off {
        return Err(Failure::java(
            "java/lang/IndexOutOfBoundsException",
            format!("offset {off} and length {len} do not fit a buffer of {size} bytes"),
        ));
    }
    Ok((off as usize, len as usize))
}

/// Reads into `buf[off..off + len]` with `read`, which fills a slice: the array is pinned
/// (`GetPrimitiveArrayCritical`) so the bytes land in it without another copy; no JNI call is
/// made while it is pinned.
fn read_into_array(
    env: &mut JNIEnv,
    buf: &JByteArray,
    off: jint,
    len: jint,
    read: impl FnOnce(&mut [u8]) -> Result<usize, Failure>,
) -> Result<jint, Failure> {
    let (off, len) = array_range(env, buf, off, len)?;
    if len == 0 {
        return Ok(0);
    }
    // SAFETY: no other JNI call happens while `elements` is alive; the array outlives it.
    let mut elements = unsafe { env.get_array_elements_critical(buf, ReleaseMode::CopyBack) }?;
    // SAFETY: i8 and u8 have the same layout; the range was checked against the array's length.
    let target = unsafe { std::slice::from_raw_parts_mut(elements.as_mut_ptr().add(off).cast::<u8>(), len) };
    let read = read(target);
    drop(elements);
    match read? {
        0 => Ok(-1),
        n => Ok(n as jint),
    }
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_openFile<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
    read_type_name: JString<'local>,
) -> jlong {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        let read_type = optional_string(env, &read_type_name)?
            .map(|name| ReadType::from_alluxio_name(&name))
            .transpose()
            .map_err(|e| Failure::java("java/lang/IllegalArgumentException", e.to_string()))?;
        // SAFETY: Java passes a live client handle or 0.
        let stream = unsafe { client(fs) }?.open_file(&path, OpenFileOptions { read_type })?;
        Ok(into_handle(InHandle {
            stream: Mutex::new(stream),
            path: path.to_string(),
        }))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_length<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
) -> jlong {
    call(&mut env, |_| {
        // SAFETY: Java passes a live input stream handle or 0.
        Ok(java_long(unsafe { input(stream) }?.stream.lock().length()))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_position<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
) -> jlong {
    call(&mut env, |_| {
        // SAFETY: Java passes a live input stream handle or 0.
        Ok(java_long(unsafe { input(stream) }?.stream.lock().position()))
    })
}

/// `read`: up to `len` bytes at the current position into `buf[off..]`; -1 at the end.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_read<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
    buf: JByteArray<'local>,
    off: jint,
    len: jint,
) -> jint {
    call(&mut env, |env| {
        // SAFETY: Java passes a live input stream handle or 0.
        let handle = unsafe { input(stream) }?;
        let mut stream = handle.stream.lock();
        read_into_array(env, &buf, off, len, |target| Ok(stream.read_bytes(target)?))
    })
}

/// `positionedRead`: up to `len` bytes at `position`, leaving the stream's position as it was;
/// -1 at or after the end.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_positionedRead<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
    position: jlong,
    buf: JByteArray<'local>,
    off: jint,
    len: jint,
) -> jint {
    call(&mut env, |env| {
        // SAFETY: Java passes a live input stream handle or 0.
        let handle = unsafe { input(stream) }?;
        let mut stream = handle.stream.lock();
        let position = u64::try_from(position).map_err(|_| {
            Failure::java(
                "java/io/EOFException",
                format!("cannot read {} at negative offset {position}", handle.path),
            )
        })?;
        if position >= stream.length() {
            array_range(env, &buf, off, len)?;
            return Ok(if len == 0 { 0 } else { -1 });
        }
        let resume_at = stream.position();
        stream.seek_to(position)?;
        let read = read_into_array(env, &buf, off, len, |target| Ok(stream.read_bytes(target)?));
        stream.seek_to(resume_at)?;
        read
    })
}

/// `seek`: an `EOFException` before the start or past the end, as HDFS's streams do.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_seek<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
    position: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java passes a live input stream handle or 0.
        let handle = unsafe { input(stream) }?;
        let mut stream = handle.stream.lock();
        match u64::try_from(position) {
            Ok(position) if position <= stream.length() => Ok(stream.seek_to(position)?),
            _ => Err(Failure::java(
                "java/io/EOFException",
                format!(
                    "cannot seek to {position} of {}: it is {} bytes long",
                    handle.path,
                    stream.length()
                ),
            )),
        }
    })
}

/// `closeIn`: releases the stream's block locks and connections and frees the handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_closeIn<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java passes each stream handle to a closing call once, then forgets it.
        match unsafe { release::<InHandle>(stream) } {
            Some(handle) => Ok(handle.stream.into_inner().close()?),
            None => Ok(()),
        }
    })
}

/// `createFile`: block size 0 and a null write type keep the configured defaults.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_createFile<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
    block_size: jlong,
    write_type_name: JString<'local>,
    recursive: jboolean,
) -> jlong {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        let block_size_bytes = match u64::try_from(block_size) {
            Ok(0) => None,
            Ok(size) => Some(size),
            Err(_) => {
                return Err(Failure::java(
                    "java/lang/IllegalArgumentException",
                    format!("the block size of {path} cannot be negative ({block_size})"),
                ));
            }
        };
        let options = CreateFileOptions {
            recursive: recursive != 0,
            block_size_bytes,
            write_type: write_type(optional_string(env, &write_type_name)?)?,
            ..Default::default()
        };
        // SAFETY: Java passes a live client handle or 0.
        let fs = unsafe { client(fs) }?;
        let stream = fs
            .create_file(&path, options)
            .map_err(|err| create_failure(fs, &path, err))?;
        Ok(into_handle(OutHandle {
            stream: Mutex::new(stream),
        }))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_write<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
    buf: JByteArray<'local>,
    off: jint,
    len: jint,
) {
    call(&mut env, |env| {
        // SAFETY: Java passes a live output stream handle or 0.
        let handle = unsafe { output(stream) }?;
        let (off, len) = array_range(env, &buf, off, len)?;
        let mut stream = handle.stream.lock();
        // SAFETY: no other JNI call happens while `elements` is alive; the array outlives it.
        let elements = unsafe { env.get_array_elements_critical(&buf, ReleaseMode::NoCopyBack) }?;
        // SAFETY: i8 and u8 have the same layout; the range was checked against the array's length.
        let source = unsafe { std::slice::from_raw_parts(elements.as_ptr().add(off).cast::<u8>(), len) };
        let written = stream.write_bytes(source);
        drop(elements);
        Ok(written?)
    })
}

/// `closeOut`: writes the last block, completes the file and frees the handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_closeOut<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java passes each stream handle to a closing call once, then forgets it.
        if let Some(handle) = unsafe { release::<OutHandle>(stream) } {
            handle.stream.into_inner().close()?;
        }
        Ok(())
    })
}

/// `cancelOut`: abandons the file (nothing of it stays) and frees the handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_cancelOut<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    stream: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java passes each stream handle to a closing call once, then forgets it.
        match unsafe { release::<OutHandle>(stream) } {
            Some(handle) => Ok(handle.stream.into_inner().cancel()?),
            None => Ok(()),
        }
    })
}
