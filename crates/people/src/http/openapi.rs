//! The API's contract: an OpenAPI 3.1 document generated from the code that serves the API.
//!
//! Nothing here is written twice by hand where the code already says it:
//!
//! - the paths and operations are the route table's ([`ROUTES`]; `HEAD` for every `GET`, the scopes
//!   of each action), so a route cannot exist without its operation;
//! - the person and problem schemas are derived (`utoipa::ToSchema`) from the types the edge
//!   serialises ([`PersonBody`], [`Problem`]), their field schemas written here, next to the rules
//!   they state;
//! - each problem response's `type` and `title` come from [`ApiError::problem`] for every error the
//!   edge can answer with;
//! - the limits are the edge's constants ([`MAX_LIMIT`], [`MAX_BODY_BYTES`], [`MAX_FIELD_ERRORS`]).
//!
//! The rules of the model (`crate::model`) are stated as JSON Schema constraints for what the API
//! *accepts*, which is looser than what it stores where it normalises: surrounding whitespace is
//! trimmed from every string, emails and tags are lowercased, phone separators are dropped, tags are
//! deduplicated. The tests below hold each pattern to the model's validation on both sides of every
//! bound. What JSON Schema cannot say is in the descriptions: lengths are counted after Unicode
//! normalisation (NFC), duplicate tags count once, and `If-Match` and `If-None-Match` cannot be
//! combined.
//!
//! `xtask openapi` prints [`to_json`]; the committed `openapi.json` at the repository root is served
//! by the local stack at `GET /openapi.json`, and xtask's tests fail when it is stale.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::extract::{DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_LIMIT, MERGE_PATCH_JSON};
use super::problem::{ApiError, MAX_FIELD_ERRORS, Problem};
use super::reply::PersonBody;
use super::route::{Action, ROUTES, Route, Scope, allow};
use crate::model::MalformedId;
use crate::service::ServiceError;

/// Longest name, in characters after trimming and NFC normalisation.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest email, in bytes after trimming and lowercasing.
pub const EMAIL_MAX_BYTES: usize = 254;
/// Longest local part of an email, in bytes.
pub const EMAIL_LOCAL_MAX_BYTES: usize = 64;
/// Most distinct tags.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters after trimming and lowercasing.
pub const TAG_MAX_CHARS: usize = 32;
/// Fewest and most digits of a phone number after the `+`.
pub const PHONE_DIGITS: (usize, usize) = (7, 15);
/// Longest `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// What Rust's `str::trim` removes (Unicode `White_Space`), as a character-class body.
const WS: &str = r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// What a name may not contain: control characters (`Cc`), bidirectional marks, embeddings,
/// overrides and isolates, zero-width characters and the byte-order mark.
const NAME_BANNED: &str =
    r"\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF";
/// The punctuation a tag may contain besides letters and digits.
const TAG_PUNCTUATION: [char; 4] = ['-', '_', '.', ':'];

/// Whether a stored tag may contain `c`: the model's rule (Unicode letters and numbers, as Rust's
/// `char::is_alphanumeric`, and [`TAG_PUNCTUATION`]).
fn stored_tag_char(c: char) -> bool {
    c.is_alphanumeric() || TAG_PUNCTUATION.contains(&c)
}

/// Whether a tag may be sent with `c` in it: tags are lowercased before the rule applies, so this is
/// the characters whose lowercase passes it (U+0130, which lowercases to `i` and a combining dot,
/// does not).
fn input_tag_char(c: char) -> bool {
    c.to_lowercase().all(stored_tag_char)
}

