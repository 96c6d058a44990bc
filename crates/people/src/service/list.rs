//! Listing: newest first through the list index, or through the email or owner claim.

use dynamodel::expr::{ToAttr, attr};
use dynamodel::{Condition, Key, Model, Query, SortCondition};

use super::{Actor, ListQuery, PeoplePage, PeopleService, ServiceError};
use crate::model::{
    EmailClaim, LIST_INDEX, LIST_PARTITION, NAME_SEARCH_ATTRIBUTE, OwnerClaim, Person, PersonId,
};

impl PeopleService {
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
        let filter = Condition::all(
            query
                .tag
                .iter()
                .map(|t| Person::fields().tags.contains(t.as_str()))
                .chain(
                    query
                        .name_prefix
                        .iter()
                        .map(|p| attr(NAME_SEARCH_ATTRIBUTE).begins_with(p.to_lowercase())),
                ),
        );
        let page = self
            .table
            .query::<Person>(
                &Query::index(LIST_INDEX, LIST_PARTITION)
                    .descending()
                    .filter(filter)
                    .limit(query.limit)
                    .after(query.cursor),
            )
            .await?;
        Ok(PeoplePage {
            items: page.items,
            next: page.next,
        })
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
