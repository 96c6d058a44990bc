//! Listing: newest first through the list index, or through the email or owner claim.
//!
//! Cursors of the list index are signed and bound to the listing: the index, its partition, the
//! direction, the filter expression and the request's filters (see [`dynamodel::Cursor`]), so a
//! cursor is a 400 with other filters, after it expires (24 hours) or once tampered with.

use std::borrow::Cow;

use dynamodel::expr::{ToAttr, attr};
use dynamodel::{Condition, Key, Model, Query, SortCondition, Table};

use super::{Actor, ListQuery, PeoplePage, PeopleService, ServiceError};
use crate::cursor_key::CursorKeys;
use crate::model::{
    EmailClaim, LIST_INDEX, LIST_PARTITION, NAME_SEARCH_ATTRIBUTE, OwnerClaim, Person, PersonId,
};

impl PeopleService {
    /// This service, with listing signing its cursors with the key `keys` gives (read at the first
    /// listing that needs it) instead of the table's.
    pub fn with_cursor_keys(mut self, keys: CursorKeys) -> Self {
        self.cursor_keys = Some(keys);
        self
    }

    /// The table as listing uses it: with the cursor key, once there is one.
    async fn list_table(&self) -> Result<Cow<'_, Table>, ServiceError> {
        match &self.cursor_keys {
            None => Ok(Cow::Borrowed(&self.table)),
            Some(keys) => {
                let key = keys.key().await.map_err(ServiceError::CursorKey)?;
                Ok(Cow::Owned(self.table.clone().with_cursor_key(key)))
            }
        }
    }

    /// Lists people newest first, filtered, one page at a time. Always a Query, never a Scan. A
    /// caller limited to its own person sees at most that one, found through its owner claim; an
    /// email filter reads the email claim.
    pub async fn list(&self, query: ListQuery, actor: &Actor) -> Result<PeoplePage, ServiceError> {
        if let (true, Some(owner)) = (actor.own_only, actor.subject()) {
            let key = OwnerClaim::key_for(owner);
            return self.claimed(key, |c: OwnerClaim| c.person_id, &query).await;
        }
        if let Some(email) = &query.email {
            let key = EmailClaim::key_for(email);
            return self.claimed(key, |c: EmailClaim| c.person_id, &query).await;
        }
        let index_query = Self::index_query(&query)
            .limit(query.limit)
            .after(query.cursor);
        let page = self
            .list_table()
            .await?
            .query::<Person>(&index_query)
            .await?;
        Ok(PeoplePage {
            items: page.items,
            next: page.next,
        })
    }

    /// The query of the list index for `query`'s tag and name prefix, newest first, its cursors bound
    /// to those filters (normalised as the filter uses them).
    fn index_query(query: &ListQuery) -> Query {
        let name_prefix = query.name_prefix.as_ref().map(|p| p.to_lowercase());
        let context =
            serde_json::json!({ "tag": query.tag, "name_prefix": name_prefix }).to_string();
        let filter = Condition::all(
            query
                .tag
                .iter()
                .map(|t| Person::fields().tags.contains(t.as_str()))
                .chain(
                    name_prefix
                        .iter()
                        .map(|p| attr(NAME_SEARCH_ATTRIBUTE).begins_with(p.as_str())),
                ),
        );
        Query::index(LIST_INDEX, LIST_PARTITION)
            .descending()
            .filter(filter)
            .cursor_context(context)
    }

    /// A cursor of the listing with `query`'s filters holding exactly `payload`, signed with the
    /// table's key: for tests that need cursors no page would hand out (see
    /// [`Table::forge_cursor`]). Feature `fixtures`.
    #[cfg(feature = "fixtures")]
    pub fn forge_list_cursor(
        &self,
        query: &ListQuery,
        payload: &serde_json::Value,
    ) -> dynamodel::Cursor {
        self.table
            .forge_cursor(&Self::index_query(query), payload.to_string().as_bytes())
    }

    /// The one person a claim names, if it matches the query's other filters. A claim matches at
    /// most one person, so every cursor is past the end.
    async fn claimed<C: Model>(
        &self,
        claim_key: Key,
        person_of: impl FnOnce(C) -> PersonId,
        query: &ListQuery,
    ) -> Result<PeoplePage, ServiceError> {
        if query.cursor.is_some() {
            return Err(ServiceError::InvalidCursor);
        }
        // Queries, not GetItem: the list function may only Query.
        let claims = self.table.query::<C>(&Self::exactly(claim_key)).await?;
        let mut items = Vec::new();
        if let Some(claim) = claims.items.into_iter().next() {
            let key = person_of(claim).key();
            let people = self
                .table
                .query::<Person>(&Self::exactly(key).consistent())
                .await?;
            items.extend(people.items.into_iter().filter(|p| {
                query.tag.as_ref().is_none_or(|t| p.tags.contains(t))
                    && query.email.as_ref().is_none_or(|e| &p.email == e)
                    && query.name_prefix.as_ref().is_none_or(|prefix| {
                        p.name.to_lowercase().starts_with(&prefix.to_lowercase())
                    })
            }));
        }
        Ok(PeoplePage { items, next: None })
    }

    /// The query for the one item with `key`.
    fn exactly(key: Key) -> Query {
        Query::table(key.pk)
            .sort(SortCondition::Eq(key.sk.unwrap_or_default().to_attr()))
            .limit(1)
    }
}
