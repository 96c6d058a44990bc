//! Reading a request: its body (size, media type, base64, JSON), a person or a merge patch, the list
//! query and the preconditions. Shape and type errors name the field; the model's rules (lengths,
//! email, phone, tags) are checked by the service.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dynamodel::{Cursor, ValidationErrors};
use http::header::{self, HeaderMap};
use serde_json::{Map, Value};

use super::problem::ApiError;
use crate::model::{PersonPatch, normalise_email, normalise_name, normalise_tag};
use crate::service::{ListQuery, PersonInput, Precondition};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;

const JSON: &str = "application/json";
/// Most entity tags read from one `If-Match`.
const MAX_ENTITY_TAGS: usize = 16;
pub(crate) const MERGE_PATCH_JSON: &str = "application/merge-patch+json";
/// Fields the server sets; a body that names one is rejected.
const SERVER_FIELDS: [&str; 4] = ["id", "created_at", "updated_at", "version"];
const CLIENT_FIELDS: [&str; 4] = ["name", "email", "phone", "tags"];

pub(crate) fn parse_precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    match (text(header::IF_MATCH), text(header::IF_NONE_MATCH)) {
        (Some(_), Some(_)) => Err(ApiError::Invalid(ValidationErrors::single(
            "If-Match",
            "cannot be combined with If-None-Match",
        ))),
        (Some(value), None) if value.trim() == "*" => Ok(Precondition::IfMatch(None)),
        (Some(value), None) => {
            // Weak tags never match under the strong comparison If-Match requires; at most a
            // handful of tags are kept, so a long header costs nothing.
            let tags = value
                .split(',')
                .filter_map(|t| Some(t.trim().strip_prefix('"')?.strip_suffix('"')?.to_owned()))
                .take(MAX_ENTITY_TAGS)
                .collect();
            Ok(Precondition::IfMatch(Some(tags)))
        }
        (None, Some(value)) if value.trim() == "*" => Ok(Precondition::IfNoneMatchAny),
        (None, Some(_)) => Err(ApiError::Invalid(ValidationErrors::single(
            "If-None-Match",
            "only * is supported on writes",
        ))),
        (None, None) => Ok(Precondition::None),
    }
}

/// The request body as bytes, after the size and media-type checks: a JSON media type, or exactly
/// `application/merge-patch+json` when `merge_patch`.
fn body_bytes(request: &ApiGatewayV2httpRequest, merge_patch: bool) -> Result<Vec<u8>, ApiError> {
    let raw = request.body.as_deref().unwrap_or("");
    let bytes = if request.is_base64_encoded {
        if raw.len() > MAX_BODY_BYTES.div_ceil(3) * 4 {
            return Err(ApiError::PayloadTooLarge);
        }
        STANDARD
            .decode(raw)
            .map_err(|_| ApiError::MalformedJson("the body is not valid base64".into()))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let content_type = request
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let utf8 = parts.all(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        !k.trim().eq_ignore_ascii_case("charset")
            || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    let accepted = if merge_patch {
        media == MERGE_PATCH_JSON
    } else {
        media == JSON || (media.starts_with("application/") && media.ends_with("+json"))
    };
    if !accepted || !utf8 {
        return Err(ApiError::UnsupportedMediaType(if merge_patch {
            MERGE_PATCH_JSON
        } else {
            JSON
        }));
    }
    Ok(bytes)
}

/// Parses and shape-checks a person body: an object with only the client's fields, of the right
/// types. The model's rules (lengths, email, phone, tags) are checked by the service.
pub(crate) fn parse_person(request: &ApiGatewayV2httpRequest) -> Result<PersonInput, ApiError> {
    let (mut fields, mut errors) = parse_object(request, false)?;
    let mut required = |field: &str, errors: &mut ValidationErrors| match fields.remove(field) {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            errors.push(field, "is required");
            String::new()
        }
        Some(_) => {
            errors.push(field, "must be a string");
            String::new()
        }
    };
    let name = required("name", &mut errors);
    let email = required("email", &mut errors);
    let phone = match fields.remove("phone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push("phone", "must be a string or null");
            None
        }
    };
    let tags = fields
        .remove("tags")
        .map(|v| parse_tags(v, &mut errors))
        .unwrap_or_default();
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(PersonInput {
        name,
        email,
        phone,
        tags,
    })
}

/// The body as a JSON object, with errors for server-owned and unknown fields.
fn parse_object(
    request: &ApiGatewayV2httpRequest,
    merge_patch: bool,
) -> Result<(Map<String, Value>, ValidationErrors), ApiError> {
    let bytes = body_bytes(request, merge_patch)?;
    let malformed = |e: serde_json::Error| ApiError::MalformedJson(e.to_string());
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        // Not an object: either not JSON at all, or the wrong kind of JSON value.
        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(malformed)?;
        return Err(ApiError::Invalid(ValidationErrors::single(
            "body",
            "must be a JSON object",
        )));
    }
    let DistinctMembers(fields) = serde_json::from_slice(&bytes).map_err(malformed)?;
    let mut errors = ValidationErrors::new();
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    for name in names {
        if SERVER_FIELDS.contains(&name.as_str()) {
            errors.push(name.as_str(), "is set by the server and cannot be written");
        } else if !CLIENT_FIELDS.contains(&name.as_str()) {
            errors.push(
                shortened(name),
                "is not a known field (expected name, email, phone, tags)",
            );
        }
    }
    Ok((fields, errors))
}

