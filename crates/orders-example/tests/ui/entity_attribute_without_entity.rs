#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "NOTE#{id}", entity_attribute = "kind")]
struct Note {
    id: String,
}

fn main() {}
