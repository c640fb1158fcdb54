use khachquen_core::Store;
use std::time::Instant;
const NAMES: &[&str] = &[
    "n",
    "ng",
    "nguy",
    "nguyen v",
    "nguyen van d",
    "tran thi h",
    "hu",
    "le hoang yen",
    "pham quoc",
    "duc",
    "ngu hu",
    "nguyễn thị hương",
];
fn main() {
    let url = std::env::args().nth(1).unwrap();
    let s = Store::open_server(&url).expect("open");
    for n in NAMES {
        s.find_customers(n, 20).unwrap();
    }
    for n in NAMES {
        let mut v = Vec::new();
        for _ in 0..20 {
            let a = Instant::now();
            let r = s.find_customers(n, 20).unwrap();
            v.push(a.elapsed());
            std::hint::black_box(r);
        }
        v.sort();
        println!(
            "{n:20} p50 {:>7.1} ms  max {:>7.1} ms",
            v[10].as_secs_f64() * 1e3,
            v[19].as_secs_f64() * 1e3
        );
    }
}
