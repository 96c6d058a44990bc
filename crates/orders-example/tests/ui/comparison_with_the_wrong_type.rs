use orders_example::Order;

fn main() {
    let _ = Order::fields().total_cents.eq("ten euros");
}
