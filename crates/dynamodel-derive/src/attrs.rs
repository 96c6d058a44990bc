//! The `#[dynamodel(...)]` and `#[serde(...)]` attributes as written.
//!
//! This layer knows the syntax of each option; whether the options agree with each other and with
//! the fields is [`crate::ir`]'s job.

use proc_macro2::TokenStream as Tokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, LitStr};

/// The options of one field.
#[derive(Default)]
pub(crate) struct FieldOptions {
    pub version: bool,
    pub created_at: bool,
    pub updated_at: bool,
    pub ttl: bool,
    pub trim: bool,
    pub lowercase: bool,
    pub uppercase: bool,
    pub required: bool,
    pub read_only: bool,
    pub nested: bool,
    pub default: Option<Expr>,
}

/// One `index(...)`: a name and a sort key template always, a partition key template unless local.
pub(crate) struct IndexOptions {
    pub name: LitStr,
    pub pk: Option<LitStr>,
    pub sk: LitStr,
    pub pk_attribute: Option<LitStr>,
    pub sk_attribute: Option<LitStr>,
    pub local: bool,
}

/// The options of a `#[derive(Model)]` struct.
#[derive(Default)]
pub(crate) struct ModelOptions {
    pub entity: Option<LitStr>,
    pub entity_attribute: Option<LitStr>,
    pub pk: Option<LitStr>,
    pub sk: Option<LitStr>,
    pub pk_attribute: Option<LitStr>,
    pub sk_attribute: Option<LitStr>,
    pub indexes: Vec<IndexOptions>,
    pub validate: bool,
    pub before_save: Option<syn::Path>,
    pub after_load: Option<syn::Path>,
    pub derived: Option<syn::Path>,
}

fn dynamodel_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("dynamodel"))
}

/// The stored name from `#[serde(rename = "...")]`, or `None` for a field serde skips (not stored).
pub(crate) fn serde_name(attrs: &[Attribute], ident: &Ident) -> Option<String> {
    let mut rename = None;
    let mut skipped = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Other serde options are serde's business; only `rename = "..."` changes the stored name.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                skipped = true;
            } else if meta.path.is_ident("rename") {
                if let Ok(value) = meta.value() {
                    let lit: LitStr = value.parse()?;
                    rename = Some(lit.value());
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
                let _: Tokens = _content.parse()?;
            }
            Ok(())
        });
    }
    if skipped {
        None
    } else {
        Some(rename.unwrap_or_else(|| ident.to_string()))
    }
}

/// The `#[dynamodel(...)]` options of a field of a model or a document.
pub(crate) fn field_options(attrs: &[Attribute]) -> syn::Result<FieldOptions> {
    let mut o = FieldOptions::default();
    for attr in dynamodel_attrs(attrs) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            let flag = if p.is_ident("version") {
                &mut o.version
            } else if p.is_ident("created_at") {
                &mut o.created_at
            } else if p.is_ident("updated_at") {
                &mut o.updated_at
            } else if p.is_ident("ttl") {
                &mut o.ttl
            } else if p.is_ident("trim") {
                &mut o.trim
            } else if p.is_ident("lowercase") {
                &mut o.lowercase
            } else if p.is_ident("uppercase") {
                &mut o.uppercase
            } else if p.is_ident("required") {
                &mut o.required
            } else if p.is_ident("read_only") {
                &mut o.read_only
            } else if p.is_ident("nested") {
                &mut o.nested
            } else if p.is_ident("default") {
                o.default = Some(meta.value()?.parse()?);
                return Ok(());
            } else {
                return Err(meta.error(
                    "unknown field option; expected one of version, created_at, updated_at, ttl, trim, \
                     lowercase, uppercase, required, read_only, nested, default = expr",
                ));
            };
            *flag = true;
            Ok(())
        })?;
    }
    Ok(o)
}

/// The `#[dynamodel(...)]` options of a `#[derive(Model)]` struct.
pub(crate) fn model_options(attrs: &[Attribute]) -> syn::Result<ModelOptions> {
    let mut o = ModelOptions::default();
    for attr in dynamodel_attrs(attrs) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("entity") {
                o.entity = Some(meta.value()?.parse()?);
            } else if p.is_ident("entity_attribute") {
                o.entity_attribute = Some(meta.value()?.parse()?);
            } else if p.is_ident("pk") {
                o.pk = Some(meta.value()?.parse()?);
            } else if p.is_ident("sk") {
                o.sk = Some(meta.value()?.parse()?);
            } else if p.is_ident("pk_attribute") {
                o.pk_attribute = Some(meta.value()?.parse()?);
            } else if p.is_ident("sk_attribute") {
                o.sk_attribute = Some(meta.value()?.parse()?);
            } else if p.is_ident("validate") {
                o.validate = true;
            } else if p.is_ident("before_save") {
                o.before_save = Some(meta.value()?.parse()?);
            } else if p.is_ident("after_load") {
                o.after_load = Some(meta.value()?.parse()?);
            } else if p.is_ident("derived") {
                o.derived = Some(meta.value()?.parse()?);
            } else if p.is_ident("index") {
                o.indexes.push(index_options(&meta)?);
            } else {
                return Err(meta.error(
                    "unknown option; expected entity, entity_attribute, pk, sk, pk_attribute, \
                     sk_attribute, index(..), validate, before_save, after_load, derived",
                ));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn index_options(meta: &ParseNestedMeta) -> syn::Result<IndexOptions> {
    let mut name: Option<LitStr> = None;
    let (mut pk, mut sk, mut pk_attribute, mut sk_attribute) = (None, None, None, None);
    let mut local = false;
    meta.parse_nested_meta(|m| {
        let q = &m.path;
        if q.is_ident("name") {
            name = Some(m.value()?.parse()?);
        } else if q.is_ident("pk") {
            pk = Some(m.value()?.parse()?);
        } else if q.is_ident("sk") {
            sk = Some(m.value()?.parse()?);
        } else if q.is_ident("pk_attribute") {
            pk_attribute = Some(m.value()?.parse()?);
        } else if q.is_ident("sk_attribute") {
            sk_attribute = Some(m.value()?.parse()?);
        } else if q.is_ident("local") {
            local = true;
        } else {
            return Err(m.error(
                "unknown index option; expected name, pk, sk, pk_attribute, sk_attribute, local",
            ));
        }
        Ok(())
    })?;
    let name = match name {
        Some(name) if !name.value().is_empty() => name,
        _ => return Err(meta.error("an index needs name = \"...\"")),
    };
    let Some(sk) = sk else {
        return Err(meta.error("an index needs an sk template"));
    };
    if !local && pk.is_none() {
        return Err(meta.error("a global index needs a pk template"));
    }
    Ok(IndexOptions {
        name,
        pk,
        sk,
        pk_attribute,
        sk_attribute,
        local,
    })
}