/// A character-class body naming exactly the characters `keep` admits, as ranges of literal
/// characters: Unicode properties (`\p{L}`) are read differently by different regex engines, so the
/// document spells out the set Rust's tables give, the ones the API itself uses.
fn class_of(keep: impl Fn(char) -> bool) -> String {
    fn push(out: &mut String, c: char) {
        if matches!(c, '\\' | ']' | '[' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    let mut out = String::new();
    let mut run: Option<(char, char)> = None;
    let flush = |run: Option<(char, char)>, out: &mut String| {
        if let Some((first, last)) = run {
            push(out, first);
            match u32::from(last) - u32::from(first) {
                0 => {}
                1 => push(out, last),
                _ => {
                    out.push('-');
                    push(out, last);
                }
            }
        }
    };
    for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
        if !keep(c) {
            continue;
        }
        run = match run {
            Some((first, last)) if u32::from(c) == u32::from(last) + 1 => Some((first, c)),
            other => {
                flush(other, &mut out);
                Some((c, c))
            }
        };
    }
    flush(run, &mut out);
    out
}
/// The local part of an email (garde's rule), before lowercasing: U+212A KELVIN SIGN lowercases to `k`.
const EMAIL_LOCAL_CHARS: &str = r"A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-\u212A";
/// A domain label, before lowercasing.
const EMAIL_LABEL: &str = r"[A-Za-z0-9\u212A](?:[A-Za-z0-9\u212A\-]{0,61}[A-Za-z0-9\u212A])?";
const IPV4_OCTET: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
/// What a phone number's normalisation drops anywhere in it.
const PHONE_SEPARATORS: &str = r" \-.()\u00A0";
/// Crockford base32, either case: what the API reads as an id.
const ULID_CHARS: &str = "0-9A-HJKMNP-TV-Za-hjkmnp-tv-z";

/// `core` with any whitespace around it, as the API trims it.
fn trimmed(core: &str) -> String {
    format!("^[{WS}]*{core}[{WS}]*$")
}

/// 1 to `max` characters of `[inner]` that neither start nor end with whitespace.
fn bounded_text(inner: &str, max: usize) -> String {
    format!(
        "[^{WS}{inner}](?:[^{inner}]{{0,{}}}[^{WS}{inner}])?",
        max - 2
    )
}

fn email_core(label: &str, local: &str) -> String {
    format!(
        r"[{local}]{{1,{EMAIL_LOCAL_MAX_BYTES}}}@(?:{label}(?:\.{label})*|\[{IPV4_OCTET}(?:\.{IPV4_OCTET}){{3}}\])"
    )
}

/// The schema of one field, from JSON.
fn schema(value: Value) -> Schema {
    let schema: Schema = serde_json::from_value(value.clone()).expect("a JSON Schema utoipa reads");
    assert_eq!(
        serde_json::to_value(&schema).expect("a schema serialises"),
        value,
        "utoipa does not keep every keyword of this schema"
    );
    schema
}

/// Field schemas of the stored (and returned) person.
pub(crate) mod stored {
    use super::*;

    pub(crate) fn id() -> Schema {
        schema(json!({
            "type": "string",
            "description": "Server-generated ULID: 26 characters of Crockford base32, sorting by creation time.",
            "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$",
            "examples": ["01KAZ3NDEKTSV4RRFFQ69G5FAV"],
        }))
    }

    pub(crate) fn name() -> Schema {
        schema(json!({
            "type": "string",
            "description": format!("1 to {NAME_MAX_CHARS} characters, trimmed, in Unicode normalisation form C, without control, bidirectional-override or zero-width characters."),
            "minLength": 1,
            "maxLength": NAME_MAX_CHARS,
            "pattern": format!("^{}$", bounded_text(NAME_BANNED, NAME_MAX_CHARS)),
            "examples": ["Ada Lovelace"],
        }))
    }

    pub(crate) fn email() -> Schema {
        let label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
        schema(json!({
            "type": "string",
            "description": "Lowercase, unique across people. An IPv6 literal domain (`x@[::1]`) is possible too, which the pattern leaves out.",
            "minLength": 3,
            "maxLength": EMAIL_MAX_BYTES,
            "pattern": format!("^{}$", email_core(label, r"a-z0-9.!#$%&'*+/=?^_`{|}~\-")),
            "examples": ["ada@example.com"],
        }))
    }

    pub(crate) fn phone() -> Schema {
        schema(json!({
            "type": ["string", "null"],
            "description": "International format: `+` and 7 to 15 digits, the first not 0; null when the person has none.",
            "pattern": format!(r"^\+[1-9][0-9]{{{},{}}}$", PHONE_DIGITS.0 - 1, PHONE_DIGITS.1 - 1),
            "examples": ["+442079460958"],
        }))
    }

    pub(crate) fn tags() -> Schema {
        schema(json!({
            "type": "array",
            "description": format!("Up to {MAX_TAGS} distinct lowercase tags, in the order first given."),
            "maxItems": MAX_TAGS,
            "uniqueItems": true,
            "items": schema_ref("Tag"),
            "examples": [["math", "poet"]],
        }))
    }

    pub(crate) fn timestamp() -> Schema {
        schema(json!({
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339, UTC.",
            "examples": ["2026-11-24T12:00:00.123Z"],
        }))
    }

    pub(crate) fn version() -> Schema {
        schema(json!({
            "type": "integer",
            "description": "Incremented by every write; the ETag is derived from it and the creation time.",
            "minimum": 1,
        }))
    }
}

/// Field schemas of the problem document.
pub(crate) mod problem {
    use super::*;

    pub(crate) fn kind() -> Schema {
        schema(json!({
            "type": "string",
            "format": "uri-reference",
            "description": "A URI reference naming the kind of problem; `about:blank` when the status says it all.",
            "enum": problem_kinds().into_iter().map(|(_, kind, _)| kind).collect::<std::collections::BTreeSet<_>>(),
        }))
    }

    pub(crate) fn title() -> Schema {
        schema(json!({
            "type": "string",
            "description": "A short, fixed summary of the kind.",
        }))
    }

    pub(crate) fn status() -> Schema {
        schema(json!({
            "type": "integer",
            "description": "The HTTP status of the response.",
            "minimum": 400,
            "maximum": 599,
        }))
    }

    pub(crate) fn detail() -> Schema {
        schema(json!({
            "type": "string",
            "description": "What happened, for a human. Only a generic message and the request id for a 500.",
        }))
    }

    pub(crate) fn errors() -> Schema {
        schema(json!({
            "type": "array",
            "description": format!("Each field that broke a rule, and the rule: at most {MAX_FIELD_ERRORS} (`errors_omitted` counts the rest). `field` is a body member (`tags[2]` for an element), a query parameter, a header (`If-Match`, `Idempotency-Key`), `id` for the path, or `body`."),
            "minItems": 1,
            "maxItems": MAX_FIELD_ERRORS,
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        }))
    }

    pub(crate) fn errors_omitted() -> Schema {
        schema(json!({
            "type": "integer",
            "description": "How many more field errors there were than `errors` lists.",
            "minimum": 1,
        }))
    }

    pub(crate) fn request_id() -> Schema {
        schema(json!({
            "type": "string",
            "description": "The request id (also in `x-request-id`), to quote when reporting.",
        }))
    }
}

/// Every error the edge answers with, one of each variant (the match below fails to compile when a
/// variant is added, so the document cannot miss one).
fn api_errors() -> Vec<ApiError> {
    fn _every_variant_is_listed(e: &ApiError) {
        match e {
            ApiError::RouteNotFound { .. }
            | ApiError::MethodNotAllowed { .. }
            | ApiError::UnsupportedMediaType(_)
            | ApiError::PayloadTooLarge
            | ApiError::MalformedJson(_)
            | ApiError::MalformedId(_)
            | ApiError::Invalid(_)
            | ApiError::Unauthenticated
            | ApiError::DeadlineExceeded
            | ApiError::IdempotencyKeyReused
            | ApiError::RequestInProgress
            | ApiError::MissingScope(_) => {}
            ApiError::Service(s) => match s {
                ServiceError::NotFound
                | ServiceError::EmailTaken
                | ServiceError::PreconditionFailed
                | ServiceError::Conflict
                | ServiceError::Validation(_)
                | ServiceError::InvalidCursor
                | ServiceError::NotOwner
                | ServiceError::OwnsAnother(_)
                // The 500 and 503 of `Store`: no problem kind of its own.
                | ServiceError::CursorKey(_)
                | ServiceError::Store(_) => {}
            },
        }
    }
    let no_errors = dynamodel::ValidationErrors::new;
    vec![
        ApiError::RouteNotFound { suggestion: None },
        ApiError::MethodNotAllowed {
            allow: allow("/people"),
        },
        ApiError::UnsupportedMediaType("application/json"),
        ApiError::PayloadTooLarge,
        ApiError::MalformedJson(String::new()),
        ApiError::MalformedId(MalformedId),
        ApiError::Invalid(no_errors()),
        ApiError::Unauthenticated,
        ApiError::DeadlineExceeded,
        ApiError::IdempotencyKeyReused,
        ApiError::RequestInProgress,
        ApiError::MissingScope(&Scope::ALL),
        ApiError::Service(ServiceError::NotFound),
        ApiError::Service(ServiceError::EmailTaken),
        ApiError::Service(ServiceError::PreconditionFailed),
        ApiError::Service(ServiceError::Conflict),
        ApiError::Service(ServiceError::Validation(no_errors())),
        ApiError::Service(ServiceError::InvalidCursor),
        ApiError::Service(ServiceError::NotOwner),
        ApiError::Service(ServiceError::OwnsAnother(crate::model::PersonId::generate())),
        // Any storage failure that is not throttling or unavailability (those are the 503 of
        // `DeadlineExceeded`).
        ApiError::Service(ServiceError::Store(dynamodel::Error::Validation(
            no_errors(),
        ))),
    ]
}

/// (status, type, title) of every problem the edge answers with.
fn problem_kinds() -> Vec<(u16, &'static str, &'static str)> {
    let mut kinds: Vec<_> = api_errors()
        .iter()
        .map(|e| {
            let p: Problem = e.problem();
            (p.status, p.kind, p.title)
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The name of the shared response for `status`.
fn response_name(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let name: String = reason
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    // RFC 9110 renamed 413.
    if status == 413 {
        return "ContentTooLarge".to_owned();
    }
    name
}

/// Statuses that API Gateway itself may answer with, before or instead of the function: its JWT
/// authorizer (401, 403), its payload limit (413), its throttling (429) and a failed integration
/// (500, 503). Its body is `{"message": "..."}` as `application/json`, without `x-request-id`.
const GATEWAY_STATUSES: [u16; 6] = [401, 403, 413, 429, 500, 503];

/// What each status means, for the shared responses' descriptions.
fn status_description(status: u16) -> &'static str {
    match status {
        400 => {
            "The request is malformed or breaks a rule: validation (with `errors`), malformed JSON, a malformed id, a bad query parameter or cursor, an unknown or server-owned field, a bad `Idempotency-Key`, `If-None-Match` other than `*` on a write, or `If-Match` together with `If-None-Match`."
        }
        401 => {
            "No verified identity: a bearer token is missing, expired or invalid (deployed, or `AUTH=on` locally). From the function or, with its own body, API Gateway's JWT authorizer."
        }
        403 => {
            "The token has none of the operation's scopes, or `people/self` acts on someone else's person or would create a second one of its own."
        }
        404 => "No person has this id.",
        409 => {
            "Another person already has this email, the person was modified concurrently (retry), or a request with the same `Idempotency-Key` is still running (`Retry-After`)."
        }
        412 => {
            "`If-Match` did not match the stored person's ETag (or nobody is stored), or `If-None-Match: *` found a stored person."
        }
        413 => "The body is larger than 64 KiB (the function) or 10 MB (API Gateway).",
        415 => {
            "The body's `Content-Type` is not the one this operation reads (UTF-8 only); `Accept-Patch` names the merge-patch type."
        }
        422 => {
            "The `Idempotency-Key` was used with a different request; use a new key for a new request."
        }
        429 => "API Gateway's throttling turned the request away; retry later.",
        500 => {
            "Something unexpected: a generic message and the request id; the details are only in the log."
        }
        503 => {
            "DynamoDB was throttled or unreachable, or the request ran out of time (it may or may not have taken effect): retry after `Retry-After` seconds, with the same `Idempotency-Key`."
        }
        _ => "An error.",
    }
}

fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The shared responses: one per problem status.
fn problem_responses() -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<(&str, &str)>> = BTreeMap::new();
    for (status, kind, title) in problem_kinds() {
        by_status.entry(status).or_default().push((kind, title));
    }
    // Only API Gateway answers 429.
    by_status.entry(429).or_default();
    let mut responses = Map::new();
    for (status, kinds) in by_status {
        // 404 and 405 for unknown routes and methods are the `$default` route's, not an operation's.
        if status == 405 {
            continue;
        }
        let mut headers = Map::new();
        let from_gateway = GATEWAY_STATUSES.contains(&status);
        let mut request_id = header_ref("XRequestId");
        if from_gateway {
            request_id = header_ref("XRequestIdIfFunction");
        }
        headers.insert("x-request-id".into(), request_id);
        match status {
            401 => {
                headers.insert("WWW-Authenticate".into(), header_ref("WWWAuthenticate"));
            }
            409 | 503 => {
                headers.insert("Retry-After".into(), header_ref("RetryAfter"));
            }
            415 => {
                headers.insert("Accept-Patch".into(), header_ref("AcceptPatch"));
            }
            _ => {}
        }
        headers.insert(
            "Idempotent-Replayed".into(),
            header_ref("IdempotentReplayed"),
        );
        let mut content = Map::new();
        if !kinds.is_empty() {
            let types: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
            let titles: std::collections::BTreeSet<&str> = kinds.iter().map(|(_, t)| *t).collect();
            content.insert(
                "application/problem+json".into(),
                json!({
                    "schema": {
                        "allOf": [
                            schema_ref("Problem"),
                            {
                                "properties": {
                                    "status": { "enum": [status] },
                                    "type": { "enum": types },
                                    "title": { "enum": titles },
                                },
                            },
                        ],
                    },
                }),
            );
        }
        if from_gateway {
            content.insert(
                "application/json".into(),
                json!({ "schema": schema_ref("GatewayMessage") }),
            );
        }
        responses.insert(
            response_name(status),
            json!({
                "description": status_description(status),
                "headers": headers,
                "content": content,
            }),
        );
    }
    responses
}

/// The problem statuses an action can answer with.
fn problem_statuses(action: Action) -> Vec<u16> {
    let mut statuses = vec![400, 401, 403];
    match action {
        Action::List => {}
        Action::Read => statuses.push(404),
        Action::Create => statuses.extend([409, 415, 422]),
        Action::Replace => statuses.extend([409, 412, 415, 422]),
        Action::Patch => statuses.extend([404, 409, 412, 415, 422]),
        Action::Delete => statuses.extend([404, 409, 412, 422]),
    }
    statuses.extend([413, 429, 500, 503]);
    statuses.sort();
    statuses
}

/// A problem response, without its body for `HEAD`.
fn problem_response(status: u16, head: bool) -> Value {
    if !head {
        return json!({ "$ref": format!("#/components/responses/{}", response_name(status)) });
    }
    let mut headers = Map::new();
    let request_id = if GATEWAY_STATUSES.contains(&status) {
        "XRequestIdIfFunction"
    } else {
        "XRequestId"
    };
    headers.insert("x-request-id".into(), header_ref(request_id));
    if status == 401 {
        headers.insert("WWW-Authenticate".into(), header_ref("WWWAuthenticate"));
    }
    if status == 503 {
        headers.insert("Retry-After".into(), header_ref("RetryAfter"));
    }
    json!({
        "description": format!("{} No body: this is `HEAD`.", status_description(status)),
        "headers": headers,
    })
}

fn operation_id(head: bool, action: Action) -> &'static str {
    match (head, action) {
        (true, Action::List) => "headPeople",
        (true, _) => "headPerson",
        (false, Action::List) => "listPeople",
        (false, Action::Create) => "createPerson",
        (false, Action::Read) => "getPerson",
        (false, Action::Replace) => "replacePerson",
        (false, Action::Patch) => "patchPerson",
        (false, Action::Delete) => "deletePerson",
    }
}

fn summary(action: Action, head: bool) -> &'static str {
    match (action, head) {
        (Action::List, false) => "List people, newest first",
        (Action::List, true) => "The headers of a list page",
        (Action::Create, _) => "Create a person with a server-chosen id",
        (Action::Read, false) => "Read a person",
        (Action::Read, true) => "The headers of a person",
        (Action::Replace, _) => "Replace a person, or create one with this id",
        (Action::Patch, _) => "Change some fields of a person (JSON merge patch)",
        (Action::Delete, _) => "Delete a person",
    }
}

