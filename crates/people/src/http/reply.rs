//! A response before it becomes an API Gateway response.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

use time::OffsetDateTime;

use crate::model::{Person, PersonId};

const JSON: &str = "application/json";

/// Status, headers and an optional body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<String>,
}

impl Reply {
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Self {
        Self::json_as(status, body, JSON)
    }

    pub(crate) fn json_as(
        status: StatusCode,
        body: &impl Serialize,
        content_type: &'static str,
    ) -> Self {
        let mut reply = Self::empty(status);
        reply
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        reply.body = Some(serde_json::to_string(body).expect("response bodies serialise"));
        reply
    }

    /// A person with its `ETag`.
    pub(crate) fn person(status: StatusCode, person: &Person) -> Self {
        Self::json(status, &PersonBody::from(person)).header(header::ETAG, etag(person))
    }

    /// A created person: its `ETag` and `Location`.
    pub(crate) fn created(person: &Person) -> Self {
        Self::person(StatusCode::CREATED, person).header(
            header::LOCATION,
            header_value(&format!("/people/{}", person.id)),
        )
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The API Gateway response. `HEAD` answers carry no body.
    pub(crate) fn into_response(self, head: bool) -> ApiGatewayV2httpResponse {
        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = i64::from(self.status.as_u16());
        response.headers = self.headers;
        response.body = if head {
            None
        } else {
            self.body.map(Body::Text)
        };
        response
    }
}

/// A person as the API returns it: everything but its owner, which callers never see.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Person))]
pub(crate) struct PersonBody<'a> {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::stored::id))]
    id: PersonId,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::stored::name))]
    name: &'a str,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::stored::email))]
    email: &'a str,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::openapi::stored::phone, required = true)
    )]
    phone: Option<&'a str>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::stored::tags))]
    tags: &'a [String],
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::openapi::stored::timestamp)
    )]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::openapi::stored::timestamp)
    )]
    updated_at: OffsetDateTime,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::stored::version))]
    version: u64,
}

impl<'a> From<&'a Person> for PersonBody<'a> {
    fn from(p: &'a Person) -> Self {
        Self {
            id: p.id,
            name: &p.name,
            email: &p.email,
            phone: p.phone.as_deref(),
            tags: &p.tags,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// The strong `ETag` of a stored person.
pub(crate) fn etag(person: &Person) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", person.entity_tag())).expect("an etag is ASCII")
}

/// `text` as a header value; text that cannot be one (control characters) becomes `invalid`.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}
