//! The TOML rule loader, validation and lint never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rule) = rules::load::parse_toml(text, std::path::Path::new("fuzz.toml")) {
        let _ = rules::validate::validate(&rule);
        let _ = rules::lint::lint(&rule);
        let _ = rules::show::render(&rule);
    }
});