fn security(scopes: &[Scope]) -> Value {
    Value::Array(
        scopes
            .iter()
            .map(|s| json!({ "bearerAuth": [s.name()] }))
            .collect(),
    )
}

fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn link_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/links/{name}") })
}

/// The links from a response that carries a person and its ETag.
fn person_links(except: &str) -> Value {
    let mut links = Map::new();
    for name in ["GetPerson", "ReplacePerson", "PatchPerson", "DeletePerson"] {
        if name != except {
            links.insert(name.into(), link_ref(name));
        }
    }
    links.insert(
        "GetPersonIfNoneMatch".into(),
        link_ref("GetPersonIfNoneMatch"),
    );
    Value::Object(links)
}

/// A person response with its ETag (and, for 201, Location); `except` is the link to itself.
fn person_response(description: &str, created: bool, head: bool, except: &str) -> Value {
    let mut headers = Map::new();
    headers.insert("ETag".into(), header_ref("ETag"));
    if created {
        headers.insert("Location".into(), header_ref("Location"));
    }
    headers.insert("x-request-id".into(), header_ref("XRequestId"));
    if except != "GetPerson" {
        // A write's answer, which an `Idempotency-Key` retry replays.
        headers.insert(
            "Idempotent-Replayed".into(),
            header_ref("IdempotentReplayed"),
        );
    }
    let mut response = json!({ "description": description, "headers": headers });
    if !head {
        response["content"] = json!({ "application/json": { "schema": schema_ref("Person") } });
        response["links"] = person_links(except);
    }
    response
}

