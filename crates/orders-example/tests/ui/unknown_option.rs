#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "USER#{id}")]
struct User {
    id: String,
    #[dynamodel(versoin)]
    version: u64,
}

fn main() {}
