//! Listing: newest first through the list index, or through the email claim.

use dynamodel::expr::{ToAttr, attr};
use dynamodel::{Condition, Query, SortCondition};

use super::{ListQuery, PeoplePage, PeopleService, ServiceError};
use crate::model::{EmailClaim, LIST_INDEX, LIST_PARTITION, NAME_SEARCH_ATTRIBUTE, Person};

impl PeopleService {
    /// Lists people newest first, filtered, one page at a time. Always a Query, never a Scan.
    pub async fn list(&self, query: ListQuery) -> Result<PeoplePage, ServiceError> {
        if let Some(email) = &query.email {
            return self.find_by_email(email, &query).await;
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

    /// The email claim names the one person who can match; the other filters apply to that person.
    async fn find_by_email(
        &self,
        email: &str,
        query: &ListQuery,
    ) -> Result<PeoplePage, ServiceError> {
        if query.cursor.is_some() {
            // An email matches at most one person, so every cursor is past the end.
            return Err(ServiceError::InvalidCursor);
        }
        let claim_key = EmailClaim::key_for(email);
        let claims = self
            .table
            .query::<EmailClaim>(
                &Query::table(claim_key.pk)
                    .sort(SortCondition::Eq(
                        claim_key.sk.unwrap_or_default().to_attr(),
                    ))
                    .limit(1),
            )
            .await?;
        let mut items = Vec::new();
        if let Some(claim) = claims.items.into_iter().next() {
            let key = claim.person_id.key();
            let people = self
                .table
                .query::<Person>(
                    &Query::table(key.pk)
                        .sort(SortCondition::Eq(key.sk.unwrap_or_default().to_attr()))
                        .limit(1)
                        .consistent(),
                )
                .await?;
            items.extend(people.items.into_iter().filter(|p| {
                query.tag.as_ref().is_none_or(|t| p.tags.contains(t))
                    && query.name_prefix.as_ref().is_none_or(|prefix| {
                        p.name.to_lowercase().starts_with(&prefix.to_lowercase())
                    })
            }));
        }
        Ok(PeoplePage { items, next: None })
    }
}
