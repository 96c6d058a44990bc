//! The derive's less common options, each checked against DynamoDB Local.

use dynamodel::expr::AttributeValue;
use dynamodel::{Error, Model, Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, dynamodel::Model)]
#[dynamodel(
    entity = "Ticket",
    pk = "BOARD#{board}",
    sk = "TICKET#{number}",
    index(name = "by_title", local, sk = "{title}"),
    after_load = Ticket::loaded,
    derived = Ticket::search
)]
struct Ticket {
    board: String,
    number: u32,
    #[dynamodel(uppercase, trim)]
    code: String,
    title: String,
    #[dynamodel(required)]
    owner: Option<String>,
    #[dynamodel(read_only)]
    opened_by: String,
    #[serde(skip)]
    loaded: bool,
}

impl Ticket {
    fn loaded(&mut self) {
        self.loaded = true;
    }
    fn search(&self) -> Vec<(&'static str, AttributeValue)> {
        vec![("title_lc", AttributeValue::S(self.title.to_lowercase()))]
    }
}

fn ticket(number: u32, title: &str) -> Ticket {
    Ticket {
        board: "b1".into(),
        number,
        code: " ab-1 ".into(),
        title: title.into(),
        owner: Some("ann".into()),
        opened_by: "bob".into(),
        loaded: false,
    }
}

#[tokio::test]
async fn options_do_what_they_say() {
    let spec = Ticket::table_spec();
    assert_eq!(spec.local_secondary_indexes[0].name, "by_title");
    assert_eq!(
        spec.local_secondary_indexes[0].partition_key.name, "pk",
        "a local index shares the partition key"
    );
    assert!(spec.global_secondary_indexes.is_empty());

    let table = dynamodb_local::fresh_table("tickets", spec).await;

    let mut t = ticket(1, "Zebra crossing");
    table.create(&mut t).await.unwrap();
    assert_eq!(t.code, "AB-1", "trim and uppercase");
    let mut t2 = ticket(2, "Apple cart");
    table.create(&mut t2).await.unwrap();

    let loaded: Ticket = table
        .get(&Ticket::key_for("b1", &1))
        .await
        .unwrap()
        .unwrap();
    assert!(loaded.loaded, "the after_load hook ran");

    let by_title = table
        .query::<Ticket>(&Query::index("by_title", "BOARD#b1"))
        .await
        .unwrap();
    let titles: Vec<&str> = by_title.items.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Apple cart", "Zebra crossing"],
        "the local index sorts by title"
    );

    let found = table
        .query::<Ticket>(
            &Query::table("BOARD#b1")
                .filter(Some(dynamodel::expr::attr("title_lc").begins_with("zeb"))),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1, "derived attributes are stored");

    let mut ownerless = ticket(3, "Nobody");
    ownerless.owner = None;
    let Error::Validation(errors) = table.create(&mut ownerless).await.unwrap_err() else {
        panic!()
    };
    assert_eq!(errors.errors()[0].field, "owner");
    assert_eq!(errors.errors()[0].message, "is required");

    // `opened_by` is read-only and `loaded` is not stored: the patch type has neither, nor the key
    // fields (see tests/ui); the rest are there.
    let patch = TicketPatch {
        title: Some("Zebra".into()),
        code: Some("x".into()),
        owner: Some(None),
    };
    assert_eq!(dynamodel::Patch::to_update(&patch).len(), 3);
    assert_eq!(Ticket::ENTITY, "Ticket");
}
