//! Typed attribute paths: `<Name>Fields`, with a `dynamodel::TypedPath<T>` per stored field (a
//! nested document's own `Fields` for a `nested` one).

use proc_macro2::TokenStream as Tokens;
use quote::quote;

use crate::ir::{Document, Field};

/// The path of `field` under the optional `base: Option<&Path>` in scope.
pub(crate) fn field_path(field: &Field) -> Tokens {
    let stored = &field.stored;
    quote!(match base {
        ::std::option::Option::Some(b) => b.clone().key(#stored),
        ::std::option::Option::None => ::dynamodel::expr::attr(#stored),
    })
}

/// `struct <Name>Fields` and its constructor under a base path.
pub(crate) fn expand(doc: &Document) -> Tokens {
    let (name, vis, fields_name) = (&doc.ident, &doc.vis, doc.fields_name());
    let path_fields = doc.fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        let doc = format!("`{}`", f.stored);
        if f.options.nested {
            quote!(#[doc = #doc] pub #ident: <#ty as ::dynamodel::Document>::Fields)
        } else {
            quote!(#[doc = #doc] pub #ident: ::dynamodel::TypedPath<#ty>)
        }
    });
    let path_inits = doc.fields.iter().map(|f| {
        let (ident, ty, stored) = (&f.ident, &f.ty, &f.stored);
        if f.options.nested {
            let path = field_path(f);
            quote!(#ident: <#ty as ::dynamodel::Document>::fields_at(&#path))
        } else {
            quote!(#ident: ::dynamodel::TypedPath::new(base, #stored))
        }
    });
    quote! {
        #[doc = concat!("Typed attribute paths of [`", stringify!(#name), "`].")]
        #[derive(Debug, Clone)]
        #vis struct #fields_name { #(#path_fields,)* }

        impl #fields_name {
            #[doc(hidden)]
            pub fn at(base: ::std::option::Option<&::dynamodel::expr::Path>) -> Self {
                Self { #(#path_inits,)* }
            }
        }
    }
}
