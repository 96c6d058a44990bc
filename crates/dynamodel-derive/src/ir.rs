//! The validated form of a `#[derive(Model)]` or `#[derive(Document)]` struct.
//!
//! Everything a generator relies on is checked here, once: templates name stored fields, at most one
//! field plays each role, options apply to the field's type, and names do not collide. Generators
//! read these types and never fail.

use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, PathArguments, Type, Visibility};

use crate::attrs::{self, FieldOptions, IndexOptions};
use crate::template::{Template, TemplateField};

/// `dynamodel::DEFAULT_ENTITY_ATTRIBUTE`, which a proc macro cannot read: the orders-example tests
/// compare the two.
const DEFAULT_ENTITY_ATTRIBUTE: &str = "_type";

/// A stored field: serde does not skip it.
pub(crate) struct Field {
    pub ident: Ident,
    pub ty: Type,
    /// The attribute name (`#[serde(rename)]` or the field's name).
    pub stored: String,
    pub options: FieldOptions,
    pub span: Span,
    /// `Option<T>`: a patch can remove it, `default` and `required` apply to it.
    pub optional: bool,
    /// It gets a field in the patch type: not a key-template field, not read-only, not maintained
    /// by the library (version, timestamps).
    pub patchable: bool,
}

/// A struct with named fields, as `#[derive(Document)]` sees it (and `#[derive(Model)]` too).
pub(crate) struct Document {
    pub ident: Ident,
    pub vis: Visibility,
    pub fields: Vec<Field>,
}

impl Document {
    pub fn parse(input: &DeriveInput) -> syn::Result<Self> {
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new(
                input.generics.span(),
                "dynamodel derives do not support generic structs",
            ));
        }
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                _ => return Err(needs_named_fields(input)),
            },
            _ => return Err(needs_named_fields(input)),
        };
        let mut fields = Vec::new();
        for f in &named.named {
            let Some(ident) = &f.ident else {
                return Err(needs_named_fields(input));
            };
            let options = attrs::field_options(&f.attrs)?;
            // A field serde skips is not stored: it gets no path and no patch field.
            let Some(stored) = attrs::serde_name(&f.attrs, ident) else {
                continue;
            };
            let patchable =
                !(options.read_only || options.version || options.created_at || options.updated_at);
            fields.push(Field {
                ident: ident.clone(),
                ty: f.ty.clone(),
                stored,
                optional: is_option(&f.ty),
                patchable,
                options,
                span: f.span(),
            });
        }
        Ok(Self {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            fields,
        })
    }

    /// `<Name>Fields`, the typed paths.
    pub fn fields_name(&self) -> Ident {
        format_ident!("{}Fields", self.ident)
    }

    /// `<Name>Patch`, the partial update.
    pub fn patch_name(&self) -> Ident {
        format_ident!("{}Patch", self.ident)
    }
}

fn needs_named_fields(input: &DeriveInput) -> syn::Error {
    syn::Error::new(
        input.span(),
        "dynamodel derives need a struct with named fields",
    )
}

/// A field the library maintains (version, timestamps, TTL).
pub(crate) struct RoleField {
    pub ident: Ident,
    pub stored: String,
}

/// How a tagged model's items carry their entity name.
pub(crate) enum EntityTag {
    /// `dynamodel::DEFAULT_ENTITY_ATTRIBUTE`.
    DefaultAttribute,
    /// `entity_attribute = "..."`.
    Attribute(String),
}

/// A key attribute whose value a template computes.
pub(crate) struct TemplateKey {
    pub attribute: String,
    pub template: Template,
}

/// A `key_for` parameter: a field a primary key template names.
pub(crate) struct KeyParam {
    pub ident: Ident,
    pub ty: Type,
    /// A `String` field is passed as `&str`.
    pub is_string: bool,
}

pub(crate) struct PrimaryKey {
    pub pk: TemplateKey,
    pub sk: Option<TemplateKey>,
    /// The fields the templates name, each once, in order of appearance.
    pub params: Vec<KeyParam>,
}

pub(crate) struct Index {
    pub name: String,
    /// `BY_STATUS_INDEX` for `by_status`.
    pub constant: Ident,
    pub local: bool,
    /// The index's partition key attribute in the table spec: the table's for a local index.
    pub partition_attribute: String,
    /// The partition key this model writes (always for a global index).
    pub pk: Option<TemplateKey>,
    pub sk: TemplateKey,
}

