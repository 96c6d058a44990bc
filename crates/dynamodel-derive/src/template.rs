//! Key templates: `"CUSTOMER#{customer_id}"` names fields whose `Display` fills the braces.

use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Ident, LitStr, Type};

use crate::ir::Field;

/// A key template whose field names are known to be fields of the struct.
pub(crate) struct Template {
    /// As written, for docs.
    pub text: String,
    /// A `format!` string: the literal text escaped, a `{}` per field.
    format: String,
    /// The fields filling the `{}`s, in order.
    pub fields: Vec<TemplateField>,
}

/// A field a template names.
pub(crate) struct TemplateField {
    pub ident: Ident,
    pub ty: Type,
}

impl Template {
    /// Splits a template into literal text and field names, checking each name is a field.
    pub fn parse(lit: &LitStr, fields: &[Field]) -> syn::Result<Self> {
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
            names.push(TemplateField {
                ident: field.ident.clone(),
                ty: field.ty.clone(),
            });
            format.push_str("{}");
            rest = &after[end + 1..];
        }
        format.push_str(&rest.replace('}', "}}"));
        Ok(Self {
            text,
            format,
            fields: names,
        })
    }

    /// The key of `self` (a model value): `format!(.., self.a, self.b)`.
    pub fn render_from_self(&self) -> Tokens {
        let format = &self.format;
        let args = self.fields.iter().map(|f| &f.ident);
        quote!(::std::format!(#format #(, self.#args)*))
    }

    /// The key from arguments named after the fields: `format!(.., a, b)`.
    pub fn render_from_arguments(&self) -> Tokens {
        let format = &self.format;
        let args = self.fields.iter().map(|f| &f.ident);
        quote!(::std::format!(#format #(, #args)*))
    }
}
