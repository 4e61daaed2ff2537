//! Ports: the traits the apps use to reach the outside world (exchange, store, clock).

pub mod clock;
pub mod events;
pub mod exchange;
pub mod operator;
pub mod outbox;
pub mod store;
