//! `#[derive(Document)]`: typed paths and a patch for a struct stored as a nested map.

use proc_macro2::TokenStream as Tokens;
use quote::quote;

use crate::ir::Document;
use crate::{patch, paths};

pub(crate) fn expand(doc: &Document) -> Tokens {
    let (name, fields_name, patch_name) = (&doc.ident, doc.fields_name(), doc.patch_name());
    let paths = paths::expand(doc);
    let patch = patch::expand(doc);
    quote! {
        #paths
        #patch
        impl ::dynamodel::Document for #name {
            type Fields = #fields_name;
            type Patch = #patch_name;
            fn fields_at(base: &::dynamodel::expr::Path) -> #fields_name { #fields_name::at(::std::option::Option::Some(base)) }
        }
    }
}
