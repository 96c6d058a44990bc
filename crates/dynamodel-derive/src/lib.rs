//! `#[derive(Model)]` and `#[derive(Document)]` for dynamodel.
//!
//! Everything is checked while compiling: key templates name real fields, attribute options are known,
//! and the generated typed paths and patches follow the struct's fields and types.
#![warn(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitStr, PathArguments, Type};

/// Derives `dynamodel::Model`, typed field paths (`T::fields()`), a patch type (`TPatch`) and
/// `T::key_for(..)` / `T::table_spec()`.
///
/// Struct attributes, in `#[dynamodel(...)]`:
/// - `pk = "PERSON#{id}"`, `sk = "PROFILE"` – key templates; `{field}` inserts a field's `Display`;
/// - `pk_attribute = "pk"`, `sk_attribute = "sk"` – the table's key attribute names (these defaults);
/// - `entity = "Person"` – the entity name (default: the struct name);
/// - `index(name = "gsi1", pk = "...", sk = "...", pk_attribute = "gsi1pk", sk_attribute = "gsi1sk",
///   local)` – a secondary index and its key templates (attributes default to `<name>pk`/`<name>sk`);
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
    expand(input, true)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `dynamodel::Document` for a struct stored as a nested map: typed paths under the parent's
/// path and a patch that updates its fields one by one, leaving siblings untouched.
#[proc_macro_derive(Document, attributes(dynamodel))]
pub fn derive_document(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand(input, false)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[derive(Default)]
struct FieldOptions {
    version: bool,
    created_at: bool,
    updated_at: bool,
    ttl: bool,
    trim: bool,
    lowercase: bool,
    uppercase: bool,
    required: bool,
    read_only: bool,
    nested: bool,
    default: Option<Expr>,
}

struct Field {
    ident: Ident,
    ty: Type,
    stored: String,
    options: FieldOptions,
    span: Span,
}

struct Index {
    name: LitStr,
    pk: Option<LitStr>,
    sk: Option<LitStr>,
    pk_attribute: Option<LitStr>,
    sk_attribute: Option<LitStr>,
    local: bool,
}

#[derive(Default)]
struct ModelOptions {
    entity: Option<LitStr>,
    pk: Option<LitStr>,
    sk: Option<LitStr>,
    pk_attribute: Option<LitStr>,
    sk_attribute: Option<LitStr>,
    indexes: Vec<Index>,
    validate: bool,
    before_save: Option<syn::Path>,
    after_load: Option<syn::Path>,
    derived: Option<syn::Path>,
}

/// The stored name from `#[serde(rename = "...")]`, or `None` for a field serde skips (not stored).
fn serde_name(attrs: &[syn::Attribute], ident: &Ident) -> Option<String> {
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

fn field_options(attrs: &[syn::Attribute]) -> syn::Result<FieldOptions> {
    let mut o = FieldOptions::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dynamodel")) {
        attr.parse_nested_meta(|meta| {
            let flag = |f: &mut bool| {
                *f = true;
                Ok(())
            };
            let p = &meta.path;
            if p.is_ident("version") {
                flag(&mut o.version)
            } else if p.is_ident("created_at") {
                flag(&mut o.created_at)
            } else if p.is_ident("updated_at") {
                flag(&mut o.updated_at)
            } else if p.is_ident("ttl") {
                flag(&mut o.ttl)
            } else if p.is_ident("trim") {
                flag(&mut o.trim)
            } else if p.is_ident("lowercase") {
                flag(&mut o.lowercase)
            } else if p.is_ident("uppercase") {
                flag(&mut o.uppercase)
            } else if p.is_ident("required") {
                flag(&mut o.required)
            } else if p.is_ident("read_only") {
                flag(&mut o.read_only)
            } else if p.is_ident("nested") {
                flag(&mut o.nested)
            } else if p.is_ident("default") {
                o.default = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown field option; expected one of version, created_at, updated_at, ttl, trim, \
                     lowercase, uppercase, required, read_only, nested, default = expr",
                ))
            }
        })?;
    }
    Ok(o)
}

