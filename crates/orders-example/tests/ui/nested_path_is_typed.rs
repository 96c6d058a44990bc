use orders_example::Order;

fn main() {
    let _ = Order::fields().shipping.city.eq(42);
}