/// The operation for `route` (`head`: its derived `HEAD` twin).
fn operation(route: &Route, head: bool) -> Value {
    let action = route.action;
    let mut parameters = Vec::new();
    if route.path.contains("{id}") {
        parameters.push(param_ref("PersonId"));
    }
    let mut responses = Map::new();
    let mut request_body = None;
    let mut description = String::new();
    match action {
        Action::List => {
            for name in ["Limit", "Cursor", "Tag", "NamePrefix", "Email"] {
                parameters.push(param_ref(name));
            }
            description = format!(
                "A page of at most `limit` people (default {DEFAULT_LIMIT}), newest first, and the cursor of the next page. The filters combine; unknown and repeated query parameters are a 400."
            );
            let mut ok = json!({
                "description": "A page of people.",
                "headers": { "x-request-id": header_ref("XRequestId") },
            });
            if !head {
                ok["content"] =
                    json!({ "application/json": { "schema": schema_ref("PersonPage") } });
                ok["links"] = json!({ "NextPage": link_ref("NextPage") });
            }
            responses.insert("200".into(), ok);
        }
        Action::Create => {
            parameters.push(param_ref("IdempotencyKey"));
            request_body = Some(json!({ "$ref": "#/components/requestBodies/Person" }));
            description = "The person gets a new id (a ULID). The answer's `Location` is its URL and `ETag` its entity tag, for `If-Match` on later writes.".into();
            responses.insert(
                "201".into(),
                person_response("Created.", true, false, "CreatePerson"),
            );
        }
        Action::Read => {
            parameters.push(param_ref("IfNoneMatchRead"));
            responses.insert(
                "200".into(),
                person_response("The person.", false, head, "GetPerson"),
            );
            responses.insert(
                "304".into(),
                json!({
                    "description": "`If-None-Match` names the stored person's ETag (or is `*`): no body.",
                    "headers": {
                        "ETag": header_ref("ETag"),
                        "x-request-id": header_ref("XRequestId"),
                    },
                }),
            );
        }
        Action::Replace => {
            parameters.extend([
                param_ref("IfMatch"),
                param_ref("IfNoneMatchWrite"),
                param_ref("IdempotencyKey"),
            ]);
            request_body = Some(json!({ "$ref": "#/components/requestBodies/Person" }));
            description = "Replaces every client field (a missing `phone` or `tags` is removed). Without a person stored under this id, creates it with this id (201). `If-Match: <ETag>` replaces only that version, `If-None-Match: *` only creates; the two cannot be combined (400).".into();
            responses.insert(
                "200".into(),
                person_response("Replaced.", false, false, "ReplacePerson"),
            );
            responses.insert(
                "201".into(),
                person_response("Created with this id.", true, false, "ReplacePerson"),
            );
        }
        Action::Patch => {
            parameters.extend([param_ref("IfMatch"), param_ref("IdempotencyKey")]);
            request_body = Some(json!({ "$ref": "#/components/requestBodies/PersonMergePatch" }));
            description = "A JSON merge patch (RFC 7396): members present are set, `null` removes `phone` or `tags`; `name` and `email` cannot be removed. An empty patch changes nothing. An email change moves its uniqueness claim in the same transaction.".into();
            responses.insert(
                "200".into(),
                person_response("Patched.", false, false, "PatchPerson"),
            );
        }
        Action::Delete => {
            parameters.extend([param_ref("IfMatch"), param_ref("IdempotencyKey")]);
            description = "Deletes the person and releases its email.".into();
            responses.insert(
                "204".into(),
                json!({
                    "description": "Deleted.",
                    "headers": {
                        "x-request-id": header_ref("XRequestId"),
                        "Idempotent-Replayed": header_ref("IdempotentReplayed"),
                    },
                }),
            );
        }
    }
    for status in problem_statuses(action) {
        responses.insert(status.to_string(), problem_response(status, head));
    }
    if action.writes() {
        description.push_str(" With an `Idempotency-Key`, a retry of the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is written twice.");
    }
    if head {
        description = format!("`{} {}` without the body.", route.method, route.path);
    }
    let mut operation = json!({
        "operationId": operation_id(head, action),
        "summary": summary(action, head),
        "description": description.trim(),
        "tags": ["people"],
        "security": security(action.scopes()),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = request_body {
        operation["requestBody"] = body;
    }
    operation
}

/// The paths, from the route table.
fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for route in &ROUTES {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item");
        item.insert(
            route.method.as_str().to_ascii_lowercase(),
            operation(route, false),
        );
        if route.method == Method::GET {
            item.insert("head".into(), operation(route, true));
        }
    }
    paths
}

fn parameters() -> Value {
    let id_pattern = format!("^[0-7][{ULID_CHARS}]{{25}}$");
    let any_text = |max: usize| {
        format!(
            "^[{WS}]*[^{WS}](?:[\\s\\S]{{0,{}}}[^{WS}])?[{WS}]*$",
            max - 2
        )
    };
    json!({
        "PersonId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The person's id: a ULID (26 characters of Crockford base32, the first 0 to 7; lowercase is read as uppercase).",
            "schema": { "type": "string", "pattern": id_pattern, "examples": ["01KAZ3NDEKTSV4RRFFQ69G5FAV"] },
        },
        "Limit": {
            "name": "limit",
            "in": "query",
            "description": format!("Page size, default {DEFAULT_LIMIT}."),
            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT },
        },
        "Cursor": {
            "name": "cursor",
            "in": "query",
            "description": "Where to continue: the `next_cursor` of the previous page, exactly as returned. Opaque; any other value is a 400.",
            "schema": { "type": "string", "minLength": 1 },
        },
        "Tag": {
            "name": "tag",
            "in": "query",
            "description": format!("Only people with this tag: compared after trimming and lowercasing, 1 to {TAG_MAX_CHARS} characters."),
            "schema": { "type": "string", "pattern": any_text(TAG_MAX_CHARS) },
        },
        "NamePrefix": {
            "name": "name_prefix",
            "in": "query",
            "description": format!("Only people whose name starts with this, ignoring case: trimmed and NFC-normalised, 1 to {NAME_MAX_CHARS} characters."),
            "schema": { "type": "string", "pattern": any_text(NAME_MAX_CHARS) },
        },
        "Email": {
            "name": "email",
            "in": "query",
            "description": format!("Only the person with this email: compared after trimming and lowercasing, 1 to {EMAIL_MAX_BYTES} bytes (UTF-8)."),
            "schema": { "type": "string", "maxLength": EMAIL_MAX_BYTES, "pattern": any_text(EMAIL_MAX_BYTES) },
        },
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "description": "Write only if the stored person's ETag is one of these strong entity tags, or `*` for any stored person (412 otherwise, and when nobody is stored). Weak tags never match. Cannot be combined with `If-None-Match` (400).",
            "schema": { "type": "string" },
            "examples": { "one": { "value": "\"v1.187a9c4e5b2d3f00\"" }, "any": { "value": "*" } },
        },
        "IfNoneMatchRead": {
            "name": "If-None-Match",
            "in": "header",
            "description": "304 without a body when one of these entity tags (weak or strong) is the stored person's, or `*`.",
            "schema": { "type": "string" },
        },
        "IfNoneMatchWrite": {
            "name": "If-None-Match",
            "in": "header",
            "description": "`*`: create only; 412 when a person is stored under this id. Any other value is a 400, and so is combining it with `If-Match`.",
            "schema": { "type": "string", "enum": ["*"] },
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "description": "Chosen by the client, e.g. a UUID per logical operation, remembered for 24 hours per caller. A retry with the same key and the same request gets the first answer again; the same key with another request is a 422; while the first still runs, a 409.",
            "schema": { "type": "string", "pattern": format!("^[!-~]{{1,{IDEMPOTENCY_KEY_MAX}}}$") },
        },
    })
}