fn model_options(attrs: &[syn::Attribute]) -> syn::Result<ModelOptions> {
    let mut o = ModelOptions::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dynamodel")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("entity") {
                o.entity = Some(meta.value()?.parse()?);
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
                let mut ix = Index { name: LitStr::new("", p.span()), pk: None, sk: None, pk_attribute: None, sk_attribute: None, local: false };
                meta.parse_nested_meta(|m| {
                    let q = &m.path;
                    if q.is_ident("name") {
                        ix.name = m.value()?.parse()?;
                    } else if q.is_ident("pk") {
                        ix.pk = Some(m.value()?.parse()?);
                    } else if q.is_ident("sk") {
                        ix.sk = Some(m.value()?.parse()?);
                    } else if q.is_ident("pk_attribute") {
                        ix.pk_attribute = Some(m.value()?.parse()?);
                    } else if q.is_ident("sk_attribute") {
                        ix.sk_attribute = Some(m.value()?.parse()?);
                    } else if q.is_ident("local") {
                        ix.local = true;
                    } else {
                        return Err(m.error("unknown index option; expected name, pk, sk, pk_attribute, sk_attribute, local"));
                    }
                    Ok(())
                })?;
                if ix.name.value().is_empty() {
                    return Err(meta.error("an index needs name = \"...\""));
                }
                if ix.sk.is_none() {
                    return Err(meta.error("an index needs an sk template"));
                }
                if !ix.local && ix.pk.is_none() {
                    return Err(meta.error("a global index needs a pk template"));
                }
                o.indexes.push(ix);
            } else {
                return Err(meta.error(
                    "unknown option; expected entity, pk, sk, pk_attribute, sk_attribute, index(..), validate, \
                     before_save, after_load, derived",
                ));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

/// `Option<T>` → `Some(T)`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// Splits a template into literal text and field names, checking each name is a field.
fn template(lit: &LitStr, fields: &[Field]) -> syn::Result<(String, Vec<Ident>)> {
    let text = lit.value();
    let mut format = String::new();
    let mut names = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find('{') {
        format.push_str(&rest[..start].replace('}', "}}"));
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| syn::Error::new(lit.span(), "unclosed { in key template"))?;
        let name = &after[..end];
        let field = fields.iter().find(|f| f.ident == name).ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!("key template names `{name}`, which is not a field"),
            )
        })?;
        names.push(field.ident.clone());
        format.push_str("{}");
        rest = &after[end + 1..];
    }
    format.push_str(&rest.replace('}', "}}"));
    Ok((format, names))
}

