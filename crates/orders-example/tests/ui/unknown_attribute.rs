use orders_example::Order;

fn main() {
    let _ = Order::fields().colour.eq("red");
}