/// A `#[derive(Model)]` struct.
pub(crate) struct Model {
    pub document: Document,
    pub entity: String,
    /// `Some` when the model is tagged (`entity = "..."`).
    pub tag: Option<EntityTag>,
    pub key: PrimaryKey,
    pub indexes: Vec<Index>,
    pub version: Option<RoleField>,
    pub created_at: Option<RoleField>,
    pub updated_at: Option<RoleField>,
    pub ttl: Option<RoleField>,
    pub validate: bool,
    pub before_save: Option<syn::Path>,
    pub after_load: Option<syn::Path>,
    pub derived: Option<syn::Path>,
}

impl Model {
    pub fn parse(input: &DeriveInput) -> syn::Result<Self> {
        let mut document = Document::parse(input)?;
        let o = attrs::model_options(&input.attrs)?;
        let fields = &document.fields;

        let pk_template = o.pk.as_ref().ok_or_else(|| {
            syn::Error::new(input.span(), "#[dynamodel(pk = \"...\")] is required")
        })?;
        let pk = TemplateKey {
            attribute: value_or(&o.pk_attribute, "pk"),
            template: Template::parse(pk_template, fields)?,
        };
        let sk = match &o.sk {
            Some(sk) => Some(TemplateKey {
                attribute: value_or(&o.sk_attribute, "sk"),
                template: Template::parse(sk, fields)?,
            }),
            None => None,
        };
        let mut params: Vec<KeyParam> = Vec::new();
        let key_fields = std::iter::once(&pk)
            .chain(&sk)
            .flat_map(|k| &k.template.fields);
        for TemplateField { ident, ty } in key_fields {
            if !params.iter().any(|p| &p.ident == ident) {
                params.push(KeyParam {
                    ident: ident.clone(),
                    ty: ty.clone(),
                    is_string: is_string(ty),
                });
            }
        }

        let indexes = indexes(&o.indexes, &pk.attribute, fields)?;

        let version = role(fields, |o| o.version, "version")?;
        let created_at = role(fields, |o| o.created_at, "created_at")?;
        let updated_at = role(fields, |o| o.updated_at, "updated_at")?;
        let ttl = role(fields, |o| o.ttl, "ttl")?;
        for f in fields {
            if f.options.default.is_some() && !f.optional {
                return Err(syn::Error::new(
                    f.span,
                    "`default` applies to Option fields (set when None at save)",
                ));
            }
            if f.options.required && !f.optional {
                return Err(syn::Error::new(
                    f.span,
                    "`required` applies to Option fields; other fields are always required",
                ));
            }
        }

        let (entity, tag) = match (&o.entity, &o.entity_attribute) {
            (Some(entity), attribute) => {
                if entity.value().is_empty() {
                    return Err(syn::Error::new(entity.span(), "the entity name is empty"));
                }
                let (tag, stored) = match attribute {
                    Some(a) => (EntityTag::Attribute(a.value()), a.value()),
                    None => (
                        EntityTag::DefaultAttribute,
                        DEFAULT_ENTITY_ATTRIBUTE.to_owned(),
                    ),
                };
                let span = attribute.as_ref().unwrap_or(entity).span();
                check_entity_attribute(&stored, span, fields, &pk, &sk, &indexes)?;
                (entity.value(), Some(tag))
            }
            (None, Some(attribute)) => {
                return Err(syn::Error::new(
                    attribute.span(),
                    "entity_attribute needs entity = \"...\": only a tagged model stores its entity",
                ));
            }
            (None, None) => (document.ident.to_string(), None),
        };

        for f in &mut document.fields {
            if params.iter().any(|p| p.ident == f.ident) {
                f.patchable = false;
            }
        }
        Ok(Self {
            document,
            entity,
            tag,
            key: PrimaryKey { pk, sk, params },
            indexes,
            version,
            created_at,
            updated_at,
            ttl,
            validate: o.validate,
            before_save: o.before_save,
            after_load: o.after_load,
            derived: o.derived,
        })
    }
}

fn value_or(lit: &Option<LitStr>, default: &str) -> String {
    lit.as_ref()
        .map_or_else(|| default.to_owned(), LitStr::value)
}

