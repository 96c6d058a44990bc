//! Entity types: tagged models write their entity on every item, reads check it, and a union of
//! entities decodes a mixed query, scan or stream record. (`#[derive(Entities)]` generates the
//! union below; here it is written out against the runtime API the derive targets.)

use dynamodel::entity::{Variant, decode_union, union_is_live};
use dynamodel::expr::{AttributeValue, attr};
use dynamodel::{Error, FromItem, Item, Key, Model, Query, Scan};
use serde::{Deserialize, Serialize};

use crate::helpers::{raw_item, table};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub team: String,
    pub name: String,
}

impl Model for Member {
    const ENTITY: &'static str = "member";
    const ENTITY_ATTRIBUTE: Option<&'static str> = Some(dynamodel::DEFAULT_ENTITY_ATTRIBUTE);
    fn key(&self) -> Key {
        Key::new(
            format!("TEAM#{}", self.team),
            format!("MEMBER#{}", self.name),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub team: String,
    pub name: String,
    pub expires_at: Option<i64>,
}

impl Model for Team {
    const ENTITY: &'static str = "team";
    const ENTITY_ATTRIBUTE: Option<&'static str> = Some("_type");
    const TTL_ATTRIBUTE: Option<&'static str> = Some("expires_at");
    fn key(&self) -> Key {
        Key::new(format!("TEAM#{}", self.team), "TEAM")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TeamItem {
    Team(Team),
    Member(Member),
}

impl TeamItem {
    const VARIANTS: &'static [Variant<Self>] = &[
        Variant {
            entity: Team::ENTITY,
            attribute: "_type",
            decode: |item| Team::from_item(item).map(Self::Team),
            is_live: <Team as FromItem>::is_live,
        },
        Variant {
            entity: Member::ENTITY,
            attribute: "_type",
            decode: |item| Member::from_item(item).map(Self::Member),
            is_live: <Member as FromItem>::is_live,
        },
    ];
}

impl FromItem for TeamItem {
    fn from_item(item: Item) -> dynamodel::Result<Self> {
        decode_union(item, Self::VARIANTS)
    }
    fn is_live(item: &Item) -> bool {
        union_is_live(item, Self::VARIANTS)
    }
}

fn member(name: &str) -> Member {
    Member {
        team: "t1".into(),
        name: name.into(),
    }
}

#[tokio::test]
async fn a_union_decodes_a_mixed_partition_and_a_scan() {
    let t = table().await;
    let mut team = Team {
        team: "t1".into(),
        name: "Core".into(),
        expires_at: None,
    };
    t.create(&mut team).await.unwrap();
    for name in ["ada", "bob"] {
        t.create(&mut member(name)).await.unwrap();
    }
    // An expired team hides in union reads too.
    let mut gone = Team {
        team: "t2".into(),
        name: "Old".into(),
        expires_at: Some(1),
    };
    t.create(&mut gone).await.unwrap();

    let item = raw_item(&t, &team.key()).await;
    assert_eq!(item["_type"], AttributeValue::S("team".into()), "{item:?}");

    let page = t.query::<TeamItem>(&Query::table("TEAM#t1")).await.unwrap();
    assert_eq!(
        page.items,
        [
            TeamItem::Member(member("ada")),
            TeamItem::Member(member("bob")),
            TeamItem::Team(team.clone()),
        ]
    );
    let mut scanned = t.scan::<TeamItem>(&Scan::table()).await.unwrap().items;
    scanned.sort_by_key(|i| format!("{i:?}"));
    assert_eq!(scanned.len(), 3, "{scanned:?}");

    // A single-model read of a mixed partition refuses the other entity's items.
    let err = t
        .query::<Member>(&Query::table("TEAM#t1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::WrongEntity { expected: "member", found } if found == "team"),
        "{err:?}"
    );
    // Filtering on the tag reads only one entity.
    let members = t
        .query::<Member>(&Query::table("TEAM#t1").filter(Some(attr("_type").eq("member"))))
        .await
        .unwrap();
    assert_eq!(members.items.len(), 2);
}

#[tokio::test]
async fn unknown_entities_are_errors_and_untagged_items_still_decode_and_can_be_backfilled() {
    let t = table().await;
    let put = |item: Vec<(&str, AttributeValue)>| {
        t.client()
            .put_item()
            .table_name(t.name())
            .set_item(Some(
                item.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ))
            .send()
    };
    let s = |v: &str| AttributeValue::S(v.into());
    // Written before the model was tagged.
    put(vec![
        ("pk", s("TEAM#t1")),
        ("sk", s("MEMBER#old")),
        ("team", s("t1")),
        ("name", s("old")),
    ])
    .await
    .unwrap();
    // Another service's entity in the same partition.
    put(vec![
        ("pk", s("TEAM#t1")),
        ("sk", s("ZZZ")),
        ("_type", s("invoice")),
    ])
    .await
    .unwrap();

    let member: Member = t
        .get(&Key::new("TEAM#t1", "MEMBER#old"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.name, "old");
    let err = t
        .query::<TeamItem>(&Query::table("TEAM#t1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownEntity { found } if found == "invoice"),
        "{err:?}"
    );
    let page = t
        .query::<TeamItem>(
            &Query::table("TEAM#t1").sort(dynamodel::SortCondition::BeginsWith(s("MEMBER#"))),
        )
        .await
        .unwrap();
    // Untagged, the item is read as the first variant it decodes as: a Team has the fields of a
    // Member, so the guess is wrong — which is what the backfill is for.
    assert!(
        matches!(&page.items[..], [TeamItem::Team(_)]),
        "{:?}",
        page.items
    );

    let tagged = t
        .backfill_entity::<Member>(attr("sk").begins_with("MEMBER#"))
        .await
        .unwrap();
    assert_eq!(tagged, 1);
    let item = raw_item(&t, &Key::new("TEAM#t1", "MEMBER#old")).await;
    assert_eq!(item["_type"], s("member"));
    assert_eq!(item["name"], s("old"), "nothing else changed");
    let page = t
        .query::<TeamItem>(
            &Query::table("TEAM#t1").sort(dynamodel::SortCondition::BeginsWith(s("MEMBER#"))),
        )
        .await
        .unwrap();
    assert_eq!(
        page.items,
        [TeamItem::Member(member.clone())],
        "tagged, it is a member"
    );
    assert_eq!(
        t.backfill_entity::<Member>(attr("sk").begins_with("MEMBER#"))
            .await
            .unwrap(),
        0,
        "running it again tags nothing"
    );
    assert_eq!(
        raw_item(&t, &Key::new("TEAM#t1", "ZZZ")).await["_type"],
        s("invoice")
    );
}
