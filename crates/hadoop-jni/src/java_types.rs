//! Conversions between Java values and the client's: strings in, `alluxio.jni.NativeStatus` and
//! `alluxio.jni.NativeBlock` out. The constructor signatures here and the Java classes must
//! agree (crates/hadoop-jni/java/src/alluxio/jni). Each class and constructor is looked up once
//! and kept: a lookup per call costs as much as the rest of a `getFileStatus`.

use std::sync::OnceLock;

use alluxio_client::{AlluxioPath, ClientError, FileInfo};
use jni::JNIEnv;
use jni::objects::{GlobalRef, JMethodID, JObject, JObjectArray, JString, JValue};

use crate::failure::Failure;

/// A class of the Java layer and its constructor, kept for the life of the library.
struct JavaClass {
    class: GlobalRef,
    constructor: JMethodID,
}

static STATUS: OnceLock<JavaClass> = OnceLock::new();
static BLOCK: OnceLock<JavaClass> = OnceLock::new();

/// The class `name` and its constructor of signature `constructor`, looked up on first use.
fn java_class(
    env: &mut JNIEnv,
    cell: &'static OnceLock<JavaClass>,
    name: &str,
    constructor: &str,
) -> Result<&'static JavaClass, Failure> {
    if let Some(class) = cell.get() {
        return Ok(class);
    }
    let local = env.find_class(name)?;
    let constructor = env.get_method_id(&local, "<init>", constructor)?;
    let class = env.new_global_ref(&local)?;
    env.delete_local_ref(local)?;
    Ok(cell.get_or_init(|| JavaClass { class, constructor }))
}

/// A new object of `class` from `args`, which must match the constructor's signature.
fn new_instance<'local>(
    env: &mut JNIEnv<'local>,
    class: &JavaClass,
    args: &[JValue],
) -> Result<JObject<'local>, Failure> {
    let args: Vec<_> = args.iter().map(JValue::as_jni).collect();
    // SAFETY: the constructor was looked up on this class with the signature the callers' argument
    // lists follow (one place each, next to the signature constant).
    Ok(unsafe { env.new_object_unchecked(&class.class, class.constructor, &args) }?)
}

const STATUS_CLASS: &str = "alluxio/jni/NativeStatus";
const STATUS_CONSTRUCTOR: &str =
    "(Ljava/lang/String;Ljava/lang/String;JJJJLjava/lang/String;Ljava/lang/String;IZZIIZ)V";
const BLOCK_CLASS: &str = "alluxio/jni/NativeBlock";
const BLOCK_CONSTRUCTOR: &str = "(JJ[Ljava/lang/String;[Ljava/lang/String;)V";
const STRING_CLASS: &str = "java/lang/String";

/// A Java string argument that must not be null; `what` names it in the exception.
pub(crate) fn required_string(env: &mut JNIEnv, value: &JString, what: &str) -> Result<String, Failure> {
    optional_string(env, value)?
        .ok_or_else(|| Failure::java("java/lang/NullPointerException", format!("the {what} is null")))
}

/// A Java string argument that may be null.
pub(crate) fn optional_string(env: &mut JNIEnv, value: &JString) -> Result<Option<String>, Failure> {
    if value.is_null() {
        return Ok(None);
    }
    Ok(Some(env.get_string(value)?.into()))
}

/// An Alluxio path argument (`/dir/file`).
pub(crate) fn path_arg(env: &mut JNIEnv, value: &JString) -> Result<AlluxioPath, Failure> {
    let text = required_string(env, value, "path")?;
    Ok(AlluxioPath::new(&text).map_err(ClientError::from)?)
}

/// The strings of a `String[]`; a null element is refused.
pub(crate) fn string_array(
    env: &mut JNIEnv,
    array: &JObjectArray,
    what: &str,
) -> Result<Vec<String>, Failure> {
    if array.is_null() {
        return Err(Failure::java(
            "java/lang/NullPointerException",
            format!("the {what} are null"),
        ));
    }
    let length = env.get_array_length(array)?;
    let mut strings = Vec::with_capacity(length as usize);
    for index in 0..length {
        let element = JString::from(env.get_object_array_element(array, index)?);
        strings.push(required_string(env, &element, what)?);
        env.delete_local_ref(element)?;
    }
    Ok(strings)
}