fn indexes(
    options: &[IndexOptions],
    table_pk_attribute: &str,
    fields: &[Field],
) -> syn::Result<Vec<Index>> {
    let mut indexes: Vec<Index> = Vec::new();
    for ix in options {
        let name = ix.name.value();
        let pk = match &ix.pk {
            Some(pk) => Some(TemplateKey {
                attribute: value_or(&ix.pk_attribute, &format!("{name}pk")),
                template: Template::parse(pk, fields)?,
            }),
            None => None,
        };
        let sk = TemplateKey {
            attribute: value_or(&ix.sk_attribute, &format!("{name}sk")),
            template: Template::parse(&ix.sk, fields)?,
        };
        let partition_attribute = match (&pk, ix.local) {
            (Some(pk), false) => pk.attribute.clone(),
            // A local index shares the table's partition key. (A pk template on a local index
            // still writes its attribute, as it always has.)
            _ => table_pk_attribute.to_owned(),
        };
        let constant = Ident::new(&index_constant(&name), ix.name.span());
        if let Some(other) = indexes.iter().find(|other| other.constant == constant) {
            let message = if other.name == name {
                format!("another index is named `{name}`")
            } else {
                format!(
                    "indexes `{}` and `{name}` would both be named by the constant `{constant}`",
                    other.name
                )
            };
            return Err(syn::Error::new(ix.name.span(), message));
        }
        indexes.push(Index {
            name,
            constant,
            local: ix.local,
            partition_attribute,
            pk,
            sk,
        });
    }
    Ok(indexes)
}

/// `by_status` → `BY_STATUS_INDEX`, `byStatus` → `BY_STATUS_INDEX`, `gsi-1` → `GSI_1_INDEX`: upper
/// snake case, anything but an ASCII letter or digit becomes `_`, and a leading digit gets a `_`
/// before it, so the result is always an identifier.
pub(crate) fn index_constant(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // A word starts at `byStatus`'s `S`, `gsi1Pk`'s `P`, and `HTTPServer`'s `S`.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.push_str("_INDEX");
    out
}

/// The one field with a role, if any.
fn role(
    fields: &[Field],
    has: fn(&FieldOptions) -> bool,
    what: &str,
) -> syn::Result<Option<RoleField>> {
    let mut found = fields.iter().filter(|f| has(&f.options));
    let first = found.next();
    if let Some(second) = found.next() {
        return Err(syn::Error::new(
            second.span,
            format!("only one field may be the {what}"),
        ));
    }
    Ok(first.map(|f| RoleField {
        ident: f.ident.clone(),
        stored: f.stored.clone(),
    }))
}

/// The entity attribute is written beside the fields and keys, so it must not be one of them.
fn check_entity_attribute(
    attribute: &str,
    span: Span,
    fields: &[Field],
    pk: &TemplateKey,
    sk: &Option<TemplateKey>,
    indexes: &[Index],
) -> syn::Result<()> {
    if let Some(f) = fields.iter().find(|f| f.stored == attribute) {
        return Err(syn::Error::new(
            f.ident.span(),
            format!(
                "this field is stored as `{attribute}`, the attribute that holds the entity name of \
                 this tagged model; rename the field or choose another entity_attribute = \"...\""
            ),
        ));
    }
    let keys = std::iter::once(pk)
        .chain(sk)
        .chain(indexes.iter().flat_map(|ix| ix.pk.iter().chain([&ix.sk])));
    if keys.map(|k| &k.attribute).any(|a| a == attribute) {
        return Err(syn::Error::new(
            span,
            format!(
                "`{attribute}` is a key attribute of this model; the entity name needs an attribute \
                 of its own (entity_attribute = \"...\")"
            ),
        ));
    }
    Ok(())
}

/// `Option<T>`, written `Option`, `std::option::Option` or `core::option::Option`.
fn is_option(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    tp.path.segments.last().is_some_and(|last| {
        last.ident == "Option" && matches!(last.arguments, PathArguments::AngleBracketed(_))
    })
}

/// `String` (or a path ending in it) without generic arguments.
fn is_string(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    tp.qself.is_none()
        && tp
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "String" && last.arguments.is_none())
}

#[cfg(test)]
mod tests {
    use super::index_constant;

    #[test]
    fn index_constants_are_upper_snake_case_identifiers() {
        for (name, constant) in [
            ("by_status", "BY_STATUS_INDEX"),
            ("byStatus", "BY_STATUS_INDEX"),
            ("gsi1", "GSI1_INDEX"),
            ("GSI1", "GSI1_INDEX"),
            ("gsi1Pk", "GSI1_PK_INDEX"),
            ("HTTPRoutes", "HTTP_ROUTES_INDEX"),
            ("by-status.v2", "BY_STATUS_V2_INDEX"),
            ("1st", "_1ST_INDEX"),
        ] {
            assert_eq!(index_constant(name), constant, "{name}");
        }
    }
}
