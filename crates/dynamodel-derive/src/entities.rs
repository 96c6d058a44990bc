//! `#[derive(Entities)]`: an enum of tagged models, read from any item one of them wrote.

use proc_macro2::TokenStream as Tokens;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

/// An enum whose variants each hold one model, checked.
pub(crate) struct Entities {
    ident: Ident,
    variants: Vec<Variant>,
}

struct Variant {
    ident: Ident,
    /// The model it holds.
    model: Type,
}

const SHAPE: &str = "#[derive(Entities)] needs an enum whose variants each hold one model, \
                     like `Person(Person)`";

impl Entities {
    pub fn parse(input: &DeriveInput) -> syn::Result<Self> {
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new(
                input.generics.span(),
                "#[derive(Entities)] does not support generic enums",
            ));
        }
        let Data::Enum(data) = &input.data else {
            return Err(syn::Error::new(input.ident.span(), SHAPE));
        };
        if data.variants.is_empty() {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Entities)] needs at least one variant",
            ));
        }
        let mut variants: Vec<Variant> = Vec::new();
        for v in &data.variants {
            let model = match &v.fields {
                Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                    fields.unnamed.iter().map(|f| f.ty.clone()).next()
                }
                _ => None,
            };
            let Some(model) = model else {
                return Err(syn::Error::new(v.span(), SHAPE));
            };
            let text = model.to_token_stream().to_string();
            if let Some(other) = variants
                .iter()
                .find(|o| o.model.to_token_stream().to_string() == text)
            {
                return Err(syn::Error::new(
                    model.span(),
                    format!(
                        "`{}` also holds this model: an item could not tell which variant it is",
                        other.ident
                    ),
                ));
            }
            variants.push(Variant {
                ident: v.ident.clone(),
                model,
            });
        }
        Ok(Self {
            ident: input.ident.clone(),
            variants,
        })
    }
}

pub(crate) fn expand(entities: &Entities) -> Tokens {
    let name = &entities.ident;
    // Spanned at the variant: `tagged_attribute` panics while compiling for an untagged model, and
    // the error points at the variant holding it.
    let variants = entities.variants.iter().map(|Variant { ident, model }| {
        quote_spanned! {model.span()=>
            ::dynamodel::entity::Variant {
                entity: <#model as ::dynamodel::Model>::ENTITY,
                attribute: ::dynamodel::entity::tagged_attribute(
                    <#model as ::dynamodel::Model>::ENTITY_ATTRIBUTE,
                    <#model as ::dynamodel::Model>::ENTITY,
                ),
                decode: |item| <#model as ::dynamodel::FromItem>::from_item(item).map(Self::#ident),
                is_live: <#model as ::dynamodel::FromItem>::is_live,
            }
        }
    });
    let models = entities.variants.iter().map(|v| &v.model);
    let froms = entities.variants.iter().map(|Variant { ident, model }| {
        quote! {
            impl ::std::convert::From<#model> for #name {
                fn from(value: #model) -> Self {
                    Self::#ident(value)
                }
            }
        }
    });
    let entities_doc = format!("The entity names of [`{name}`]'s variants, in declaration order.");
    quote! {
        impl #name {
            #[doc(hidden)]
            pub const VARIANTS: &'static [::dynamodel::entity::Variant<Self>] = &[#(#variants),*];

            #[doc = #entities_doc]
            pub const ENTITIES: &'static [&'static str] = &[#(<#models as ::dynamodel::Model>::ENTITY),*];
        }

        // rustc always evaluates a free constant, but an associated one perhaps only where it is
        // used: this makes the tag check certain, in `cargo check` too.
        const _: &[::dynamodel::entity::Variant<#name>] = #name::VARIANTS;

        impl ::dynamodel::FromItem for #name {
            fn from_item(item: ::dynamodel::Item) -> ::dynamodel::Result<Self> {
                ::dynamodel::entity::decode_union(item, Self::VARIANTS)
            }

            fn is_live(item: &::dynamodel::Item) -> bool {
                ::dynamodel::entity::union_is_live(item, Self::VARIANTS)
            }
        }

        #(#froms)*
    }
}
