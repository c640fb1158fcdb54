use khachquen_core::model::PurchaseInput;
use khachquen_core::Store;
use std::time::Instant;
fn main() {
    let url = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let server = Store::open_server(&url).expect("open");
    let ids: Vec<i64> = server
        .find_customers("nguyen", 100)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.id)
        .collect();
    let mut t = Vec::new();
    for i in 0..n {
        let s = Instant::now();
        server
            .add_purchase(PurchaseInput {
                customer_id: ids[i % ids.len()],
                amount: "150000".into(),
                ..Default::default()
            })
            .unwrap();
        t.push(s.elapsed());
    }
    t.sort();
    if n > 0 {
        println!("p50 {:?} p99 {:?}", t[n / 2], t[n * 99 / 100]);
    }
}
