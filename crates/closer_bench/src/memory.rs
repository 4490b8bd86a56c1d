//! A child process's resident-memory high-water, sampled while it runs (`closer export`,
//! `closer import`, `closer rescore`).

use std::process::{Child, ExitStatus};
use std::time::Duration;

/// The process's resident-memory high-water (`VmHWM`), in MiB; `None` once it is gone.
fn vm_hwm_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Waits for `child`, reading its high-water every `every`: its exit status and the highest
/// reading, in MiB.
pub fn wait_sampling(child: &mut Child, every: Duration) -> std::io::Result<(ExitStatus, f64)> {
    let pid = child.id();
    let mut peak = 0.0_f64;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, peak));
        }
        if let Some(m) = vm_hwm_mib(pid) {
            peak = peak.max(m);
        }
        std::thread::sleep(every);
    }
}
