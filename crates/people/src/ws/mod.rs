//! The real-time feed over API Gateway's WebSocket API: connections and their subscriptions
//! (`$connect`, `$disconnect` and the message route, [`WsEdge`]) and the fan-out of the table's
//! changes to them ([`feed`]).
//!
//! A client connects (authorized like a REST read when the API requires tokens), sends
//! `{"action":"subscribe","filter":{...}}` and receives `{"type":"subscribed",...}`, then one
//! `{"type":"person.created|person.updated|person.deleted",...}` per change it may see. A message
//! that breaks a rule is answered with `{"type":"error","status":400,...,"errors":[{field,message}]}`
//! and the connection stays open.

#[cfg(feature = "authorizer")]
pub mod authorize;
#[cfg(feature = "realtime")]
pub mod feed;
pub mod message;
#[cfg(feature = "push")]
pub mod push;

use std::collections::HashMap;

use base64::Engine;
use dynamodel::expr::attr;
use dynamodel::{Table, Update, UpdateOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::config::Access;
use crate::http::Scope;
use crate::model::{CONNECTION_TTL_SECONDS, Connection, Subscription};
use message::{ClientMessage, ServerMessage, filter_json};

/// A WebSocket API event (`$connect`, `$disconnect`, a message), as API Gateway sends it to the
/// integration. Only what the functions read; the authorizer's context is kept whole, as a Lambda
/// request authorizer returns it (flat, not under `lambda` as on HTTP APIs).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsEvent {
    /// Where and who.
    pub request_context: WsContext,
    /// The message, for the message route.
    #[serde(default)]
    pub body: Option<String>,
    /// True when `body` is base64 (a binary frame).
    #[serde(default)]
    pub is_base64_encoded: bool,
}

/// The request context of a [`WsEvent`].
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsContext {
    /// `$connect`, `$disconnect`, `$default`, ...
    #[serde(default)]
    pub route_key: String,
    /// `CONNECT`, `DISCONNECT` or `MESSAGE`.
    #[serde(default)]
    pub event_type: String,
    /// The connection.
    #[serde(default)]
    pub connection_id: String,
    /// When it connected, in epoch milliseconds.
    #[serde(default)]
    pub connected_at: i64,
    /// The Lambda authorizer's context: `principalId`, `sub`, `scope`.
    #[serde(default)]
    pub authorizer: Option<HashMap<String, Value>>,
    /// The API's request id.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// What the function answers: API Gateway rejects a `$connect` that is not 2xx, and sends the body
/// of a message route's answer back to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsResponse {
    /// HTTP status.
    pub status_code: u16,
    /// The message sent back, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl WsResponse {
    fn status(status_code: u16) -> Self {
        Self {
            status_code,
            body: None,
        }
    }

    fn message(message: &ServerMessage<'_>) -> Self {
        Self {
            status_code: 200,
            body: Some(message.to_json()),
        }
    }

    fn error(status: u16, title: &str, detail: &str, errors: &[dynamodel::FieldError]) -> Self {
        Self::message(&ServerMessage::Error {
            status,
            title,
            detail,
            errors,
        })
    }
}

/// The WebSocket routes' handlers.
#[derive(Debug, Clone)]
pub struct WsEdge {
    table: Table,
    access: Access,
}

/// Who connected: the subject and scopes from the authorizer's context.
fn caller(context: &WsContext) -> Option<(String, Vec<Scope>)> {
    let authorizer = context.authorizer.as_ref()?;
    let subject = authorizer
        .get("sub")
        .or_else(|| authorizer.get("principalId"))?
        .as_str()
        .filter(|s| !s.is_empty() && s.len() <= 255)?
        .to_owned();
    let scopes = authorizer
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(Scope::from_name)
        .collect();
    Some((subject, scopes))
}

impl WsEdge {
    /// The handlers over the people table.
    pub fn new(table: Table, access: Access) -> Self {
        Self { table, access }
    }

    /// Handles one Lambda invocation: [`WsEdge::handle`] of its event (the route functions' whole job).
    pub async fn invoke(
        &self,
        invocation: lambda_runtime::LambdaEvent<WsEvent>,
    ) -> Result<WsResponse, lambda_runtime::Error> {
        Ok(self.handle(invocation.payload).await)
    }

    /// Handles any WebSocket event by its route.
    pub async fn handle(&self, event: WsEvent) -> WsResponse {
        match event.request_context.route_key.as_str() {
            "$connect" => self.connect(&event).await,
            "$disconnect" => self.disconnect(&event).await,
            _ => self.message(&event).await,
        }
    }

