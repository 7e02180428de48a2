//! The rule-page (markdown) loader never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rule) = rules::load::parse_markdown(text, std::path::Path::new("fuzz.md")) {
        let _ = rules::validate::validate(&rule);
        let _ = rules::show::render(&rule);
    }
});