fn headers() -> Value {
    json!({
        "ETag": {
            "description": "The stored person's strong entity tag: opaque, changes with every write, never repeats for a person deleted and created again with the same id.",
            "required": true,
            "schema": { "type": "string", "pattern": "^\"[!#-~]+\"$" },
        },
        "Location": {
            "description": "The person's URL.",
            "required": true,
            "schema": { "type": "string", "pattern": "^/people/[0-7][0-9A-HJKMNP-TV-Z]{25}$" },
        },
        "XRequestId": {
            "description": "The request id, also in problem documents and the log.",
            "required": true,
            "schema": { "type": "string", "minLength": 1 },
        },
        "XRequestIdIfFunction": {
            "description": "The request id, when the function answered (API Gateway's own answers do not carry it).",
            "schema": { "type": "string", "minLength": 1 },
        },
        "RetryAfter": {
            "description": "Seconds to wait before retrying: 1 to 3 for a 503, 1 for a request still in progress.",
            "schema": { "type": "string", "pattern": "^[0-9]+$" },
        },
        "IdempotentReplayed": {
            "description": "`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`.",
            "schema": { "type": "string", "enum": ["true"] },
        },
        "WWWAuthenticate": {
            "description": "The authentication scheme: `Bearer`.",
            "required": true,
            "schema": { "type": "string", "pattern": "^Bearer" },
        },
        "AcceptPatch": {
            "description": "The media type PATCH reads.",
            "required": true,
            "schema": { "type": "string", "enum": [MERGE_PATCH_JSON] },
        },
    })
}

