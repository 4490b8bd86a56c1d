//! `closer order import FILE.csv`: an orders file read, checked and assembled into orders.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = closer_app::orders_csv::read_orders(
        data,
        closer_domain::WorkspaceId(uuid::Uuid::nil()),
        closer_domain::Timestamp::now(),
    );
});
