use orders_example::{Customer, Order};

#[derive(dynamodel::Entities)]
enum Item {
    Customer(Customer),
    Order { order: Order },
}

#[derive(dynamodel::Entities)]
enum Twice {
    Customer(Customer),
    Again(Customer),
}

fn main() {}
