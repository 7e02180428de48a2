//! The bundled rule set (`rules/` of the repository), embedded so the binary works anywhere.

/// (file name, TOML text) of every bundled rule.
pub const RULES: &[(&str, &str)] = &[
    (
        "defense_evasion_cloudtrail_logging_stopped.toml",
        include_str!("../../../rules/defense_evasion_cloudtrail_logging_stopped.toml"),
    ),
    (
        "defense_evasion_elasticache_security_group_created.toml",
        include_str!("../../../rules/defense_evasion_elasticache_security_group_created.toml"),
    ),
    (
        "defense_evasion_elasticache_security_group_created_patched.toml",
        include_str!("../../../rules/defense_evasion_elasticache_security_group_created_patched.toml"),
    ),
    (
        "defense_evasion_guardduty_detector_deleted.toml",
        include_str!("../../../rules/defense_evasion_guardduty_detector_deleted.toml"),
    ),
    (
        "defense_evasion_security_group_open_to_world.toml",
        include_str!("../../../rules/defense_evasion_security_group_open_to_world.toml"),
    ),
    (
        "initial_access_root_console_login_without_mfa.toml",
        include_str!("../../../rules/initial_access_root_console_login_without_mfa.toml"),
    ),
    (
        "persistence_iam_access_key_created.toml",
        include_str!("../../../rules/persistence_iam_access_key_created.toml"),
    ),
];

/// Load the bundled rules.
pub fn load() -> rules::Loaded {
    let mut out = rules::Loaded::default();
    for (name, text) in RULES {
        let path = std::path::PathBuf::from(format!("bundled:rules/{name}"));
        match rules::load::parse_toml(text, &path) {
            Ok(r) => out.rules.push(r),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_file_is_bundled() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let bundled: Vec<String> = super::RULES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, bundled, "add new rule files to crates/cli/src/bundled.rs");
    }

    #[test]
    fn bundled_rules_load_and_validate() {
        let loaded = super::load();
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for r in &loaded.rules {
            let v = rules::validate::validate(r);
            assert!(v.is_empty(), "{}: {:?}", r.name(), v);
        }
    }
}
