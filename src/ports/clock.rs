//! The clock port: the only way apps learn the time.

/// Source of the current time in Unix milliseconds.
pub trait Clock: Send + Sync {
    /// Now, Unix milliseconds.
    fn now_ms(&self) -> i64;
}
