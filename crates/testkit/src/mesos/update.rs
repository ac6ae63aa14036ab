//! UPDATE_FRAMEWORK: replaces a framework's FrameworkInfo and its suppressed roles together, or
//! changes nothing, after the checks of apache/mesos `Master::updateFramework`
//! (`validation::framework::validateUpdate`, then `validateSuppressedRoles`).

use serde_json::Value;

use super::state::{Framework, State};

/// Applies the UPDATE_FRAMEWORK body `update` to framework `fid`, or returns the 400 body
/// saying why it is refused. Roles left out of `suppressed_roles` are revived (suppression
/// lifted, filters cleared), as the allocator does.
pub(crate) fn update_framework(state: &mut State, fid: &str, update: &Value) -> Result<(), String> {
    let Some(fw) = state.frameworks.get_mut(fid) else {
        return Err(format!("Framework {fid} cannot be found"));
    };
    let info = update.get("framework_info").unwrap_or(&Value::Null);
    let new = Framework::declared(fid, info);
    immutable_fields_kept(fw, &new).map_err(|e| format!("FrameworkInfo update is not valid: {e}"))?;
    same_role(fw, &new)?;
    let suppressed =
        suppressed(&new, update).map_err(|e| format!("'UpdateFramework' call is not valid: {e}"))?;
    let revived = fw.suppressed && !suppressed;
    let filters = match revived {
        true => Vec::new(),
        false => std::mem::take(&mut fw.filters),
    };
    tracing::info!(framework = fid, webui_url = ?new.webui_url, suppressed, revived, "framework updated");
    *fw = Framework {
        stream: fw.stream.take(),
        suppressed,
        filters,
        disconnects: fw.disconnects,
        ..new
    };
    Ok(())
}

/// `validateUpdate`: principal, user and checkpoint cannot change.
fn immutable_fields_kept(old: &Framework, new: &Framework) -> Result<(), String> {
    if old.principal != new.principal {
        return Err("Changing framework's principal is not allowed.".to_owned());
    }
    if old.user != new.user {
        return Err(format!(
            "Updating 'FrameworkInfo.user' is unsupported; attempted to update from '{}' to '{}'",
            old.user, new.user
        ));
    }
    if old.checkpoint != new.checkpoint {
        return Err(format!(
            "Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '{}' to '{}'",
            old.checkpoint, new.checkpoint
        ));
    }
    Ok(())
}

/// The simulator keeps one role per framework for its life: Mesos would re-track the framework
/// under new roles and rescind offers of dropped ones, which is not simulated.
fn same_role(old: &Framework, new: &Framework) -> Result<(), String> {
    if (old.role.as_str(), old.multi_role) == (new.role.as_str(), new.multi_role) {
        return Ok(());
    }
    Err(format!(
        "the simulator cannot change a framework's role: it has role '{}' (MULTI_ROLE {}), the update asks for '{}' (MULTI_ROLE {})",
        old.role, old.multi_role, new.role, new.multi_role
    ))
}

/// Whether the framework's role is among `suppressed_roles`, each of which must be a role of it.
fn suppressed(framework: &Framework, update: &Value) -> Result<bool, String> {
    let roles: Vec<&str> = update
        .get("suppressed_roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let foreign: Vec<&str> = roles.iter().copied().filter(|r| *r != framework.role).collect();
    if !foreign.is_empty() {
        return Err(format!(
            "Suppressed roles {{ {} }} are not contained in the set of roles",
            foreign.join(", ")
        ));
    }
    Ok(!roles.is_empty())
}
