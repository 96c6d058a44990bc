//! `#[derive(Projection)]`: some fields of a model, read with a projection expression and checked
//! against the model while compiling.

use proc_macro2::TokenStream as Tokens;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::attrs;

/// A struct whose stored fields are each a non-nested field of `model`.
pub(crate) struct Projection {
    ident: Ident,
    model: Type,
    fields: Vec<Field>,
}

struct Field {
    ident: Ident,
    ty: Type,
}

const SHAPE: &str = "#[derive(Projection)] needs a struct with named fields";

impl Projection {
    pub fn parse(input: &DeriveInput) -> syn::Result<Self> {
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new(
                input.generics.span(),
                "#[derive(Projection)] does not support generic structs",
            ));
        }
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                _ => return Err(syn::Error::new(input.ident.span(), SHAPE)),
            },
            _ => return Err(syn::Error::new(input.ident.span(), SHAPE)),
        };
        let mut model = None;
        for attr in input
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("dynamodel"))
        {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("model") {
                    model = Some(meta.value()?.parse::<Type>()?);
                    Ok(())
                } else {
                    Err(meta.error("unknown option; expected model = ModelType"))
                }
            })?;
        }
        let Some(model) = model else {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Projection)] needs #[dynamodel(model = ModelType)]: the model it reads",
            ));
        };
        let mut fields = Vec::new();
        for f in &named.named {
            let Some(ident) = &f.ident else {
                return Err(syn::Error::new(f.span(), SHAPE));
            };
            if let Some(attr) = f.attrs.iter().find(|a| a.path().is_ident("dynamodel")) {
                return Err(syn::Error::new(
                    attr.span(),
                    "a projection's fields take no dynamodel options: the model's field decides",
                ));
            }
            // A field serde skips is not read.
            if attrs::serde_name(&f.attrs, ident).is_some() {
                fields.push(Field {
                    ident: ident.clone(),
                    ty: f.ty.clone(),
                });
            }
        }
        if fields.is_empty() {
            return Err(syn::Error::new(
                input.ident.span(),
                "a projection needs at least one field to read",
            ));
        }
        Ok(Self {
            ident: input.ident.clone(),
            model,
            fields,
        })
    }
}

pub(crate) fn expand(projection: &Projection) -> Tokens {
    let (name, model) = (&projection.ident, &projection.model);
    // Each path goes through `ProjectedField<T>`, which only the model's `TypedPath<T>` implements:
    // the projection's field must name a model field (else "no field `x` on type `ModelFields`")
    // of the same type, and not a nested one (whose paths are a `Fields` struct). The spans are the
    // projection's fields, so the errors point at them.
    let paths = projection.fields.iter().map(|Field { ident, ty }| {
        quote_spanned! {ident.span()=>
            ::dynamodel::TypedPath::path(ProjectedField::<#ty>::typed(&fields.#ident)).clone()
        }
    });
    quote! {
        const _: () = {
            #[diagnostic::on_unimplemented(
                message = "the model's field is not a `{T}`: its path is a `{Self}`",
                label = "not the type of the model's field",
                note = "a projection's field has exactly the type of the model's field; a `#[dynamodel(nested)]` field (whose paths are a `...Fields` struct) cannot be projected"
            )]
            trait ProjectedField<T> {
                fn typed(&self) -> &::dynamodel::TypedPath<T>;
            }

            impl<T> ProjectedField<T> for ::dynamodel::TypedPath<T> {
                fn typed(&self) -> &Self {
                    self
                }
            }

            impl ::dynamodel::Projection for #name {
                type Model = #model;

                fn paths() -> ::std::vec::Vec<::dynamodel::expr::Path> {
                    let fields = <#model>::fields();
                    ::std::vec![#(#paths),*]
                }
            }
        };
    }
}
