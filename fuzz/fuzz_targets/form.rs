//! `POST /f/{key}`: a form post, urlencoded or JSON (the first byte picks), read into fields
//! and parsed into a submission.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((first, body)) = data.split_first() {
        closer_web::fuzzing::form(body, first & 1 == 1);
    }
});