fn render(lit: &LitStr, fields: &[Field], receiver: bool) -> syn::Result<Tokens> {
    let (format, names) = template(lit, fields)?;
    let args = names.iter().map(|n| {
        if receiver {
            quote!(self.#n)
        } else {
            quote!(#n)
        }
    });
    Ok(quote!(::std::format!(#format #(, #args)*)))
}

fn expand(input: DeriveInput, model: bool) -> syn::Result<Tokens> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "dynamodel derives do not support generic structs",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "dynamodel derives need a struct with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "dynamodel derives need a struct with named fields",
        ));
    };
    let mut fields = Vec::new();
    for f in &named.named {
        let ident = f.ident.clone().expect("named fields have names");
        let options = field_options(&f.attrs)?;
        // A field serde skips is not stored: it gets no path and no patch field.
        let Some(stored) = serde_name(&f.attrs, &ident) else {
            continue;
        };
        fields.push(Field {
            ident,
            ty: f.ty.clone(),
            stored,
            options,
            span: f.span(),
        });
    }
    let vis = &input.vis;
    let fields_name = format_ident!("{}Fields", name);
    let patch_name = format_ident!("{}Patch", name);

    // Typed paths.
    let path_fields = fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        let doc = format!("`{}`", f.stored);
        if f.options.nested {
            quote!(#[doc = #doc] pub #ident: <#ty as ::dynamodel::Document>::Fields)
        } else {
            quote!(#[doc = #doc] pub #ident: ::dynamodel::TypedPath<#ty>)
        }
    });
    let path_inits = fields.iter().map(|f| {
        let (ident, ty, stored) = (&f.ident, &f.ty, &f.stored);
        if f.options.nested {
            quote!(#ident: <#ty as ::dynamodel::Document>::fields_at(&match base {
                ::std::option::Option::Some(b) => b.clone().key(#stored),
                ::std::option::Option::None => ::dynamodel::expr::attr(#stored),
            }))
        } else {
            quote!(#ident: ::dynamodel::TypedPath::new(base, #stored))
        }
    });

    // Key template fields and server-maintained fields are not patchable.
    let opts = if model {
        model_options(&input.attrs)?
    } else {
        ModelOptions::default()
    };
    let mut key_fields: Vec<Ident> = Vec::new();
    if model {
        let pk = opts.pk.as_ref().ok_or_else(|| {
            syn::Error::new(input.span(), "#[dynamodel(pk = \"...\")] is required")
        })?;
        key_fields.extend(template(pk, &fields)?.1);
        if let Some(sk) = &opts.sk {
            key_fields.extend(template(sk, &fields)?.1);
        }
    }
    let patchable: Vec<&Field> = fields
        .iter()
        .filter(|f| {
            let o = &f.options;
            !(o.read_only
                || o.version
                || o.created_at
                || o.updated_at
                || key_fields.contains(&f.ident))
        })
        .collect();
    let patch_fields = patchable.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        if f.options.nested {
            quote!(pub #ident: ::std::option::Option<<#ty as ::dynamodel::Document>::Patch>)
        } else {
            quote!(pub #ident: ::std::option::Option<#ty>)
        }
    });
    let patch_empty = patchable.iter().map(|f| {
        let ident = &f.ident;
        if f.options.nested {
            quote!(self.#ident.as_ref().is_none_or(|p| ::dynamodel::Patch::is_empty(p)))
        } else {
            quote!(self.#ident.is_none())
        }
    });
    let patch_apply = patchable.iter().map(|f| {
        let ident = &f.ident;
        if f.options.nested {
            quote!(if let ::std::option::Option::Some(p) = &self.#ident { ::dynamodel::Patch::apply(p, &mut target.#ident); })
        } else {
            quote!(if let ::std::option::Option::Some(v) = &self.#ident { target.#ident = ::std::clone::Clone::clone(v); })
        }
    });
    let patch_update = patchable.iter().map(|f| {
        let (ident, stored) = (&f.ident, &f.stored);
        let path = quote!(match base {
            ::std::option::Option::Some(b) => b.clone().key(#stored),
            ::std::option::Option::None => ::dynamodel::expr::attr(#stored),
        });
        if f.options.nested {
            quote!(if let ::std::option::Option::Some(p) = &self.#ident {
                update = update.merge(::dynamodel::Patch::to_update_at(p, ::std::option::Option::Some(&#path)));
            })
        } else if option_inner(&f.ty).is_some() {
            // `Some(None)` removes the attribute; `Some(Some(v))` sets it.
            quote!(match &self.#ident {
                ::std::option::Option::Some(::std::option::Option::None) => { update = update.remove(#path); }
                ::std::option::Option::Some(v) => { update = update.set(#path, ::dynamodel::attribute_value(v)); }
                ::std::option::Option::None => {}
            })
        } else {
            quote!(if let ::std::option::Option::Some(v) = &self.#ident {
                update = update.set(#path, ::dynamodel::attribute_value(v));
            })
        }
    });
    let patch_doc = format!(
        "A partial update of [`{name}`]: `None` leaves a field as it is; for an optional field `Some(None)` removes it."
    );
    let common = quote! {
        #[doc = concat!("Typed attribute paths of [`", stringify!(#name), "`].")]
        #[derive(Debug, Clone)]
        #vis struct #fields_name { #(#path_fields,)* }

        impl #fields_name {
            #[doc(hidden)]
            pub fn at(base: ::std::option::Option<&::dynamodel::expr::Path>) -> Self {
                Self { #(#path_inits,)* }
            }
        }

        #[doc = #patch_doc]
        #[derive(Debug, Clone, Default)]
        #vis struct #patch_name { #(#[allow(missing_docs)] #patch_fields,)* }

        impl ::dynamodel::Patch<#name> for #patch_name {
            fn is_empty(&self) -> bool { true #(&& #patch_empty)* }
            fn apply(&self, target: &mut #name) { #(#patch_apply)* }
            fn to_update_at(&self, base: ::std::option::Option<&::dynamodel::expr::Path>) -> ::dynamodel::Update {
                let mut update = ::dynamodel::Update::new();
                #(#patch_update)*
                update
            }
        }
    };
    if !model {
        return Ok(quote! {
            #common
            impl ::dynamodel::Document for #name {
                type Fields = #fields_name;
                type Patch = #patch_name;
                fn fields_at(base: &::dynamodel::expr::Path) -> #fields_name { #fields_name::at(::std::option::Option::Some(base)) }
            }
        });
    }

    // Model.
    let entity = opts
        .entity
        .clone()
        .map(|e| e.value())
        .unwrap_or_else(|| name.to_string());
    let pk_lit = opts.pk.as_ref().expect("checked above");
    let pk = render(pk_lit, &fields, true)?;
    let sk = match &opts.sk {
        Some(sk) => {
            let sk = render(sk, &fields, true)?;
            quote!(::std::option::Option::Some(#sk))
        }
        None => quote!(::std::option::Option::None),
    };
    let mut key_params: Vec<&Field> = Vec::new();
    for ident in &key_fields {
        let field = fields
            .iter()
            .find(|f| &f.ident == ident)
            .expect("template names are fields");
        if !key_params.iter().any(|p| &p.ident == ident) {
            key_params.push(field);
        }
    }
    let key_args = key_params.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        if quote!(#ty).to_string() == "String" {
            quote!(#ident: &str)
        } else {
            quote!(#ident: &#ty)
        }
    });
    let pk_static = render(pk_lit, &fields, false)?;
    let sk_static = match &opts.sk {
        Some(sk) => {
            let sk = render(sk, &fields, false)?;
            quote!(::std::option::Option::Some(#sk))
        }
        None => quote!(::std::option::Option::None),
    };
    let pk_attribute = opts
        .pk_attribute
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| "pk".into());
    let sk_attribute = opts.sk.as_ref().map(|_| {
        opts.sk_attribute
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| "sk".into())
    });

    let mut derived = Vec::new();
    let mut gsi_specs = Vec::new();
    let mut lsi_specs = Vec::new();
    for ix in &opts.indexes {
        let ix_name = ix.name.value();
        let pk_attr = ix
            .pk_attribute
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| format!("{ix_name}pk"));
        let sk_attr = ix
            .sk_attribute
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| format!("{ix_name}sk"));
        if let Some(pk) = &ix.pk {
            let value = render(pk, &fields, true)?;
            derived.push(quote!((#pk_attr, ::dynamodel::expr::AttributeValue::S(#value))));
        }
        let sk = ix.sk.as_ref().expect("checked above");
        let value = render(sk, &fields, true)?;
        derived.push(quote!((#sk_attr, ::dynamodel::expr::AttributeValue::S(#value))));
        let ix_pk_attr = if ix.local {
            pk_attribute.clone()
        } else {
            pk_attr
        };
        let spec = quote!(::dynamodel::IndexSpec {
            name: #ix_name.to_owned(),
            partition_key: ::dynamodel::KeyAttribute::string(#ix_pk_attr),
            sort_key: ::std::option::Option::Some(::dynamodel::KeyAttribute::string(#sk_attr)),
            projection: ::dynamodel::IndexProjection::All,
        });
        if ix.local {
            lsi_specs.push(spec)
        } else {
            gsi_specs.push(spec)
        }
    }
    let extra = opts
        .derived
        .as_ref()
        .map(|f| quote!(attributes.extend(#f(self));));
    let sk_spec = match &sk_attribute {
        Some(s) => quote!(::std::option::Option::Some(::dynamodel::KeyAttribute::string(#s))),
        None => quote!(::std::option::Option::None),
    };

    let find = |pred: fn(&FieldOptions) -> bool, what: &str| -> syn::Result<Option<&Field>> {
        let mut found = fields.iter().filter(|f| pred(&f.options));
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(syn::Error::new(
                second.span,
                format!("only one field may be the {what}"),
            ));
        }
        Ok(first)
    };
    let version = find(|o| o.version, "version")?;
    let created = find(|o| o.created_at, "created_at")?;
    let updated = find(|o| o.updated_at, "updated_at")?;
    let ttl = find(|o| o.ttl, "ttl")?;
    let attr_const = |f: Option<&Field>| match f {
        Some(f) => {
            let s = &f.stored;
            quote!(::std::option::Option::Some(#s))
        }
        None => quote!(::std::option::Option::None),
    };
    let (version_const, created_const, updated_const, ttl_const) = (
        attr_const(version),
        attr_const(created),
        attr_const(updated),
        attr_const(ttl),
    );
    let version_fns = version.map(|f| {
        let ident = &f.ident;
        quote! {
            fn version(&self) -> u64 { self.#ident }
            fn set_version(&mut self, version: u64) { self.#ident = version; }
        }
    });
    let created_fn = created.map(|f| {
        let ident = &f.ident;
        quote!(fn set_created_at(&mut self, at: ::dynamodel::OffsetDateTime) { self.#ident = ::std::convert::From::from(at); })
    });
    let updated_fn = updated.map(|f| {
        let ident = &f.ident;
        quote!(fn set_updated_at(&mut self, at: ::dynamodel::OffsetDateTime) { self.#ident = ::std::convert::From::from(at); })
    });
    let ttl_spec = match ttl {
        Some(f) => {
            let s = &f.stored;
            quote!(::std::option::Option::Some(#s.to_owned()))
        }
        None => quote!(::std::option::Option::None),
    };

    // Transforms, then defaults, then the hook.
    let mut transforms = Vec::new();
    for f in &fields {
        let ident = &f.ident;
        let o = &f.options;
        let mut steps = Vec::new();
        if o.trim {
            steps.push(quote!(::dynamodel::transform::trim(v)));
        }
        if o.lowercase {
            steps.push(quote!(::dynamodel::transform::lowercase(v)));
        }
        if o.uppercase {
            steps.push(quote!(::dynamodel::transform::uppercase(v)));
        }
        if !steps.is_empty() {
            transforms.push(quote_spanned!(f.span=> ::dynamodel::transform::Text::each(&mut self.#ident, |v| { #(#steps;)* });));
        }
        if let Some(default) = &o.default {
            if option_inner(&f.ty).is_none() {
                return Err(syn::Error::new(
                    f.span,
                    "`default` applies to Option fields (set when None at save)",
                ));
            }
            transforms.push(quote!(if self.#ident.is_none() { self.#ident = ::std::option::Option::Some(::std::convert::From::from(#default)); }));
        }
    }
    let before_hook = opts.before_save.as_ref().map(|f| quote!(#f(self);));
    let after_hook = opts.after_load.as_ref().map(|f| quote!(#f(self);));
    let required = fields.iter().filter(|f| f.options.required).map(|f| {
        let (ident, stored) = (&f.ident, &f.stored);
        if option_inner(&f.ty).is_none() {
            return quote_spanned!(f.span=> compile_error!("`required` applies to Option fields; other fields are always required"););
        }
        quote!(if self.#ident.is_none() { errors.push(#stored, "is required"); })
    });
    let garde = opts.validate.then(|| {
        quote!(if let ::std::result::Result::Err(report) =
            ::dynamodel::garde::Validate::validate(self)
        {
            for e in ::dynamodel::ValidationErrors::from(report).errors() {
                errors.push(e.field.clone(), e.message.clone());
            }
        })
    });

    Ok(quote! {
        #common

        impl #name {
            /// Typed paths of the stored attributes, for conditions, filters and updates.
            pub fn fields() -> #fields_name { #fields_name::at(::std::option::Option::None) }

            /// The primary key for these key-template values.
            pub fn key_for(#(#key_args),*) -> ::dynamodel::Key {
                ::dynamodel::Key { pk: #pk_static, sk: #sk_static }
            }

            /// The table definition this model's keys, indexes and TTL need.
            pub fn table_spec() -> ::dynamodel::TableSpec {
                ::dynamodel::TableSpec {
                    partition_key: ::dynamodel::KeyAttribute::string(#pk_attribute),
                    sort_key: #sk_spec,
                    global_secondary_indexes: ::std::vec![#(#gsi_specs),*],
                    local_secondary_indexes: ::std::vec![#(#lsi_specs),*],
                    ttl_attribute: #ttl_spec,
                    billing_mode: ::dynamodel::BillingMode::PayPerRequest,
                }
            }
        }

        impl ::dynamodel::Model for #name {
            const ENTITY: &'static str = #entity;
            const VERSION_ATTRIBUTE: ::std::option::Option<&'static str> = #version_const;
            const CREATED_AT_ATTRIBUTE: ::std::option::Option<&'static str> = #created_const;
            const UPDATED_AT_ATTRIBUTE: ::std::option::Option<&'static str> = #updated_const;
            const TTL_ATTRIBUTE: ::std::option::Option<&'static str> = #ttl_const;

            fn key(&self) -> ::dynamodel::Key {
                ::dynamodel::Key { pk: #pk, sk: #sk }
            }

            fn derived_attributes(&self) -> ::std::vec::Vec<(&'static str, ::dynamodel::expr::AttributeValue)> {
                #[allow(unused_mut)]
                let mut attributes = ::std::vec![#(#derived),*];
                #extra
                attributes
            }

            fn before_save(&mut self) {
                #(#transforms)*
                #before_hook
            }

            fn after_load(&mut self) {
                #after_hook
            }

            fn validate(&self) -> ::std::result::Result<(), ::dynamodel::ValidationErrors> {
                #[allow(unused_mut)]
                let mut errors = ::dynamodel::ValidationErrors::new();
                #(#required)*
                #garde
                errors.into_result()
            }

            #version_fns
            #created_fn
            #updated_fn
        }
    })
}
