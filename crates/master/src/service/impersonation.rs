//! Who may act for whom: `alluxio.master.security.impersonation.<user>.users` and `.groups`, as
//! in Alluxio. A caller that names another user to act for (the proxy for an S3 client, the
//! Hadoop client for its Hadoop user) is served as that user when a rule of its own login user
//! lists the user, or a group of theirs, or `*`. Superusers (the master's login user and the
//! supergroup's members) may act for anyone without a rule: they may already do anything; no
//! rule lets anyone else act for a superuser.

use std::collections::{HashMap, HashSet};

use alluxio_conf::Configuration;
use alluxio_conf::properties::{ImpersonationOf, impersonation_key};

/// Names a rule allows.
#[derive(Debug, Default)]
enum Allowed {
    /// None (the key is not set).
    #[default]
    Nobody,
    /// `*`.
    Anyone,
    /// The listed names.
    Named(HashSet<String>),
}

impl Allowed {
    fn parse(value: &str) -> Self {
        let names: HashSet<String> = value
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        if names.contains("*") {
            Self::Anyone
        } else if names.is_empty() {
            Self::Nobody
        } else {
            Self::Named(names)
        }
    }

    fn allows(&self, name: &str) -> bool {
        match self {
            Self::Nobody => false,
            Self::Anyone => true,
            Self::Named(names) => names.contains(name),
        }
    }
}

/// One user's rule.
#[derive(Debug, Default)]
struct Rule {
    users: Allowed,
    groups: Allowed,
}

/// The master's impersonation rules.
#[derive(Debug)]
pub(crate) struct Impersonation {
    /// The master's login user.
    superuser: String,
    /// `alluxio.security.authorization.permission.supergroup`.
    supergroup: String,
    rules: HashMap<String, Rule>,
}

impl Impersonation {
    /// The rules the configuration sets, for a master whose login user is `superuser` and
    /// whose supergroup is `supergroup`.
    pub(crate) fn from_conf(conf: &Configuration, superuser: &str, supergroup: &str) -> Self {
        let mut rules: HashMap<String, Rule> = HashMap::new();
        for (key, value) in conf.explicit_entries() {
            let Some((user, of)) = impersonation_key(&key) else {
                continue;
            };
            let rule = rules.entry(user.to_string()).or_default();
            // The resolved value (`${...}` references expanded), as every property is read.
            let allowed = Allowed::parse(&conf.get(&key).unwrap_or(value));
            match of {
                ImpersonationOf::Users => rule.users = allowed,
                ImpersonationOf::Groups => rule.groups = allowed,
            }
        }
        Self {
            superuser: superuser.to_string(),
            supergroup: supergroup.to_string(),
            rules,
        }
    }

    /// Whether `caller` (in `caller_groups`) may act for `user` (in `user_groups`); if not, why,
    /// naming the properties that would allow it.
    pub(crate) fn check(
        &self,
        caller: &str,
        caller_groups: &[String],
        user: &str,
        user_groups: &[String],
    ) -> Result<(), String> {
        if caller == self.superuser || caller_groups.contains(&self.supergroup) {
            return Ok(());
        }
        if user == self.superuser || user_groups.contains(&self.supergroup) {
            return Err(format!(
                "user={caller} may not act for user={user}, a superuser: only superusers act for one"
            ));
        }
        let prefix = format!("alluxio.master.security.impersonation.{caller}");
        let Some(rule) = self.rules.get(caller) else {
            return Err(format!(
                "user={caller} may not act for user={user}: it is not configured to act for anyone \
                 (set {prefix}.users or {prefix}.groups on the master)"
            ));
        };
        if rule.users.allows(user) || user_groups.iter().any(|group| rule.groups.allows(group)) {
            return Ok(());
        }
        Err(format!(
            "user={caller} may not act for user={user} (groups {}): neither {prefix}.users nor \
             {prefix}.groups on the master allows it",
            if user_groups.is_empty() {
                "none".to_string()
            } else {
                user_groups.join(",")
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(pairs: &[(&str, &str)]) -> Impersonation {
        let mut conf = Configuration::defaults();
        conf.set("app.users", "alice");
        for (key, value) in pairs {
            conf.set(&format!("alluxio.master.security.impersonation.{key}"), *value);
        }
        Impersonation::from_conf(&conf, "alluxio", "admins")
    }

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn a_user_acts_for_the_users_and_group_members_its_rule_names() {
        let rules = rules(&[
            ("proxy.users", "${app.users}, bob"),
            ("proxy.groups", "analysts"),
            ("hive.users", "*"),
        ]);
        assert!(rules.check("proxy", &[], "alice", &[]).is_ok());
        assert!(
            rules
                .check("proxy", &[], "carol", &groups(&["staff", "analysts"]))
                .is_ok()
        );
        let err = rules
            .check("proxy", &[], "dave", &groups(&["staff"]))
            .unwrap_err();
        assert!(
            err.contains("user=proxy may not act for user=dave (groups staff)")
                && err.contains("alluxio.master.security.impersonation.proxy.users"),
            "{err}"
        );
        assert!(rules.check("hive", &[], "anyone", &[]).is_ok());
        // `*` does not reach superusers.
        let err = rules.check("hive", &[], "alluxio", &[]).unwrap_err();
        assert!(err.contains("a superuser"), "{err}");
        assert!(rules.check("hive", &[], "ops", &groups(&["admins"])).is_err());
    }

    #[test]
    fn without_a_rule_only_superusers_act_for_others() {
        let rules = rules(&[("proxy.users", "")]);
        let err = rules.check("spark", &[], "alice", &[]).unwrap_err();
        assert!(err.contains("not configured to act for anyone"), "{err}");
        assert!(rules.check("proxy", &[], "alice", &[]).is_err());
        assert!(rules.check("alluxio", &[], "alice", &[]).is_ok());
        assert!(rules.check("ops", &groups(&["admins"]), "alice", &[]).is_ok());
    }
}
