//! The namespace calls of `alluxio.jni.NativeClient`: connecting, statuses, listings, block
//! locations, directories, deletes and renames. Each takes the client handle `connect` returned.

use alluxio_client::blocking::FileSystem;
use alluxio_client::{
    AlluxioPath, ClientError, CreateDirectoryOptions, DeleteOptions, ErrorKind, IMPERSONATE_HADOOP_USER,
    ListStatusOptions, WriteType,
};
use alluxio_conf::{ConfError, Configuration, keys};
use jni::JNIEnv;
use jni::objects::{JClass, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jlong};

use crate::failure::{Failure, call};
use crate::handle::{borrow, into_handle, release};
use crate::java_types::{block_array, optional_string, path_arg, status_array, status_object, string_array};

/// The client behind a handle.
///
/// # Safety
/// As [`borrow`]: `handle` is 0 or a live client handle.
pub(crate) unsafe fn client<'a>(handle: jlong) -> Result<&'a FileSystem, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { borrow(handle, "Alluxio file system") }
}

/// A create of `path` that failed with `err`: when an ancestor of `path` is a file, the
/// `ParentNotDirectoryException` Hadoop callers expect; otherwise `err` as it is.
pub(crate) fn create_failure(fs: &FileSystem, path: &AlluxioPath, err: ClientError) -> Failure {
    if err.kind() == ErrorKind::FailedPrecondition {
        let mut ancestor = path.parent();
        while let Some(dir) = ancestor {
            match fs.get_status(&dir) {
                Ok(info) if !info.folder => {
                    return Failure::java(
                        "org/apache/hadoop/fs/ParentNotDirectoryException",
                        format!("cannot create {path}: {dir} is a file, not a directory"),
                    );
                }
                Ok(_) => break,
                Err(_) => ancestor = dir.parent(),
            }
        }
    }
    Failure::Client(err)
}

/// A write type name (`MUST_CACHE`, ...) given per call; `None` keeps the configured default.
pub(crate) fn write_type(name: Option<String>) -> Result<Option<WriteType>, Failure> {
    name.map(|name| WriteType::from_alluxio_name(&name))
        .transpose()
        .map_err(|e| Failure::java("java/lang/IllegalArgumentException", e.to_string()))
}

/// `connect(String[] keyValues, String hadoopUser)`: a client configured as the Rust client is
/// (site file, environment) with the given properties on top, acting for `hadoopUser` unless
/// `alluxio.security.login.impersonation.username` names someone else (or `_NONE_`); nothing is
/// dialled until the first call.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_connect<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    key_values: JObjectArray<'local>,
    hadoop_user: JString<'local>,
) -> jlong {
    call(&mut env, |env| {
        let hadoop_user = optional_string(env, &hadoop_user)?;
        let strings = string_array(env, &key_values, "properties")?;
        if strings.len() % 2 != 0 {
            return Err(Failure::java(
                "java/lang/IllegalArgumentException",
                "the properties must alternate key and value",
            ));
        }
        let properties = strings
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect();
        let invalid = |e: ConfError| Failure::io(format!("invalid Alluxio configuration: {e}"));
        let mut conf = Configuration::load(properties).map_err(invalid)?;
        let acting_for = conf
            .get(keys::SECURITY_LOGIN_IMPERSONATION_USERNAME)
            .map_err(invalid)?;
        if let Some(user) = hadoop_user
            && acting_for.trim() == IMPERSONATE_HADOOP_USER
        {
            conf.set(keys::SECURITY_LOGIN_IMPERSONATION_USERNAME, user);
        }
        Ok(into_handle(FileSystem::connect(conf)?))
    })
}

/// `disconnect(long fs)`: frees the client; streams opened from it keep working until closed.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_disconnect<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java passes each client handle here once, then forgets it.
        drop(unsafe { release::<FileSystem>(fs) });
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_getStatus<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
) -> JObject<'local> {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        // SAFETY: Java passes a live client handle or 0.
        let info = unsafe { client(fs) }?.get_status(&path)?;
        status_object(env, &info)
    })
}

/// `listStatus`: a directory's entries, or a file's own status.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_listStatus<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
) -> JObjectArray<'local> {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        // SAFETY: Java passes a live client handle or 0.
        let infos = unsafe { client(fs) }?.list_status(&path, ListStatusOptions::default())?;
        status_array(env, &infos)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_exists<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
) -> jboolean {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        // SAFETY: Java passes a live client handle or 0.
        Ok(unsafe { client(fs) }?.exists(&path)?.into())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_createDirectory<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
    recursive: jboolean,
    allow_exists: jboolean,
    write_type_name: JString<'local>,
) {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        let options = CreateDirectoryOptions {
            recursive: recursive != 0,
            allow_exists: allow_exists != 0,
            write_type: write_type(optional_string(env, &write_type_name)?)?,
        };
        // SAFETY: Java passes a live client handle or 0.
        let fs = unsafe { client(fs) }?;
        fs.create_directory(&path, options)
            .map_err(|err| create_failure(fs, &path, err))
    })
}

/// `delete`: a non-empty directory without `recursive` is a `PathIsNotEmptyDirectoryException`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_delete<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
    recursive: jboolean,
) {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        let options = DeleteOptions {
            recursive: recursive != 0,
            ..Default::default()
        };
        // SAFETY: Java passes a live client handle or 0.
        match unsafe { client(fs) }?.delete(&path, options) {
            Err(e) if e.kind() == ErrorKind::FailedPrecondition && recursive == 0 => Err(Failure::java(
                "org/apache/hadoop/fs/PathIsNotEmptyDirectoryException",
                e.to_string(),
            )),
            other => Ok(other?),
        }
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_rename<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    src: JString<'local>,
    dst: JString<'local>,
) {
    call(&mut env, |env| {
        let (src, dst) = (path_arg(env, &src)?, path_arg(env, &dst)?);
        // SAFETY: Java passes a live client handle or 0.
        Ok(unsafe { client(fs) }?.rename(&src, &dst)?)
    })
}

/// `blockLocations`: every block of the file, with the workers holding it.
#[unsafe(no_mangle)]
pub extern "system" fn Java_alluxio_jni_NativeClient_blockLocations<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fs: jlong,
    path: JString<'local>,
) -> JObjectArray<'local> {
    call(&mut env, |env| {
        let path = path_arg(env, &path)?;
        // SAFETY: Java passes a live client handle or 0.
        let info = unsafe { client(fs) }?.get_status(&path)?;
        block_array(env, &info)
    })
}
