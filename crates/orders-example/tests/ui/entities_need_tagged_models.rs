use orders_example::Customer;

#[derive(serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "NOTE#{id}")]
struct Note {
    id: String,
}

#[derive(dynamodel::Entities)]
enum Item {
    Customer(Customer),
    Note(Note),
}

fn main() {}