/// A client's name for something, cut to a length fit to quote back in an error.
fn shortened(name: &str) -> String {
    const MAX_CHARS: usize = 64;
    match name.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_owned(),
    }
}

/// A JSON object whose members all have distinct names: a body that names a field twice is
/// ambiguous (parsers disagree on which one wins), so it is rejected rather than read.
struct DistinctMembers(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for DistinctMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = DistinctMembers;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Map::new();
                while let Some(name) = access.next_key::<String>()? {
                    if members.contains_key(&name) {
                        return Err(serde::de::Error::custom(format_args!(
                            "the member {:?} is given twice",
                            shortened(&name)
                        )));
                    }
                    let value = access.next_value()?;
                    members.insert(name, value);
                }
                Ok(DistinctMembers(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

fn parse_tags(value: Value, errors: &mut ValidationErrors) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let mut tags = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => tags.push(s),
                    _ => errors.push(format!("tags[{i}]"), "must be a string"),
                }
            }
            tags
        }
        _ => {
            errors.push("tags", "must be an array of strings");
            Vec::new()
        }
    }
}

/// A JSON merge patch (RFC 7396) of a person: a member present sets that field, `null` removes an
/// optional one; required fields cannot be removed.
pub(crate) fn parse_patch(request: &ApiGatewayV2httpRequest) -> Result<PersonPatch, ApiError> {
    let (mut fields, mut errors) = parse_object(request, true)?;
    let mut required = |field: &str, errors: &mut ValidationErrors| match fields.remove(field) {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) => {
            errors.push(field, "is required and cannot be removed");
            None
        }
        Some(_) => {
            errors.push(field, "must be a string");
            None
        }
    };
    let name = required("name", &mut errors);
    let email = required("email", &mut errors);
    let phone = match fields.remove("phone") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s)),
        Some(_) => {
            errors.push("phone", "must be a string or null");
            None
        }
    };
    let tags = fields.remove("tags").map(|v| parse_tags(v, &mut errors));
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(PersonPatch {
        name,
        email,
        phone,
        tags,
    })
}

pub(crate) fn parse_list_query(raw: &str) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    let mut errors = ValidationErrors::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if seen.contains(&key.to_string()) {
            errors.push(key.as_ref(), "must be given at most once");
            continue;
        }
        seen.push(key.to_string());
        match key.as_ref() {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                _ => errors.push("limit", format!("must be an integer from 1 to {MAX_LIMIT}")),
            },
            "cursor" => match Cursor::parse(&value) {
                Ok(c) => query.cursor = Some(c),
                Err(_) => errors.push("cursor", "must be a next_cursor returned by this listing"),
            },
            "tag" => {
                let tag = normalise_tag(&value);
                if tag.is_empty() || tag.chars().count() > 32 {
                    errors.push("tag", "must be 1 to 32 characters");
                } else {
                    query.tag = Some(tag);
                }
            }
            "name_prefix" => {
                let prefix = normalise_name(&value);
                let prefix = prefix.as_str();
                if prefix.is_empty() || prefix.chars().count() > 100 {
                    errors.push("name_prefix", "must be 1 to 100 characters");
                } else {
                    query.name_prefix = Some(prefix.to_owned());
                }
            }
            "email" => {
                let email = normalise_email(&value);
                if email.is_empty() || email.len() > 254 {
                    errors.push("email", "must be 1 to 254 characters");
                } else {
                    query.email = Some(email);
                }
            }
            other => errors.push(
                other,
                "is not a known parameter (expected limit, cursor, tag, name_prefix, email)",
            ),
        }
    }
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(query)
}

#[cfg(test)]
mod tests {
    use http::header::HeaderValue;

    use super::*;

    #[test]
    fn list_query_rules() {
        let q = parse_list_query("limit=7&tag=%20VIP&name_prefix=Ad&email=A%40B.io").unwrap();
        assert_eq!(q.limit, 7);
        assert_eq!(q.tag.as_deref(), Some("vip"));
        assert_eq!(q.name_prefix.as_deref(), Some("Ad"));
        assert_eq!(q.email.as_deref(), Some("a@b.io"));
        assert_eq!(parse_list_query("").unwrap().limit, DEFAULT_LIMIT);
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "colour=red",
            "limit=1&limit=2",
            "cursor=%25%25",
        ] {
            assert!(parse_list_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preconditions_parse_strictly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MATCH,
            HeaderValue::from_static("\"v3\", W/\"v4\", \"junk\""),
        );
        assert_eq!(
            parse_precondition(&h).unwrap(),
            Precondition::IfMatch(Some(vec!["v3".to_owned(), "junk".to_owned()]))
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(parse_precondition(&h).unwrap(), Precondition::IfMatch(None));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(parse_precondition(&h).is_err());
        h.remove(header::IF_MATCH);
        assert_eq!(
            parse_precondition(&h).unwrap(),
            Precondition::IfNoneMatchAny
        );
    }
}