    /// `$connect`: records the connection, with who it is and what it may see. Without a verified
    /// caller that holds a people scope (when the API requires tokens) the connection is refused.
    pub async fn connect(&self, event: &WsEvent) -> WsResponse {
        let context = &event.request_context;
        if context.connection_id.is_empty() {
            return WsResponse::status(400);
        }
        let (subject, own_only) = match (self.access, caller(context)) {
            (Access::Open, caller) => (caller.map(|c| c.0), false),
            (Access::Verified, None) => return WsResponse::status(401),
            (Access::Verified, Some((subject, scopes))) => {
                let any = scopes.contains(&Scope::Read) || scopes.contains(&Scope::Write);
                if !any && !scopes.contains(&Scope::OwnPerson) {
                    return WsResponse::status(403);
                }
                (Some(subject), !any)
            }
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut connection = Connection {
            connection_id: context.connection_id.clone(),
            subject,
            own_only,
            subscription: None,
            connected_at: if context.connected_at > 0 {
                context.connected_at / 1000
            } else {
                now
            },
            expires_at: Some(now + CONNECTION_TTL_SECONDS),
        };
        match self
            .table
            .put(&mut connection, dynamodel::PutMode::Upsert)
            .await
        {
            Ok(()) => WsResponse::status(200),
            Err(e) => {
                tracing::error!(error = %e, "the connection could not be recorded");
                WsResponse::status(500)
            }
        }
    }

    /// `$disconnect`: forgets the connection.
    pub async fn disconnect(&self, event: &WsEvent) -> WsResponse {
        let key = Connection::key_for(&event.request_context.connection_id);
        match self.table.delete::<Connection>(&key, None).await {
            Ok(_) => WsResponse::status(200),
            Err(e) => {
                // Its item expires anyway; the push that finds it gone deletes it before that.
                tracing::warn!(error = %e, "the connection could not be forgotten");
                WsResponse::status(200)
            }
        }
    }

    /// A message: `subscribe`, `unsubscribe` or `ping`, answered on the connection.
    pub async fn message(&self, event: &WsEvent) -> WsResponse {
        let body = match (&event.body, event.is_base64_encoded) {
            (Some(body), false) => body.clone(),
            (Some(body), true) => match base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            {
                Some(text) => text,
                None => {
                    return WsResponse::error(
                        400,
                        "Bad message",
                        "a message must be UTF-8 JSON text",
                        &[],
                    );
                }
            },
            (None, _) => String::new(),
        };
        let message = match ClientMessage::parse(&body) {
            Ok(message) => message,
            Err(errors) => {
                return WsResponse::error(
                    400,
                    "Invalid message",
                    "the message breaks the rules listed in errors",
                    errors.errors(),
                );
            }
        };
        let subscription = match message {
            ClientMessage::Ping => return WsResponse::message(&ServerMessage::Pong),
            ClientMessage::Subscribe(subscription) => Some(subscription),
            ClientMessage::Unsubscribe => None,
        };
        match self
            .subscribe(&event.request_context.connection_id, subscription.as_ref())
            .await
        {
            Ok(()) => WsResponse::message(&match &subscription {
                Some(s) => ServerMessage::Subscribed {
                    filter: filter_json(s),
                },
                None => ServerMessage::Unsubscribed,
            }),
            Err(e) if e.is_conditional_check_failed() => WsResponse::error(
                410,
                "Unknown connection",
                "this connection is no longer known; connect again",
                &[],
            ),
            Err(e) => {
                tracing::error!(error = %e, "a subscription could not be stored");
                WsResponse::error(
                    503,
                    "Unavailable",
                    "the subscription could not be stored; send it again",
                    &[],
                )
            }
        }
    }

    /// Stores what a connection receives (`None`: nothing) and keeps its item alive.
    async fn subscribe(
        &self,
        connection_id: &str,
        subscription: Option<&Subscription>,
    ) -> dynamodel::Result<()> {
        let fields = Connection::fields();
        let expires = OffsetDateTime::now_utc().unix_timestamp() + CONNECTION_TTL_SECONDS;
        let update = match subscription {
            Some(s) => fields.subscription.set(Some(s.clone())),
            None => fields.subscription.remove(),
        }
        .merge(Update::new().set(attr("expires_at"), expires));
        self.table
            .update::<Connection>(
                &Connection::key_for(connection_id),
                update,
                UpdateOptions::new(),
            )
            .await
            .map(|_| ())
    }
}
