use orders_example::Order;

#[derive(serde::Deserialize, dynamodel::Projection)]
#[dynamodel(model = Order)]
struct Summary {
    order_id: String,
    totl_cents: u64,
}

fn main() {}
