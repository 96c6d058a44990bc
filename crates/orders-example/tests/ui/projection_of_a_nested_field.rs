use orders_example::{Address, Order};

#[derive(serde::Deserialize, dynamodel::Projection)]
#[dynamodel(model = Order)]
struct Shipping {
    shipping: Address,
}

fn main() {}
