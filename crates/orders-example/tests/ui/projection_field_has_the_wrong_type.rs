use orders_example::Order;

#[derive(serde::Deserialize, dynamodel::Projection)]
#[dynamodel(model = Order)]
struct Summary {
    order_id: String,
    total_cents: String,
}

fn main() {}