/// Field schemas of what the API accepts in a body.
fn input_fields() -> (Value, Value, Value, Value) {
    let name = json!({
        "type": "string",
        "description": format!("1 to {NAME_MAX_CHARS} characters once trimmed and NFC-normalised (the pattern counts them as sent), without control, bidirectional-override or zero-width characters."),
        "pattern": trimmed(&bounded_text(NAME_BANNED, NAME_MAX_CHARS)),
        "examples": ["Ada Lovelace"],
    });
    let email = json!({
        "type": "string",
        "description": format!("An address: a local part of 1 to {EMAIL_LOCAL_MAX_BYTES} of `A-Z a-z 0-9 . ! # $ % & ' * + / = ? ^ _ ` {{ | }} ~ -`, `@`, and a domain name or an IPv4 literal (`[192.0.2.1]`; IPv6 literals are accepted too, which the pattern leaves out); at most {EMAIL_MAX_BYTES} bytes once trimmed. Stored lowercase, and unique across people (409)."),
        "maxLength": EMAIL_MAX_BYTES,
        "pattern": trimmed(&email_core(EMAIL_LABEL, EMAIL_LOCAL_CHARS)),
        "examples": ["ada@example.com"],
    });
    let s = PHONE_SEPARATORS;
    let phone = json!({
        "type": ["string", "null"],
        "description": format!("International format: `+` (or `00`) and {} to {} digits, the first not 0. Spaces, dashes, dots, parentheses and no-break spaces are dropped; a value of nothing but those is no phone, like null.", PHONE_DIGITS.0, PHONE_DIGITS.1),
        "pattern": trimmed(&format!(
            "(?:[{s}]*|[{s}]*(?:\\+|0[{s}]*0)[{s}]*[1-9](?:[{s}]*[0-9]){{{},{}}}[{s}]*)",
            PHONE_DIGITS.0 - 1,
            PHONE_DIGITS.1 - 1
        )),
        "examples": ["+44 20 7946 0958"],
    });
    let tags = json!({
        "type": ["array", "null"],
        "description": format!("Up to {MAX_TAGS} distinct tags of 1 to {TAG_MAX_CHARS} letters, digits, `-`, `_`, `.`, `:`, trimmed and stored lowercase; duplicates (after lowercasing) count once. null is no tags."),
        "maxItems": MAX_TAGS,
        "items": schema_ref("TagInput"),
        "examples": [["math", "poet"]],
    });
    (name, email, phone, tags)
}

