//! The first-party tracker script, embedded in the binary (no CDN) and served at
//! `/js/closer.js`.

pub const SCRIPT: &str = include_str!("../assets/closer.js");

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_stays_small() {
        // Uncompressed, so well under the 3 KB compressed budget whatever the server does.
        assert!(
            super::SCRIPT.len() < 4_096,
            "closer.js is {} bytes",
            super::SCRIPT.len()
        );
    }
}
