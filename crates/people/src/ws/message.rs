//! The WebSocket protocol: what a client sends (`subscribe`, `unsubscribe`, `ping`), checked like a
//! REST body (every broken rule named with its field), and what the server sends back.

use dynamodel::{FieldError, ValidationErrors};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{PersonId, Subscription, normalise_tag};

/// Largest message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Most ids one subscription names.
pub const MAX_SUBSCRIBED_IDS: usize = 100;

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// `{"action":"subscribe","filter":{}}` (every person), `{"filter":{"ids":[...]}}` or
    /// `{"filter":{"tag":"..."}}`: replaces the connection's subscription.
    Subscribe(Subscription),
    /// `{"action":"unsubscribe"}`: receive nothing until the next subscribe.
    Unsubscribe,
    /// `{"action":"ping"}`: answered with `pong`.
    Ping,
}

impl ClientMessage {
    /// Parses and checks a message; every rule it breaks is listed.
    pub fn parse(body: &str) -> Result<Self, ValidationErrors> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(ValidationErrors::single(
                "",
                format!("must be at most {MAX_MESSAGE_BYTES} bytes"),
            ));
        }
        let value: Value = serde_json::from_str(body)
            .map_err(|e| ValidationErrors::single("", format!("must be JSON ({e})")))?;
        let Value::Object(mut fields) = value else {
            return Err(ValidationErrors::single("", "must be a JSON object"));
        };
        let mut errors = ValidationErrors::new();
        let action = match fields.remove("action") {
            Some(Value::String(action)) => action,
            Some(_) => return Err(ValidationErrors::single("action", "must be a string")),
            None => {
                return Err(ValidationErrors::single(
                    "action",
                    "is required (subscribe, unsubscribe or ping)",
                ));
            }
        };
        let message = match action.as_str() {
            "subscribe" => {
                let filter = match fields.remove("filter") {
                    None => Some(Subscription::All),
                    Some(Value::Object(filter)) => parse_filter(filter, &mut errors),
                    Some(_) => {
                        errors.push("filter", "must be an object");
                        None
                    }
                };
                filter.map(ClientMessage::Subscribe)
            }
            "unsubscribe" => Some(ClientMessage::Unsubscribe),
            "ping" => Some(ClientMessage::Ping),
            _ => {
                errors.push("action", "must be subscribe, unsubscribe or ping");
                None
            }
        };
        for name in fields.keys() {
            errors.push(name.clone(), "is not a known field");
        }
        match (message, errors.is_empty()) {
            (Some(message), true) => Ok(message),
            _ => Err(errors),
        }
    }
}

fn parse_filter(
    mut filter: Map<String, Value>,
    errors: &mut ValidationErrors,
) -> Option<Subscription> {
    let ids = filter.remove("ids");
    let tag = filter.remove("tag");
    for name in filter.keys() {
        errors.push(
            format!("filter.{name}"),
            "is not a known field (expected ids or tag)",
        );
    }
    match (ids, tag) {
        (None, None) => Some(Subscription::All),
        (Some(_), Some(_)) => {
            errors.push("filter", "names ids or a tag, not both");
            None
        }
        (Some(ids), None) => parse_ids(ids, errors).map(Subscription::Ids),
        (None, Some(Value::String(tag))) => {
            let tag = normalise_tag(&tag);
            if tag.is_empty() || tag.chars().count() > 32 {
                errors.push("filter.tag", "must be 1 to 32 characters");
                None
            } else {
                Some(Subscription::Tag(tag))
            }
        }
        (None, Some(_)) => {
            errors.push("filter.tag", "must be a string");
            None
        }
    }
}

