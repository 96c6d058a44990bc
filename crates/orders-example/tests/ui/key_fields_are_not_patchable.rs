use orders_example::OrderPatch;

fn main() {
    let _ = OrderPatch { order_id: Some("o2".to_owned()), ..Default::default() };
}
