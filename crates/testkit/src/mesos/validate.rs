//! Checks a scheduler `Call` the way the Mesos master does before acting on it: first the
//! JSON → protobuf conversion (known enum names, required fields, base64 bytes), then
//! `validation::scheduler::call::validate` (the message for the call type is present,
//! `framework_id` is set and is the id of an UPDATE_FRAMEWORK's FrameworkInfo, a well-formed
//! acknowledgement uuid). Both failures are 400s, with the message prefixes of apache/mesos
//! `src/master/http.cpp`.

use base64::Engine as _;
use serde_json::Value;

/// The call types of v1 `scheduler.proto`.
const CALL_TYPES: &[&str] = &[
    "UNKNOWN",
    "SUBSCRIBE",
    "TEARDOWN",
    "ACCEPT",
    "DECLINE",
    "ACCEPT_INVERSE_OFFERS",
    "DECLINE_INVERSE_OFFERS",
    "REVIVE",
    "KILL",
    "SHUTDOWN",
    "ACKNOWLEDGE",
    "ACKNOWLEDGE_OPERATION_STATUS",
    "RECONCILE",
    "RECONCILE_OPERATIONS",
    "MESSAGE",
    "REQUEST",
    "SUPPRESS",
    "UPDATE_FRAMEWORK",
];

/// A rejected call: the 400 body.
pub(crate) type Rejection = String;

/// Returns the call type, or the 400 message.
pub(crate) fn validate(call: &Value) -> Result<String, Rejection> {
    convert(call).map_err(|e| format!("Failed to convert JSON into Call protobuf: {e}"))?;
    check(call).map_err(|e| format!("Failed to validate scheduler::Call: {e}"))
}

/// Collects the required fields a message misses, as protobuf's "Missing required fields".
struct Required {
    missing: Vec<String>,
}

impl Required {
    fn string(&mut self, v: &Value, path: &str, field: &str) {
        if !v.get(field).is_some_and(Value::is_string) {
            self.missing.push(format!("{path}{field}"));
        }
    }

    fn id(&mut self, v: &Value, path: &str, field: &str) {
        match v.get(field) {
            Some(id) => self.string(id, &format!("{path}{field}."), "value"),
            None => self.missing.push(format!("{path}{field}")),
        }
    }

    fn optional_id(&mut self, v: &Value, path: &str, field: &str) {
        if v.get(field).is_some() {
            self.id(v, path, field);
        }
    }

    /// The required `framework_info` of the SUBSCRIBE or UPDATE_FRAMEWORK `body` at `path`.
    fn framework_info(&mut self, body: &Value, path: &str) {
        let Some(info) = body.get("framework_info") else {
            self.missing.push(format!("{path}framework_info"));
            return;
        };
        let path = format!("{path}framework_info.");
        self.string(info, &path, "user");
        self.string(info, &path, "name");
        self.optional_id(info, &path, "id");
    }

    fn each<'a>(v: &'a Value, field: &str) -> impl Iterator<Item = (usize, &'a Value)> {
        v.get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }

    fn task_info(&mut self, task: &Value, path: &str) {
        self.string(task, path, "name");
        self.id(task, path, "task_id");
        self.id(task, path, "agent_id");
        for (i, r) in Self::each(task, "resources") {
            let p = format!("{path}resources[{i}].");
            self.string(r, &p, "name");
            self.string(r, &p, "type");
        }
        if let Some(command) = task.get("command") {
            for (i, uri) in Self::each(command, "uris") {
                self.string(uri, &format!("{path}command.uris[{i}]."), "value");
            }
            if let Some(env) = command.get("environment") {
                for (i, var) in Self::each(env, "variables") {
                    self.string(var, &format!("{path}command.environment.variables[{i}]."), "name");
                }
            }
        }
        if let Some(check) = task.get("health_check") {
            for kind in ["http", "tcp"] {
                if let Some(info) = check.get(kind)
                    && !info.get("port").is_some_and(Value::is_u64)
                {
                    self.missing.push(format!("{path}health_check.{kind}.port"));
                }
            }
        }
    }
}

fn convert(call: &Value) -> Result<(), String> {
    if !call.is_object() {
        return Err("Expecting a JSON object".to_owned());
    }
    if let Some(t) = call.get("type") {
        match t.as_str() {
            Some(name) if CALL_TYPES.contains(&name) => {}
            _ => return Err(format!("Failed to find enum for '{t}'")),
        }
    }
    let mut req = Required { missing: Vec::new() };
    req.optional_id(call, "", "framework_id");
    for call_field in ["subscribe", "update_framework"] {
        if let Some(body) = call.get(call_field) {
            req.framework_info(body, &format!("{call_field}."));
        }
    }
    for call_field in ["accept", "decline"] {
        if let Some(body) = call.get(call_field) {
            for (i, id) in Required::each(body, "offer_ids") {
                req.string(id, &format!("{call_field}.offer_ids[{i}]."), "value");
            }
        }
    }
    if let Some(accept) = call.get("accept") {
        for (i, op) in Required::each(accept, "operations") {
            if let Some(launch) = op.get("launch") {
                for (j, task) in Required::each(launch, "task_infos") {
                    req.task_info(task, &format!("accept.operations[{i}].launch.task_infos[{j}]."));
                }
            }
        }
    }
    if let Some(ack) = call.get("acknowledge") {
        req.id(ack, "acknowledge.", "agent_id");
        req.id(ack, "acknowledge.", "task_id");
        req.string(ack, "acknowledge.", "uuid");
        if let Some(uuid) = ack.get("uuid").and_then(Value::as_str)
            && base64::engine::general_purpose::STANDARD.decode(uuid).is_err()
        {
            return Err(format!(
                "Failed to decode base64 bytes of acknowledge.uuid {uuid:?}"
            ));
        }
    }
    if let Some(kill) = call.get("kill") {
        req.id(kill, "kill.", "task_id");
        req.optional_id(kill, "kill.", "agent_id");
    }
    if let Some(rec) = call.get("reconcile") {
        for (i, t) in Required::each(rec, "tasks") {
            req.id(t, &format!("reconcile.tasks[{i}]."), "task_id");
        }
    }
    if req.missing.is_empty() {
        Ok(())
    } else {
        Err(format!("Missing required fields: {}", req.missing.join(", ")))
    }
}

