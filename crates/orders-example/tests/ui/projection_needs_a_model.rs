#[derive(serde::Deserialize, dynamodel::Projection)]
struct Summary {
    order_id: String,
}

#[derive(serde::Deserialize, dynamodel::Projection)]
#[dynamodel(model = orders_example::Order)]
struct Tuple(String);

fn main() {}