fn schemas() -> Map<String, Value> {
    let to_value = |s: RefOr<Schema>| serde_json::to_value(s).expect("a schema serialises");
    let mut person = to_value(<PersonBody<'_> as PartialSchema>::schema());
    person["additionalProperties"] = json!(false);
    person["description"] = json!("A person as the API returns it.");
    let mut problem = to_value(<Problem as PartialSchema>::schema());
    problem["additionalProperties"] = json!(false);
    problem["description"] = json!("An RFC 9457 problem document.");
    let (name, email, phone, tags) = input_fields();
    let mut schemas = Map::new();
    schemas.insert("Person".into(), person);
    schemas.insert(
        "PersonInput".into(),
        json!({
            "type": "object",
            "description": "A person as a client writes it: only these members, each at most once; `id`, `created_at`, `updated_at` and `version` are the server's.",
            "additionalProperties": false,
            "required": ["name", "email"],
            "properties": { "name": name, "email": email, "phone": phone, "tags": tags },
        }),
    );
    schemas.insert(
        "PersonMergePatch".into(),
        json!({
            "type": "object",
            "description": "A JSON merge patch of a person: members present are set, null removes `phone` or `tags`.",
            "additionalProperties": false,
            "properties": { "name": name, "email": email, "phone": phone, "tags": tags },
        }),
    );
    schemas.insert(
        "TagInput".into(),
        json!({
            "type": "string",
            "description": format!("A tag as sent: 1 to {TAG_MAX_CHARS} Unicode letters and numbers, `-`, `_`, `.`, `:` (the class below lists them, from the same Unicode tables the API uses), with any whitespace around it."),
            "pattern": trimmed(&format!("[{}]{{1,{TAG_MAX_CHARS}}}", class_of(input_tag_char))),
        }),
    );
    schemas.insert(
        "Tag".into(),
        json!({
            "type": "string",
            "description": format!("A stored tag: 1 to {TAG_MAX_CHARS} lowercase Unicode letters and numbers, `-`, `_`, `.`, `:`."),
            "pattern": format!("^[{}]{{1,{TAG_MAX_CHARS}}}$", class_of(stored_tag_char)),
        }),
    );
    schemas.insert(
        "PersonPage".into(),
        json!({
            "type": "object",
            "description": "One page of people, newest first.",
            "additionalProperties": false,
            "required": ["items", "next_cursor"],
            "properties": {
                "items": { "type": "array", "maxItems": MAX_LIMIT, "items": schema_ref("Person") },
                "next_cursor": {
                    "type": ["string", "null"],
                    "minLength": 1,
                    "description": "The `cursor` of the next page; null on the last page.",
                },
            },
        }),
    );
    schemas.insert("Problem".into(), problem);
    schemas.insert(
        "GatewayMessage".into(),
        json!({
            "type": "object",
            "description": "API Gateway's own answer, when it turns a request away before the function (authorizer, limits, throttling, a failed integration).",
            "required": ["message"],
            "properties": { "message": { "type": "string" } },
        }),
    );
    schemas
}

fn links() -> Value {
    let person_link = |operation: &str, description: &str, etag_header: Option<&str>| {
        let mut parameters = json!({ "path.id": "$response.body#/id" });
        if let Some(header) = etag_header {
            parameters[format!("header.{header}")] = json!("$response.header.ETag");
        }
        json!({ "operationId": operation, "description": description, "parameters": parameters })
    };
    json!({
        "GetPerson": person_link("getPerson", "Read the person back by its `id` (the last segment of `Location`).", None),
        "GetPersonIfNoneMatch": person_link("getPerson", "Read it again with its ETag: 304 while it is unchanged.", Some("If-None-Match")),
        "ReplacePerson": person_link("replacePerson", "Replace exactly this version (`If-Match` with its ETag).", Some("If-Match")),
        "PatchPerson": person_link("patchPerson", "Patch exactly this version (`If-Match` with its ETag).", Some("If-Match")),
        "DeletePerson": person_link("deletePerson", "Delete exactly this version (`If-Match` with its ETag).", Some("If-Match")),
        "NextPage": {
            "operationId": "listPeople",
            "description": "The next page (when `next_cursor` is not null).",
            "parameters": { "query.cursor": "$response.body#/next_cursor" },
        },
    })
}

/// Sorts every object's members, so the output is the same whatever map serde_json is built with.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// The OpenAPI document.
pub fn document() -> Value {
    let scopes: Map<String, Value> = Scope::ALL
        .iter()
        .map(|s| {
            let what = match s {
                Scope::Read => "read any person",
                Scope::Write => "read, create, change and delete any person",
                Scope::OwnPerson => {
                    "create one person of the caller's own, and read, list, change and delete only that one"
                }
            };
            (s.name().to_owned(), json!(what))
        })
        .collect();
    let responses = problem_responses();
    canonical(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "people-api",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("People records over JSON. Every response carries `x-request-id`; errors are RFC 9457 problem documents (`application/problem+json`). Bodies are at most {MAX_BODY_BYTES} bytes. Paths match exactly: no trailing slash, no redirects; an unknown path is a 404 and a method a path does not support is a 405 with `Allow`; `OPTIONS` on a path answers 204 with `Allow` and, for a CORS preflight (which needs no token), the CORS headers. Those are API Gateway's `$default` route, not operations here. Generated from the code (`cargo run -p xtask -- openapi`)."),
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": "/", "description": "The origin serving this document (`make dev`: http://127.0.0.1:9000)." }],
        "tags": [{ "name": "people", "description": "People records." }],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "parameters": parameters(),
            "headers": headers(),
            "requestBodies": {
                "Person": {
                    "required": true,
                    "description": "`application/json` or any `application/*+json`, UTF-8 (a `charset` other than UTF-8 is a 415).",
                    "content": { "application/json": { "schema": schema_ref("PersonInput") } },
                },
                "PersonMergePatch": {
                    "required": true,
                    "description": "Exactly `application/merge-patch+json`, UTF-8.",
                    "content": { MERGE_PATCH_JSON: { "schema": schema_ref("PersonMergePatch") } },
                },
            },
            "responses": responses,
            "links": links(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An OAuth 2.0 access token (JWT) of the stack's Cognito user pool, or of the configured issuer, verified by API Gateway's JWT authorizer. Each operation needs one of the scopes its security requirement lists (`x-scopes` describes them). `make dev` runs without tokens unless `AUTH=on` (tokens from `make token`).",
                    "x-scopes": scopes,
                },
            },
        },
    }))
}

