#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(entity = "note", pk = "NOTE#{id}")]
struct Note {
    id: String,
    #[serde(rename = "_type")]
    kind: String,
}

fn main() {}
