#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "USER#{user_id}", sk = "PROFILE")]
struct User {
    id: String,
}

fn main() {}