/// The document as committed: pretty JSON and a newline.
pub fn to_json() -> String {
    serde_json::to_string_pretty(&document()).expect("the document serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use dynamodel::Model;

    use super::*;
    use crate::model::{Person, PersonId};

    /// Whether the model accepts a person with these fields (after its normalisation), as the
    /// service checks it.
    fn model_accepts(name: &str, email: &str, phone: Option<&str>, tags: &[&str]) -> bool {
        let now = time::OffsetDateTime::now_utc();
        let mut person = Person {
            id: PersonId::generate(),
            name: name.into(),
            email: email.into(),
            phone: phone.map(str::to_owned),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            created_at: now,
            updated_at: now,
            version: 0,
            owner: None,
        };
        person.before_save();
        Model::validate(&person).is_ok()
    }

    fn input_pattern(field: &str) -> String {
        let document = document();
        let schema = &document["components"]["schemas"]["PersonInput"]["properties"][field];
        let schema = match schema["items"]["$ref"].as_str() {
            Some(_) => &document["components"]["schemas"]["TagInput"],
            None => schema,
        };
        schema["pattern"].as_str().expect("a pattern").to_owned()
    }

    /// A small matcher for the patterns' shape is not worth writing: instead, each rule's bounds are
    /// checked against the model, and the patterns are built from the same constants.
    #[test]
    fn the_documented_bounds_are_the_models() {
        let ok_email = "ada@example.com";
        let name = |n: usize| "a".repeat(n);
        assert!(model_accepts(&name(NAME_MAX_CHARS), ok_email, None, &[]));
        assert!(!model_accepts(
            &name(NAME_MAX_CHARS + 1),
            ok_email,
            None,
            &[]
        ));
        assert!(model_accepts(
            &format!("  {}\t", name(NAME_MAX_CHARS)),
            ok_email,
            None,
            &[]
        ));
        assert!(!model_accepts(" \u{3000}", ok_email, None, &[]));
        for banned in [
            '\u{0}', '\u{7f}', '\u{9f}', '\u{61c}', '\u{200b}', '\u{202e}', '\u{2066}', '\u{feff}',
        ] {
            assert!(
                !model_accepts(&format!("a{banned}b"), ok_email, None, &[]),
                "{banned:?}"
            );
        }
        for fine in ['\u{a0}', '\u{2028}', '\u{3000}'] {
            assert!(
                model_accepts(&format!("a{fine}b"), ok_email, None, &[]),
                "{fine:?}"
            );
        }

        let local = "a".repeat(EMAIL_LOCAL_MAX_BYTES);
        assert!(model_accepts("A", &format!("{local}@x.io"), None, &[]));
        assert!(!model_accepts("A", &format!("a{local}@x.io"), None, &[]));
        let long = format!("aaa@{}.io", vec!["b".repeat(61); 4].join("."));
        assert_eq!(long.len(), EMAIL_MAX_BYTES);
        assert!(model_accepts("A", &long, None, &[]));
        assert!(!model_accepts("A", &format!("a{long}"), None, &[]));
        assert!(model_accepts("A", " \u{212A}@[192.0.2.1] ", None, &[]));
        assert!(!model_accepts("A", "a@[192.0.2.01]", None, &[]));

        let digits = |n: usize| "1".repeat(n);
        for (phone, ok) in [
            (format!("+{}", digits(PHONE_DIGITS.0)), true),
            (format!("+{}", digits(PHONE_DIGITS.0 - 1)), false),
            (
                format!("00 ({}) {}", digits(3), digits(PHONE_DIGITS.1 - 3)),
                true,
            ),
            (format!("+{}", digits(PHONE_DIGITS.1 + 1)), false),
            ("+0123456789".to_owned(), false),
            (" - ".to_owned(), true),
            ("+1 23\t4567".to_owned(), false),
        ] {
            assert_eq!(
                model_accepts("A", ok_email, Some(&phone), &[]),
                ok,
                "{phone:?}"
            );
        }

        let tag = "t".repeat(TAG_MAX_CHARS);
        assert!(model_accepts(
            "A",
            ok_email,
            None,
            &[&tag, " Ünï:cödé_1.0-x "]
        ));
        assert!(!model_accepts("A", ok_email, None, &[&format!("{tag}t")]));
        assert!(!model_accepts("A", ok_email, None, &["a b"]));
        assert!(!model_accepts("A", ok_email, None, &["\u{130}"]));
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(model_accepts("A", ok_email, None, &many[..MAX_TAGS]));
        assert!(!model_accepts("A", ok_email, None, &many));
    }

    #[test]
    fn tag_classes_come_from_the_apis_unicode_tables() {
        assert!(input_tag_char('É') && stored_tag_char('é') && input_tag_char('٣'));
        assert!(!input_tag_char('\u{130}') && !input_tag_char(' ') && !input_tag_char('€'));
        let class = class_of(input_tag_char);
        assert!(class.starts_with(r"\-.0-:A-Z_a-z"), "{class}");
        assert!(input_pattern("tags").contains(&class));
        assert!(!class.contains('\u{130}'));
    }

    #[test]
    fn every_problem_status_of_the_edge_is_a_response() {
        let document = document();
        let responses = document["components"]["responses"]
            .as_object()
            .expect("responses");
        for (status, kind, _) in problem_kinds() {
            if status == 405 {
                continue;
            }
            let response = &responses[&response_name(status)];
            let types = &response["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"]
                ["type"]["enum"];
            assert!(
                types.as_array().is_some_and(|t| t.contains(&json!(kind))),
                "{status} {kind}"
            );
        }
        for status in [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503] {
            assert!(responses.contains_key(&response_name(status)), "{status}");
        }
    }

    #[test]
    fn the_paths_are_the_route_tables() {
        let document = document();
        let paths = document["paths"].as_object().expect("paths");
        assert_eq!(paths.len(), 2);
        assert!(input_pattern("name").starts_with('^'));
        assert_eq!(document["openapi"], "3.1.0");
    }
}
