//! `POST /api/v1/track`: closer's event or batch of events, decoded and checked as the route does.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| closer_web::fuzzing::track(body));
