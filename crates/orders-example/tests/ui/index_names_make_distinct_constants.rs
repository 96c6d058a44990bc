#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(
    pk = "NOTE#{id}",
    index(name = "by-owner", pk = "{owner}", sk = "{id}"),
    index(name = "by_owner", pk = "{owner}", sk = "{id}")
)]
struct Note {
    id: String,
    owner: String,
}

fn main() {}
