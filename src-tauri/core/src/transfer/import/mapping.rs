//! Which column holds which field: detected from header names as KiotViet, Sapo, Loyverse
//! and hand-kept sheets write them, in Vietnamese or English, then changeable by the user.

use crate::error::{CoreError, Result};
use crate::text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Customers,
    Purchases,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "customers" => Some(Kind::Customers),
            "purchases" => Some(Kind::Purchases),
            _ => None,
        }
    }

    /// The fields a file of this kind may fill, in the order the window lists them.
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Kind::Customers => &[
                Code, Name, Phone, Birthday, Gender, Email, Address, Note, Tags,
            ],
            Kind::Purchases => &[
                Invoice, Code, Name, Phone, Date, Amount, Payment, Note, Staff,
            ],
        }
    }

    /// Fields without which no row can be imported.
    pub fn required(self) -> &'static [Field] {
        match self {
            Kind::Customers => &[Field::Name, Field::Phone],
            Kind::Purchases => &[Field::Date, Field::Amount],
        }
    }
}

/// A field of a customer or purchase row. In a purchases file, code, name and phone are
/// the customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Name,
    Phone,
    Birthday,
    Gender,
    Email,
    Address,
    Note,
    Tags,
    Invoice,
    Date,
    Amount,
    Payment,
    Staff,
}

impl Field {
    pub fn key(self) -> &'static str {
        use Field::*;
        match self {
            Code => "code",
            Name => "name",
            Phone => "phone",
            Birthday => "birthday",
            Gender => "gender",
            Email => "email",
            Address => "address",
            Note => "note",
            Tags => "tags",
            Invoice => "invoice",
            Date => "date",
            Amount => "amount",
            Payment => "payment",
            Staff => "staff",
        }
    }

    /// Header names, folded (no case, no diacritics, punctuation as spaces), best first.
    fn aliases(self, kind: Kind) -> &'static [&'static str] {
        use Field::*;
        match (self, kind) {
            (Code, _) => &[
                "ma khach hang",
                "ma kh",
                "ma khach",
                "customer code",
                "client code",
                "code",
                "ma",
            ],
            (Name, Kind::Customers) => &[
                "ten khach hang",
                "ho va ten",
                "ho ten",
                "ten kh",
                "ten khach",
                "ten",
                "khach hang",
                "customer name",
                "full name",
                "name",
                "customer",
            ],
            (Name, Kind::Purchases) => &[
                "ten khach hang",
                "khach hang",
                "ho va ten",
                "ho ten",
                "ten kh",
                "ten khach",
                "customer name",
                "customer",
                "name",
                "ten",
            ],
            (Phone, _) => &[
                "dien thoai",
                "so dien thoai",
                "sdt",
                "so dt",
                "dt",
                "di dong",
                "dien thoai khach hang",
                "sdt khach hang",
                "phone",
                "phone number",
                "mobile",
                "tel",
                "telephone",
                "customer phone",
            ],
            (Birthday, _) => &[
                "ngay sinh",
                "sinh nhat",
                "ngay sinh nhat",
                "birthday",
                "date of birth",
                "birth date",
                "dob",
            ],
            (Gender, _) => &["gioi tinh", "gender", "sex"],
            (Email, _) => &["email", "e mail", "thu dien tu", "dia chi email"],
            (Address, _) => &["dia chi", "address", "dia chi khach hang", "street address"],
            (Note, _) => &["ghi chu", "note", "notes", "comment", "comments"],
            (Tags, _) => &[
                "nhom khach hang",
                "nhom kh",
                "nhom",
                "nhan",
                "customer group",
                "group",
                "tags",
                "tag",
            ],
            (Invoice, _) => &[
                "ma hoa don",
                "so hoa don",
                "ma don hang",
                "ma don",
                "so don",
                "hoa don",
                "invoice",
                "invoice number",
                "invoice no",
                "receipt number",
                "receipt no",
                "order id",
                "order number",
                "order code",
                "receipt",
            ],
            (Date, _) => &[
                "ngay mua",
                "ngay",
                "thoi gian",
                "ngay ban",
                "ngay tao",
                "ngay giao dich",
                "ngay mua hang",
                "date",
                "purchase date",
                "order date",
                "created at",
                "time",
                "at",
            ],
            (Amount, _) => &[
                "tong tien",
                "thanh tien",
                "tong cong",
                "so tien",
                "tong tien hang",
                "khach can tra",
                "gia tri",
                "tong thanh toan",
                "amount",
                "total",
                "total amount",
                "gross sales",
                "net sales",
                "total money",
            ],
            (Payment, _) => &[
                "phuong thuc thanh toan",
                "hinh thuc thanh toan",
                "thanh toan",
                "payment",
                "payment method",
                "payment type",
            ],
            (Staff, _) => &[
                "nhan vien",
                "nhan vien ban",
                "nguoi ban",
                "thu ngan",
                "nguoi tao",
                "staff",
                "employee",
                "cashier",
                "seller",
            ],
        }
    }
}

/// Field to column (0-based index into the headers).
pub type Mapping = BTreeMap<Field, usize>;

/// A header folded for matching: "Điện thoại (*)" -> "dien thoai".
pub fn fold_header(h: &str) -> String {
    text::tokens(&text::fold(h)).join(" ")
}

