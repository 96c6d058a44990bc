//! `#[derive(Model)]`: typed paths, a patch, `key_for`, `table_spec`, index name constants and the
//! `dynamodel::Model` impl.

use proc_macro2::TokenStream as Tokens;
use quote::{quote, quote_spanned};

use crate::ir::{EntityTag, Index, Model, RoleField, TemplateKey};
use crate::{patch, paths};

pub(crate) fn expand(model: &Model) -> Tokens {
    let doc = &model.document;
    let (name, fields_name) = (&doc.ident, doc.fields_name());
    let paths = paths::expand(doc);
    let patch = patch::expand(doc);

    let key_args = model.key.params.iter().map(|p| {
        let (ident, ty) = (&p.ident, &p.ty);
        if p.is_string {
            quote!(#ident: &str)
        } else {
            quote!(#ident: &#ty)
        }
    });
    let pk_static = model.key.pk.template.render_from_arguments();
    let sk_static = option(
        model
            .key
            .sk
            .as_ref()
            .map(|sk| sk.template.render_from_arguments()),
    );
    let pk = model.key.pk.template.render_from_self();
    let sk = option(
        model
            .key
            .sk
            .as_ref()
            .map(|sk| sk.template.render_from_self()),
    );
    let pk_attribute = &model.key.pk.attribute;
    let sk_spec = option(model.key.sk.as_ref().map(|sk| {
        let attribute = &sk.attribute;
        quote!(::dynamodel::KeyAttribute::string(#attribute))
    }));
    let index_constants = model.indexes.iter().map(index_constant);
    let index_specs = |local: bool| {
        model
            .indexes
            .iter()
            .filter(move |ix| ix.local == local)
            .map(index_spec)
    };
    let (gsi_specs, lsi_specs) = (index_specs(false), index_specs(true));
    let ttl_spec = option(model.ttl.as_ref().map(|f| {
        let stored = &f.stored;
        quote!(#stored.to_owned())
    }));

    let entity = &model.entity;
    let entity_attribute = model.tag.as_ref().map(|tag| {
        let attribute = match tag {
            EntityTag::DefaultAttribute => quote!(::dynamodel::DEFAULT_ENTITY_ATTRIBUTE),
            EntityTag::Attribute(a) => quote!(#a),
        };
        quote!(const ENTITY_ATTRIBUTE: ::std::option::Option<&'static str> = ::std::option::Option::Some(#attribute);)
    });
    let stored = |f: &Option<RoleField>| {
        option(f.as_ref().map(|f| {
            let stored = &f.stored;
            quote!(#stored)
        }))
    };
    let (version_const, created_const, updated_const, ttl_const) = (
        stored(&model.version),
        stored(&model.created_at),
        stored(&model.updated_at),
        stored(&model.ttl),
    );
    let version_fns = model.version.as_ref().map(|f| {
        let ident = &f.ident;
        quote! {
            fn version(&self) -> u64 { self.#ident }
            fn set_version(&mut self, version: u64) { self.#ident = version; }
        }
    });
    let created_fn = model.created_at.as_ref().map(|f| {
        let ident = &f.ident;
        quote!(fn set_created_at(&mut self, at: ::dynamodel::OffsetDateTime) { self.#ident = ::std::convert::From::from(at); })
    });
    let updated_fn = model.updated_at.as_ref().map(|f| {
        let ident = &f.ident;
        quote!(fn set_updated_at(&mut self, at: ::dynamodel::OffsetDateTime) { self.#ident = ::std::convert::From::from(at); })
    });

    let derived = model.indexes.iter().flat_map(|ix| {
        ix.pk.iter().chain([&ix.sk]).map(
            |TemplateKey {
                 attribute,
                 template,
             }| {
                let value = template.render_from_self();
                quote!((#attribute, ::dynamodel::expr::AttributeValue::S(#value)))
            },
        )
    });
    let extra = model
        .derived
        .as_ref()
        .map(|f| quote!(attributes.extend(#f(self));));

    // Transforms, then defaults, then the hook.
    let transforms = doc.fields.iter().map(|f| {
        let (ident, o) = (&f.ident, &f.options);
        let steps = [
            (o.trim, quote!(::dynamodel::transform::trim(v))),
            (o.lowercase, quote!(::dynamodel::transform::lowercase(v))),
            (o.uppercase, quote!(::dynamodel::transform::uppercase(v))),
        ]
        .into_iter()
        .filter_map(|(on, step)| on.then_some(step))
        .collect::<Vec<_>>();
        let transform = (!steps.is_empty()).then(|| {
            quote_spanned!(f.span=> ::dynamodel::transform::Text::each(&mut self.#ident, |v| { #(#steps;)* });)
        });
        let default = o.default.as_ref().map(|default| {
            quote!(if self.#ident.is_none() { self.#ident = ::std::option::Option::Some(::std::convert::From::from(#default)); })
        });
        quote!(#transform #default)
    });
    let before_hook = model.before_save.as_ref().map(|f| quote!(#f(self);));
    let after_hook = model.after_load.as_ref().map(|f| quote!(#f(self);));
    let required = doc.fields.iter().filter(|f| f.options.required).map(|f| {
        let (ident, stored) = (&f.ident, &f.stored);
        quote!(if self.#ident.is_none() { errors.push(#stored, "is required"); })
    });
    let garde = model.validate.then(|| {
        quote!(if let ::std::result::Result::Err(report) =
            ::dynamodel::garde::Validate::validate(self)
        {
            for e in ::dynamodel::ValidationErrors::from(report).errors() {
                errors.push(e.field.clone(), e.message.clone());
            }
        })
    });

    quote! {
        #paths
        #patch

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
                    stream: ::std::option::Option::None,
                }
            }

            #(#index_constants)*
        }

        impl ::dynamodel::Model for #name {
            const ENTITY: &'static str = #entity;
            #entity_attribute
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
    }
}

/// `Some(value)` or `None`, as tokens.
fn option(value: Option<Tokens>) -> Tokens {
    match value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

fn index_constant(ix: &Index) -> Tokens {
    let (name, constant) = (&ix.name, &ix.constant);
    let partition = match &ix.pk {
        Some(pk) if !ix.local => format!("partition key `{}`", pk.template.text),
        _ => "the table's partition key".to_owned(),
    };
    let kind = if ix.local { "local" } else { "global" };
    let doc = format!(
        "The name of the {kind} index `{name}` ({partition}, sort key `{}`).",
        ix.sk.template.text
    );
    quote! {
        #[doc = #doc]
        pub const #constant: &'static str = #name;
    }
}

fn index_spec(ix: &Index) -> Tokens {
    let (name, pk, sk) = (&ix.name, &ix.partition_attribute, &ix.sk.attribute);
    quote!(::dynamodel::IndexSpec {
        name: #name.to_owned(),
        partition_key: ::dynamodel::KeyAttribute::string(#pk),
        sort_key: ::std::option::Option::Some(::dynamodel::KeyAttribute::string(#sk)),
        projection: ::dynamodel::IndexProjection::All,
    })
}