/// A new `alluxio.jni.NativeStatus` for `info`.
pub(crate) fn status_object<'local>(
    env: &mut JNIEnv<'local>,
    info: &FileInfo,
) -> Result<JObject<'local>, Failure> {
    let path = env.new_string(&info.path)?;
    let name = env.new_string(&info.name)?;
    let owner = env.new_string(&info.owner)?;
    let group = env.new_string(&info.group)?;
    let class = java_class(env, &STATUS, STATUS_CLASS, STATUS_CONSTRUCTOR)?;
    let status = new_instance(
        env,
        class,
        &[
            JValue::Object(&path),
            JValue::Object(&name),
            JValue::Long(java_long(info.length)),
            JValue::Long(java_long(info.block_size_bytes)),
            JValue::Long(info.creation_time_ms),
            JValue::Long(info.last_modification_time_ms),
            JValue::Object(&owner),
            JValue::Object(&group),
            JValue::Int(info.mode as i32),
            JValue::Bool(info.folder.into()),
            JValue::Bool(info.completed.into()),
            JValue::Int(info.in_memory_percentage as i32),
            JValue::Int(info.in_alluxio_percentage as i32),
            JValue::Bool(info.persisted.into()),
        ],
    )?;
    for local in [path, name, owner, group] {
        env.delete_local_ref(local)?;
    }
    Ok(status)
}

/// A `NativeStatus[]` of `infos`, in order.
pub(crate) fn status_array<'local>(
    env: &mut JNIEnv<'local>,
    infos: &[FileInfo],
) -> Result<JObjectArray<'local>, Failure> {
    let class = java_class(env, &STATUS, STATUS_CLASS, STATUS_CONSTRUCTOR)?;
    let array = env.new_object_array(java_length(infos.len())?, &class.class, JObject::null())?;
    for (index, info) in infos.iter().enumerate() {
        let status = status_object(env, info)?;
        env.set_object_array_element(&array, index as i32, &status)?;
        env.delete_local_ref(status)?;
    }
    Ok(array)
}

/// A `NativeBlock[]` of the blocks of `info`, in file order, each with the hosts of the workers
/// holding it and their `host:dataPort` names.
pub(crate) fn block_array<'local>(
    env: &mut JNIEnv<'local>,
    info: &FileInfo,
) -> Result<JObjectArray<'local>, Failure> {
    let blocks = &info.file_block_infos;
    let class = java_class(env, &BLOCK, BLOCK_CLASS, BLOCK_CONSTRUCTOR)?;
    let array = env.new_object_array(java_length(blocks.len())?, &class.class, JObject::null())?;
    for (index, block) in blocks.iter().enumerate() {
        let (length, locations) = block
            .block_info
            .as_ref()
            .map_or((0, &[][..]), |b| (b.length, &b.locations[..]));
        let addresses: Vec<_> = locations
            .iter()
            .filter_map(|l| l.worker_address.as_ref())
            .collect();
        let hosts: Vec<String> = addresses.iter().map(|a| a.host.clone()).collect();
        let names: Vec<String> = addresses
            .iter()
            .map(|a| format!("{}:{}", a.host, a.data_port))
            .collect();
        let hosts = new_string_array(env, &hosts)?;
        let names = new_string_array(env, &names)?;
        let object = new_instance(
            env,
            class,
            &[
                JValue::Long(java_long(block.offset)),
                JValue::Long(java_long(length)),
                JValue::Object(&hosts),
                JValue::Object(&names),
            ],
        )?;
        env.set_object_array_element(&array, index as i32, &object)?;
        for local in [object, JObject::from(hosts), JObject::from(names)] {
            env.delete_local_ref(local)?;
        }
    }
    Ok(array)
}

fn new_string_array<'local>(
    env: &mut JNIEnv<'local>,
    strings: &[String],
) -> Result<JObjectArray<'local>, Failure> {
    let array = env.new_object_array(java_length(strings.len())?, STRING_CLASS, JObject::null())?;
    for (index, text) in strings.iter().enumerate() {
        let string = env.new_string(text)?;
        env.set_object_array_element(&array, index as i32, &string)?;
        env.delete_local_ref(string)?;
    }
    Ok(array)
}

/// A byte count as a Java `long` (Alluxio lengths stay far below 2^63).
pub(crate) fn java_long(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn java_length(length: usize) -> Result<i32, Failure> {
    i32::try_from(length).map_err(|_| Failure::io(format!("{length} entries do not fit in a Java array")))
}
