//! `<Name>Patch`: a partial update with an optional value per patchable field.

use proc_macro2::TokenStream as Tokens;
use quote::quote;

use crate::ir::Document;
use crate::paths::field_path;

/// `struct <Name>Patch` and its `dynamodel::Patch` impl.
pub(crate) fn expand(doc: &Document) -> Tokens {
    let (name, vis, patch_name) = (&doc.ident, &doc.vis, doc.patch_name());
    let patchable: Vec<_> = doc.fields.iter().filter(|f| f.patchable).collect();
    let patch_fields = patchable.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        if f.options.nested {
            quote!(pub #ident: ::std::option::Option<<#ty as ::dynamodel::Document>::Patch>)
        } else {
            quote!(pub #ident: ::std::option::Option<#ty>)
        }
    });
    let is_empty = patchable.iter().map(|f| {
        let ident = &f.ident;
        if f.options.nested {
            quote!(self.#ident.as_ref().is_none_or(|p| ::dynamodel::Patch::is_empty(p)))
        } else {
            quote!(self.#ident.is_none())
        }
    });
    let apply = patchable.iter().map(|f| {
        let ident = &f.ident;
        if f.options.nested {
            quote!(if let ::std::option::Option::Some(p) = &self.#ident { ::dynamodel::Patch::apply(p, &mut target.#ident); })
        } else {
            quote!(if let ::std::option::Option::Some(v) = &self.#ident { target.#ident = ::std::clone::Clone::clone(v); })
        }
    });
    let to_update = patchable.iter().map(|f| {
        let ident = &f.ident;
        let path = field_path(f);
        if f.options.nested {
            quote!(if let ::std::option::Option::Some(p) = &self.#ident {
                update = update.merge(::dynamodel::Patch::to_update_at(p, ::std::option::Option::Some(&#path)));
            })
        } else if f.optional {
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
    quote! {
        #[doc = #patch_doc]
        #[derive(Debug, Clone, Default)]
        #vis struct #patch_name { #(#[allow(missing_docs)] #patch_fields,)* }

        impl ::dynamodel::Patch<#name> for #patch_name {
            fn is_empty(&self) -> bool { true #(&& #is_empty)* }
            fn apply(&self, target: &mut #name) { #(#apply)* }
            fn to_update_at(&self, base: ::std::option::Option<&::dynamodel::expr::Path>) -> ::dynamodel::Update {
                let mut update = ::dynamodel::Update::new();
                #(#to_update)*
                update
            }
        }
    }
}
