//! `closer rules apply` / `PUT /api/v1/rules`: a qualification rules file parsed and checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = closer_domain::qualification::Rules::parse(text);
    }
});
