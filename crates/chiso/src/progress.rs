//! A progress line on standard error for reads that can take more than a second. It shows
//! only on a terminal and only once a second has passed, so scripts and quick runs see nothing.

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

/// Wraps a reader and reports the share of `total` bytes read.
pub struct ProgressReader<R> {
    inner: R,
    label: String,
    total: u64,
    read: u64,
    started: Instant,
    last_shown: Option<Instant>,
    enabled: bool,
}

impl<R: Read> ProgressReader<R> {
    pub fn new(inner: R, label: String, total: u64) -> ProgressReader<R> {
        ProgressReader {
            inner,
            // The label names a file: its name is shown, never run.
            label: chiso_interchange::text::escape_controls(&label).into_owned(),
            total,
            read: 0,
            started: Instant::now(),
            last_shown: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self) {
        let now = Instant::now();
        if !self.enabled || now - self.started < Duration::from_secs(1) {
            return;
        }
        if self
            .last_shown
            .is_some_and(|t| now - t < Duration::from_millis(200))
        {
            return;
        }
        self.last_shown = Some(now);
        let percent = (self.read * 100).checked_div(self.total).unwrap_or(100);
        let _ = write!(std::io::stderr(), "\r{} … {percent:>3}%", self.label);
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.read += n as u64;
        if n == 0 {
            if self.last_shown.is_some() {
                let _ = writeln!(std::io::stderr(), "\r{} … 100%", self.label);
            }
        } else {
            self.show();
        }
        Ok(n)
    }
}

/// A named stage of work (computing, building a workbook): on a terminal, announced when it
/// starts and closed with its duration, so a long step never looks like a hang.
pub struct Stage {
    label: &'static str,
    started: Instant,
    enabled: bool,
}

impl Stage {
    pub fn start(label: &'static str) -> Stage {
        let enabled = std::io::stderr().is_terminal();
        if enabled {
            let _ = write!(std::io::stderr(), "{label} …");
        }
        Stage {
            label,
            started: Instant::now(),
            enabled,
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if self.enabled {
            let _ = writeln!(
                std::io::stderr(),
                "\r{} … xong ({:.1} s)",
                self.label,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
