//! `/mounts` and `/configuration`: the mount table and every property, secrets masked.

use alluxio_conf::displayed_value;
use alluxio_web::{bytes, link, page};
use axum::extract::State as Extract;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::State;
use crate::mount_table::{MountInfo, ufs_type};

/// A mount as Alluxio's `MountPointInfo` JSON, secrets masked; `space` is its UFS's last
/// measured (capacity, used) bytes.
pub(super) fn mount_json(mount: &MountInfo, (capacity, used): (i64, i64)) -> Value {
    json!({
        "ufsUri": mount.ufs_uri,
        "ufsType": ufs_type(&mount.ufs_uri),
        "ufsCapacityBytes": capacity,
        "ufsUsedBytes": used,
        "readOnly": mount.read_only,
        "shared": mount.shared,
        "properties": mount.shown_options(),
    })
}

/// `/mounts`.
pub(super) async fn mounts(Extract(state): State) -> Markup {
    let table = state.info.fs.mount_table();
    let body = html! {
        section {
            table {
                thead { tr {
                    th { "Alluxio path" } th { "Under storage" } th { "Type" } th { "Capacity" }
                    th { "Read-only" } th { "Shared" } th { "Options" }
                } }
                tbody {
                    @for (point, mount) in &table {
                        @let (capacity, used) = state.info.ufs_space.get(&mount.ufs_uri);
                        tr {
                            td { a href=(link("/browse", &[("path", point.as_str())])) { (point) } }
                            td { (mount.ufs_uri) }
                            td { (ufs_type(&mount.ufs_uri)) }
                            td {
                                @if capacity < 0 { span.muted { "unknown" } }
                                @else { (bytes(used as u64)) " / " (bytes(capacity as u64)) }
                            }
                            td { (mount.read_only) }
                            td { (mount.shared) }
                            td {
                                @for (key, value) in mount.shown_options() {
                                    div { code { (key) } " = " (value) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&state.nav, "/mounts", "Mount Table", body)
}

/// `/configuration`: every property with its value and where the value came from.
pub(super) async fn configuration(Extract(state): State) -> Markup {
    let entries = state.info.conf.entries();
    let body = html! {
        section {
            p.muted { "The master's configuration. Credentials are shown as ******." }
            table.config {
                thead { tr { th { "Property" } th { "Value" } th { "Source" } } }
                tbody {
                    @for (key, value, source) in entries {
                        tr {
                            td { code { (key) } }
                            td { @match value {
                                Some(value) => (displayed_value(&key, value)),
                                None => span.muted { "(unset)" },
                            } }
                            td { (source) }
                        }
                    }
                }
            }
        }
    };
    page(&state.nav, "/configuration", "Configuration", body)
}