fn check(call: &Value) -> Result<String, String> {
    let Some(kind) = call.get("type").and_then(Value::as_str) else {
        return Err("Expecting 'type' to be present".to_owned());
    };
    if kind == "SUBSCRIBE" {
        let Some(sub) = call.get("subscribe") else {
            return Err("Expecting 'subscribe' to be present".to_owned());
        };
        let info_id = sub.pointer("/framework_info/id/value");
        if let Some(fid) = call.pointer("/framework_id/value")
            && info_id != Some(fid)
        {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".to_owned());
        }
        return Ok(kind.to_owned());
    }
    if call.get("framework_id").is_none() {
        return Err("Expecting 'framework_id' to be present".to_owned());
    }
    let needed = match kind {
        "ACCEPT" => Some("accept"),
        "DECLINE" => Some("decline"),
        "ACCEPT_INVERSE_OFFERS" => Some("accept_inverse_offers"),
        "DECLINE_INVERSE_OFFERS" => Some("decline_inverse_offers"),
        "KILL" => Some("kill"),
        "SHUTDOWN" => Some("shutdown"),
        "ACKNOWLEDGE" => Some("acknowledge"),
        "ACKNOWLEDGE_OPERATION_STATUS" => Some("acknowledge_operation_status"),
        "RECONCILE" => Some("reconcile"),
        "RECONCILE_OPERATIONS" => Some("reconcile_operations"),
        "MESSAGE" => Some("message"),
        "REQUEST" => Some("request"),
        "UPDATE_FRAMEWORK" => Some("update_framework"),
        _ => None,
    };
    if let Some(field) = needed
        && call.get(field).is_none()
    {
        return Err(format!("Expecting '{field}' to be present"));
    }
    if kind == "UPDATE_FRAMEWORK"
        && call.pointer("/framework_id/value") != call.pointer("/update_framework/framework_info/id/value")
    {
        return Err("'framework_id' differs from 'update_framework.framework_info.id'".to_owned());
    }
    if kind == "ACKNOWLEDGE"
        && let Some(uuid) = call.pointer("/acknowledge/uuid").and_then(Value::as_str)
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(uuid)
            .unwrap_or_default();
        if bytes.len() != 16 {
            return Err(format!(
                "Failed to parse UUID from {} bytes (expected 16)",
                bytes.len()
            ));
        }
    }
    Ok(kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscribe_needs_user_and_name() {
        let ok = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "", "name": "x"}}});
        assert_eq!(validate(&ok).unwrap(), "SUBSCRIBE");
        let bad = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "x"}}});
        let err = validate(&bad).unwrap_err();
        assert!(
            err.contains("Missing required fields: subscribe.framework_info.user"),
            "{err}"
        );
    }

    #[test]
    fn update_framework_needs_a_framework_info_of_the_calling_framework() {
        let call = |info: Value| {
            json!({"type": "UPDATE_FRAMEWORK", "framework_id": {"value": "f"},
                   "update_framework": {"framework_info": info}})
        };
        let ok = call(json!({"user": "u", "name": "x", "id": {"value": "f"}}));
        assert_eq!(validate(&ok).unwrap(), "UPDATE_FRAMEWORK");
        let err = validate(&call(json!({"name": "x", "id": {"value": "f"}}))).unwrap_err();
        assert!(
            err.contains("Missing required fields: update_framework.framework_info.user"),
            "{err}"
        );
        let err = validate(
            &json!({"type": "UPDATE_FRAMEWORK", "framework_id": {"value": "f"},
                                   "update_framework": {}}),
        )
        .unwrap_err();
        assert!(
            err.contains("Missing required fields: update_framework.framework_info"),
            "{err}"
        );
        for info in [
            json!({"user": "u", "name": "x", "id": {"value": "g"}}),
            json!({"user": "u", "name": "x"}),
        ] {
            let err = validate(&call(info)).unwrap_err();
            assert!(
                err.ends_with("'framework_id' differs from 'update_framework.framework_info.id'"),
                "{err}"
            );
        }
        let err = validate(&json!({"type": "UPDATE_FRAMEWORK", "framework_id": {"value": "f"}})).unwrap_err();
        assert!(
            err.contains("Expecting 'update_framework' to be present"),
            "{err}"
        );
    }

    #[test]
    fn other_calls_need_framework_id_and_body() {
        let err = validate(&json!({"type": "KILL"})).unwrap_err();
        assert!(err.contains("Expecting 'framework_id' to be present"), "{err}");
        let err = validate(&json!({"type": "KILL", "framework_id": {"value": "f"}})).unwrap_err();
        assert!(err.contains("Expecting 'kill' to be present"), "{err}");
        let err = validate(&json!({"type": "NOPE"})).unwrap_err();
        assert!(
            err.starts_with("Failed to convert JSON into Call protobuf"),
            "{err}"
        );
        let short = json!({"type": "ACKNOWLEDGE", "framework_id": {"value": "f"},
            "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "AAAA"}});
        assert!(validate(&short).unwrap_err().contains("UUID"));
    }
}
