//! `#[derive(Model)]`, `#[derive(Document)]`, `#[derive(Entities)]` and `#[derive(Projection)]` for
//! dynamodel.
//!
//! Everything is checked while compiling: key templates name real fields, attribute options are known,
//! the generated typed paths and patches follow the struct's fields and types, a union holds tagged
//! models only, and a projection's fields are the model's. Each derive parses its input into a
//! validated form (`attrs`, `ir`, `template`) and generates code from it (`model`, `paths`, `patch`,
//! `document`, `entities`, `projection`).
#![warn(missing_docs)]

use proc_macro::TokenStream;
use syn::DeriveInput;

mod attrs;
mod document;
mod entities;
mod ir;
mod model;
mod patch;
mod paths;
mod projection;
mod template;

/// Derives `dynamodel::Model`, typed field paths (`T::fields()`), a patch type (`TPatch`),
/// `T::key_for(..)`, `T::table_spec()` and a constant per index name (`T::BY_STATUS_INDEX`).
///
/// Struct attributes, in `#[dynamodel(...)]`:
/// - `pk = "PERSON#{id}"`, `sk = "PROFILE"` – key templates; `{field}` inserts a field's `Display`;
/// - `pk_attribute = "pk"`, `sk_attribute = "sk"` – the table's key attribute names (these defaults);
/// - `entity = "person"` – the entity name, and the model is tagged: every item it writes holds the
///   name in the attribute `dynamodel::DEFAULT_ENTITY_ATTRIBUTE` (`_type`), or in
///   `entity_attribute = "..."`. Without it, the entity name is the struct name and items are untagged;
/// - `index(name = "gsi1", pk = "...", sk = "...", pk_attribute = "gsi1pk", sk_attribute = "gsi1sk",
///   local)` – a secondary index and its key templates (attributes default to `<name>pk`/`<name>sk`);
///   its name is also the constant `GSI1_INDEX` (upper snake case);
/// - `validate` – run the struct's `garde::Validate` rules before every write;
/// - `before_save = path`, `after_load = path` – hooks `fn(&mut Self)` run after the field transforms;
/// - `derived = path` – `fn(&Self) -> Vec<(&'static str, AttributeValue)>` adding stored attributes.
///
/// Field attributes: `version`, `created_at`, `updated_at`, `ttl`, `trim`, `lowercase`, `uppercase`,
/// `default = expr` (for `Option` fields: set when `None` at save), `required` (for `Option` fields),
/// `read_only` (left out of the patch), `nested` (a `#[derive(Document)]` type: typed paths and patches
/// reach into it). Stored names follow `#[serde(rename = "...")]`.
#[proc_macro_derive(Model, attributes(dynamodel))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    ir::Model::parse(&input)
        .map(|m| model::expand(&m))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `dynamodel::Document` for a struct stored as a nested map: typed paths under the parent's
/// path and a patch that updates its fields one by one, leaving siblings untouched.
#[proc_macro_derive(Document, attributes(dynamodel))]
pub fn derive_document(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    ir::Document::parse(&input)
        .map(|d| document::expand(&d))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `dynamodel::FromItem` for an enum whose variants each hold one tagged model
/// (`Person(Person)`): an item is decoded as the variant its entity tag names.
///
/// Also generates `E::ENTITIES`, the variants' entity names in declaration order, and
/// `From<Model> for E` per variant. A model that is not tagged (`#[dynamodel(entity = "...")]`) is
/// a compile-time error.
#[proc_macro_derive(Entities)]
pub fn derive_entities(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    entities::Entities::parse(&input)
        .map(|e| entities::expand(&e))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `dynamodel::Projection` for a struct holding some fields of a model, named in
/// `#[dynamodel(model = Person)]`.
///
/// Each field (except those serde skips) must be a field of the model with exactly the same type;
/// a misnamed or mistyped field does not compile, and the error points at it. Fields marked
/// `#[dynamodel(nested)]` on the model cannot be projected: project a model's plain fields. The
/// stored names are the model's; give the projection's fields the same `#[serde(rename)]`.
#[proc_macro_derive(Projection, attributes(dynamodel))]
pub fn derive_projection(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    projection::Projection::parse(&input)
        .map(|p| projection::expand(&p))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
