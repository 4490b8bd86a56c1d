//! `POST /api/event`: a Plausible Events API body, decoded and checked as the route does.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| closer_web::fuzzing::plausible(body));
