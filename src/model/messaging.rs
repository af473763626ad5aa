//! Event-driven services (`espresso add messaging`, `add consumer`, `--events`): one broker per
//! project, the event types it consumes, and, in a PostgreSQL project, the migration that made its
//! outbox and processed-event tables.

use crate::cli::Broker;
use crate::error::UsageError;
use heck::{ToKebabCase, ToLowerCamelCase};
use serde::Serialize;

/// The project's messaging as espresso.toml records it (`[messaging]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingSpec {
    pub broker: Broker,
    /// The migration that creates `outbox` and `processed_events` (PostgreSQL projects): fixed once
    /// written, numbered after every migration there was when messaging was added.
    pub migration: Option<String>,
    /// The event types this service consumes, in the order they were added.
    pub consumers: Vec<String>,
}

/// Messaging as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct MessagingContext {
    pub broker: &'static str,
    pub migration: Option<String>,
    pub consumers: Vec<ConsumerContext>,
}

/// One consumed event type as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumerContext {
    /// The event type: `order.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Its module's name: `order-created` (`src/consumers/order-created.consumer.js`).
    pub kebab: String,
    /// Its binding in the handler registry: `orderCreated`.
    pub camel: String,
}

/// The name of the migration that creates the messaging tables, numbered `number`.
pub fn migration_file(number: u32) -> String {
    format!("{number:04}_create_messaging_tables.sql")
}

/// Checks an event type: dot-separated segments of lowercase letters, digits and hyphens, as
/// the routing keys of RabbitMQ and the stream keys of Redis carry them.
pub fn parse_event_type(raw: &str) -> Result<String, UsageError> {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-')
    };
    if raw.len() <= 100 && raw.contains('.') && raw.split('.').all(segment_ok) {
        Ok(raw.to_owned())
    } else {
        Err(UsageError::new(format!("invalid event type `{raw}`")).hint(
            "name it `<subject>.<what happened>` in lowercase, such as `order.created` or `payment.refund-issued`",
        ))
    }
}

impl MessagingSpec {
    pub fn context(&self) -> MessagingContext {
        MessagingContext {
            broker: self.broker.as_str(),
            migration: self.migration.clone(),
            consumers: self.consumers.iter().map(|t| consumer_context(t)).collect(),
        }
    }
}

pub fn consumer_context(event_type: &str) -> ConsumerContext {
    let words = event_type.replace('.', "-");
    ConsumerContext {
        event_type: event_type.to_owned(),
        kebab: words.to_kebab_case(),
        camel: words.to_lower_camel_case(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_dotted_lowercase_segments() {
        assert_eq!(parse_event_type("order.created").unwrap(), "order.created");
        assert_eq!(parse_event_type("payment.refund-issued").unwrap(), "payment.refund-issued");
        for bad in ["order", "Order.created", "order..created", "order.created-", ".x", "order.2x", "a b.c"] {
            assert!(parse_event_type(bad).is_err(), "{bad}");
        }
        let c = consumer_context("payment.refund-issued");
        assert_eq!((c.kebab.as_str(), c.camel.as_str()), ("payment-refund-issued", "paymentRefundIssued"));
        assert_eq!(migration_file(4), "0004_create_messaging_tables.sql");
    }
}
