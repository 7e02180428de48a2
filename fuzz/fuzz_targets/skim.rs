//! skim never panics, and when it finds eventName in a document serde_json accepts, the value
//! agrees with serde_json's.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(s) = cloudtrail::skim::skim(data) else { return };
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(data) {
        if let (Some(name), Some(serde_json::Value::String(real))) = (s.name.as_deref(), o.get("eventName")) {
            // duplicate keys: serde keeps the last, skim the first; only compare unique keys
            let count = data.windows(11).filter(|w| *w == b"\"eventName\"").count();
            if count == 1 {
                assert_eq!(name, real.as_str());
            }
        }
    }
});