/// Guess the mapping from header names: exact alias matches first (best alias wins),
/// then headers that start with a multi-word alias ("Tổng tiền hàng (VND)").
pub fn detect(kind: Kind, headers: &[String]) -> Mapping {
    let folded: Vec<String> = headers.iter().map(|h| fold_header(h)).collect();
    // (pass, alias rank, column, field): lower sorts first.
    let mut candidates: Vec<(u8, usize, usize, Field)> = Vec::new();
    for &field in kind.fields() {
        for (rank, alias) in field.aliases(kind).iter().enumerate() {
            for (col, h) in folded.iter().enumerate() {
                if h == alias {
                    candidates.push((0, rank, col, field));
                } else if alias.contains(' ')
                    && h.starts_with(alias)
                    && h.as_bytes().get(alias.len()) == Some(&b' ')
                {
                    candidates.push((1, rank, col, field));
                }
            }
        }
    }
    candidates.sort();
    let mut mapping = Mapping::new();
    let mut used = vec![false; headers.len()];
    for (_, _, col, field) in candidates {
        if used[col] || mapping.contains_key(&field) {
            continue;
        }
        used[col] = true;
        mapping.insert(field, col);
    }
    mapping
}

/// Check a mapping chosen by the user against the headers it refers to.
pub fn validate(kind: Kind, headers: &[String], mapping: &Mapping) -> Result<()> {
    let mut seen: BTreeMap<usize, Field> = BTreeMap::new();
    for (&field, &col) in mapping {
        if !kind.fields().contains(&field) {
            return Err(CoreError::ImportMappingInvalid(format!(
                "{} is not a field of {kind:?}",
                field.key()
            )));
        }
        if col >= headers.len() {
            return Err(CoreError::ImportMappingInvalid(format!(
                "{}: column {} does not exist",
                field.key(),
                col + 1
            )));
        }
        if let Some(other) = seen.insert(col, field) {
            return Err(CoreError::ImportMappingInvalid(format!(
                "{} and {} both read column {}",
                other.key(),
                field.key(),
                col + 1
            )));
        }
    }
    for &field in kind.required() {
        if !mapping.contains_key(&field) {
            return Err(CoreError::ImportMappingMissing {
                field: field.key().to_owned(),
            });
        }
    }
    if kind == Kind::Purchases
        && !mapping.contains_key(&Field::Code)
        && !mapping.contains_key(&Field::Phone)
    {
        return Err(CoreError::ImportMappingMissing {
            field: "code / phone".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn kiotviet_customer_headers() {
        let headers = h(&[
            "Loại khách",
            "Mã khách hàng",
            "Tên khách hàng",
            "Điện thoại",
            "Địa chỉ",
            "Ngày sinh",
            "Giới tính",
            "Email",
            "Nhóm khách hàng",
            "Ghi chú",
            "Tổng bán",
        ]);
        let m = detect(Kind::Customers, &headers);
        assert_eq!(m[&Field::Code], 1);
        assert_eq!(m[&Field::Name], 2);
        assert_eq!(m[&Field::Phone], 3);
        assert_eq!(m[&Field::Address], 4);
        assert_eq!(m[&Field::Birthday], 5);
        assert_eq!(m[&Field::Gender], 6);
        assert_eq!(m[&Field::Email], 7);
        assert_eq!(m[&Field::Tags], 8);
        assert_eq!(m[&Field::Note], 9);
        assert_eq!(m.len(), 9);
        validate(Kind::Customers, &headers, &m).unwrap();
    }

    #[test]
    fn english_and_case_and_marks_do_not_matter() {
        let headers = h(&["customer_code", "NAME", "Phone Number", "birthday"]);
        let m = detect(Kind::Customers, &headers);
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            vec![
                (Field::Code, 0),
                (Field::Name, 1),
                (Field::Phone, 2),
                (Field::Birthday, 3)
            ]
        );
        let headers = h(&[
            "SĐT",
            "ten khach hang",
            "NGÀY MUA",
            "Tổng tiền hàng (VNĐ)",
            "Mã KH",
        ]);
        let m = detect(Kind::Purchases, &headers);
        assert_eq!(m[&Field::Phone], 0);
        assert_eq!(m[&Field::Name], 1);
        assert_eq!(m[&Field::Date], 2);
        assert_eq!(m[&Field::Amount], 3);
        assert_eq!(m[&Field::Code], 4);
    }

    #[test]
    fn bad_mappings_are_refused() {
        let headers = h(&["a", "b"]);
        let mut m = Mapping::new();
        m.insert(Field::Name, 0);
        assert!(matches!(
            validate(Kind::Customers, &headers, &m),
            Err(CoreError::ImportMappingMissing { .. })
        ));
        m.insert(Field::Phone, 0);
        assert!(matches!(
            validate(Kind::Customers, &headers, &m),
            Err(CoreError::ImportMappingInvalid(_))
        ));
        m.insert(Field::Phone, 5);
        assert!(validate(Kind::Customers, &headers, &m).is_err());
        m.insert(Field::Phone, 1);
        m.insert(Field::Amount, 1);
        assert!(validate(Kind::Customers, &headers, &m).is_err());
    }

    #[test]
    fn mapping_serialises_as_an_object() {
        let mut m = Mapping::new();
        m.insert(Field::Phone, 2);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v, serde_json::json!({"phone": 2}));
        let back: Mapping = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
    }
}
