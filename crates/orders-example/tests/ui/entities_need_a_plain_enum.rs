use orders_example::{Customer, Order};

#[derive(dynamodel::Entities)]
struct NotAnEnum {
    customer: Customer,
}

#[derive(dynamodel::Entities)]
enum Generic<T> {
    Customer(Customer),
    Order(Order),
    Other(T),
}

#[derive(dynamodel::Entities)]
enum Empty {}

fn main() {}