fn parse_ids(ids: Value, errors: &mut ValidationErrors) -> Option<Vec<PersonId>> {
    let Value::Array(items) = ids else {
        errors.push("filter.ids", "must be an array of person ids");
        return None;
    };
    if items.is_empty() || items.len() > MAX_SUBSCRIBED_IDS {
        errors.push(
            "filter.ids",
            format!("must hold 1 to {MAX_SUBSCRIBED_IDS} person ids"),
        );
        return None;
    }
    let before = errors.errors().len();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::parse::<PersonId>) {
            Some(Ok(id)) if !parsed.contains(&id) => parsed.push(id),
            Some(Ok(_)) => {}
            _ => errors.push(format!("filter.ids[{i}]"), "must be a person id (a ULID)"),
        }
    }
    (errors.errors().len() == before).then_some(parsed)
}

/// What the server sends on a connection: answers to the client's messages and pushed changes.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum ServerMessage<'a> {
    /// The subscription now in force.
    #[serde(rename = "subscribed")]
    Subscribed {
        /// It, as the client can send it again.
        filter: Value,
    },
    /// Nothing is received any more.
    #[serde(rename = "unsubscribed")]
    Unsubscribed,
    /// The answer to `ping`.
    #[serde(rename = "pong")]
    Pong,
    /// A message that could not be served; the connection stays open.
    #[serde(rename = "error")]
    Error {
        /// An HTTP status code with the same meaning.
        status: u16,
        /// What kind of problem.
        title: &'a str,
        /// What happened.
        detail: &'a str,
        /// Every broken rule, by field.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [FieldError],
    },
}

impl ServerMessage<'_> {
    /// The JSON text sent.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages serialise")
    }
}

/// A subscription as a client writes it.
pub fn filter_json(subscription: &Subscription) -> Value {
    match subscription {
        Subscription::All => serde_json::json!({}),
        Subscription::Ids(ids) => {
            serde_json::json!({"ids": ids.iter().map(ToString::to_string).collect::<Vec<_>>()})
        }
        Subscription::Tag(tag) => serde_json::json!({ "tag": tag }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Vec<String> {
        ClientMessage::parse(body)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect()
    }

    #[test]
    fn messages_parse_and_every_broken_rule_is_named() {
        let id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
        assert_eq!(
            ClientMessage::parse(r#"{"action":"subscribe"}"#).unwrap(),
            ClientMessage::Subscribe(Subscription::All)
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"subscribe","filter":{"tag":" VIP "}}"#).unwrap(),
            ClientMessage::Subscribe(Subscription::Tag("vip".into()))
        );
        assert_eq!(
            ClientMessage::parse(&format!(
                r#"{{"action":"subscribe","filter":{{"ids":["{id}","{id}"]}}}}"#
            ))
            .unwrap(),
            ClientMessage::Subscribe(Subscription::Ids(vec![id.parse().unwrap()]))
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"ping"}"#).unwrap(),
            ClientMessage::Ping
        );
        assert_eq!(fields("[]"), [""]);
        assert_eq!(fields("{"), [""]);
        assert_eq!(fields("{}"), ["action"]);
        assert_eq!(fields(r#"{"action":"dance","x":1}"#), ["action", "x"]);
        assert_eq!(
            fields(r#"{"action":"subscribe","filter":{"ids":[],"tag":"a"}}"#),
            ["filter"]
        );
        assert_eq!(
            fields(r#"{"action":"subscribe","filter":{"ids":["nope", 3]}}"#),
            ["filter.ids[0]", "filter.ids[1]"]
        );
        assert_eq!(
            fields(r#"{"action":"subscribe","filter":{"tag":"   "}}"#),
            ["filter.tag"]
        );
        assert_eq!(
            fields(r#"{"action":"subscribe","filter":{"colour":"red"}}"#),
            ["filter.colour"]
        );
        assert_eq!(
            fields(r#"{"action":"subscribe","filter":"all"}"#),
            ["filter"]
        );
        assert_eq!(fields(&"x".repeat(MAX_MESSAGE_BYTES + 1)), [""]);
        let many: Vec<String> = (0..=MAX_SUBSCRIBED_IDS)
            .map(|_| format!("\"{id}\""))
            .collect();
        assert_eq!(
            fields(&format!(
                r#"{{"action":"subscribe","filter":{{"ids":[{}]}}}}"#,
                many.join(",")
            )),
            ["filter.ids"]
        );
    }
}
