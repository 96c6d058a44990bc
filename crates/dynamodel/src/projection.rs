//! Typed projections: read some fields of a model, named and typed as the model declares them.
//!
//! ```ignore
//! #[derive(Debug, serde::Deserialize, dynamodel::Projection)]
//! #[dynamodel(model = Person)]
//! struct PersonName {
//!     id: PersonId,
//!     name: String,
//! }
//! let name = table.get_projected::<PersonName>(&key).await?;
//! ```
//!
//! The derive checks, while compiling, that every field of the projection is a field of the model
//! with the same type (a misnamed or mistyped field does not compile), and reads the stored names
//! from the model's typed paths, so a `#[serde(rename)]` on the model is followed. The projection's
//! own serde names must match them (give it the same `#[serde(rename)]`).

use serde::de::DeserializeOwned;

use crate::expr::Path;
use crate::model::Model;

/// Some fields of a model, read with a `ProjectionExpression`.
pub trait Projection: DeserializeOwned + Send {
    /// The model projected.
    type Model: Model;

    /// The stored paths of the projected fields.
    fn paths() -> Vec<Path>;
}

/// Decodes a projected item, after checking that it is tagged as the projected model (when tagged).
pub(crate) fn decode<P: Projection>(item: crate::Item) -> crate::Result<P> {
    crate::entity::check_entity::<P::Model>(&item)?;
    Ok(crate::de::from_item(item)?)
}
