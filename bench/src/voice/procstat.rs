//! This process's CPU time and resident memory, from `/proc/self`.
//!
//! `utime + stime` in `/proc/self/stat` are the counters `getrusage(RUSAGE_SELF)`
//! reports (all threads, user + system), in USER_HZ ticks, which Linux fixes
//! at 100 per second for userspace; reading them here avoids `unsafe` FFI
//! (the workspace forbids it). Resolution: 10 ms.

use std::time::Duration;

/// User + system CPU time of the whole process so far.
pub(crate) fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, i.e. 12 and 13
    // after the state field (index 0 here).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// User + system CPU time of this process's threads whose name starts
/// with `prefix` (a tokio runtime's workers and blocking threads share its
/// thread name); threads that have exited are not counted.
#[allow(dead_code)] // the benches that include this module use different parts
pub(crate) fn threads_cpu_time(prefix: &str) -> Option<Duration> {
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, name)| name);
        if !name.starts_with(prefix) {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0);
        let stime: u64 = fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
        ticks += utime + stime;
    }
    Some(Duration::from_millis(ticks * 10))
}

/// Resident set size now, in bytes.
pub(crate) fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_exist_and_cpu_moves() {
        let before = cpu_time().unwrap();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(150) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(x != 1);
        let after = cpu_time().unwrap();
        assert!(
            after >= before + Duration::from_millis(50),
            "{before:?} {after:?}"
        );
        assert!(rss_bytes().unwrap() > 1_000_000);
    }
}
