//! Typed errors with stable codes. The codes are keys of the `errors` object in
//! ui/i18n/{vi,en}.json, where each message is translated once for the UI and the CLI.
//!
//! Each error is declared once, in the `core_errors!` table below: its message (thiserror),
//! its stable code and its params. The enum, `code()`, `params()` and `CODES` are all made
//! from that table, so an error without a code does not compile and `CODES` cannot miss one.
//! The catalogs and docs/IPC.md are checked against `CODE_PARAMS` (tests/i18n.rs): a new
//! error needs its message in both catalogs, and `KQ_BLESS=1 cargo test --test tests i18n::`
//! writes it into docs/IPC.md's list.

use serde_json::{Map, Value};

/// A PostgreSQL error, shown as what the server said: its message and SQLSTATE. Never its
/// DETAIL, which quotes the row's values (a phone number in a duplicate key).
#[derive(Debug)]
pub struct ServerError(pub postgres::Error);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(d) => write!(f, "{} ({})", d.message(), d.code().code()),
            None => write!(f, "{}", self.0),
        }
    }
}

impl From<postgres::Error> for CoreError {
    fn from(e: postgres::Error) -> Self {
        CoreError::Postgres(ServerError(e))
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// One entry per error: `#[error(..)] Variant[(Type) | {fields}] => "code" [|binding|] {params}`.
/// Struct fields are in scope in the params by name; a tuple variant names its value in `|..|`.
macro_rules! core_errors {
    ($(
        $(#[$meta:meta])*
        $name:ident $(($(#[$from:meta])* $ty:ty))? $({ $($field:ident: $fty:ty),* $(,)? })?
        => $code:literal $(|$bind:ident|)? { $($key:literal: $val:expr),* $(,)? }
    ),* $(,)?) => {
        #[derive(Debug, thiserror::Error)]
        pub enum CoreError {
            $($(#[$meta])* $name $(($(#[$from])* $ty))? $({ $($field: $fty),* })?,)*
        }

        impl CoreError {
            /// Every code, in the table's order.
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// Every code with the names of its params (`field` comes on top, from `field()`).
            pub const CODE_PARAMS: &'static [(&'static str, &'static [&'static str])] =
                &[$(($code, &[$($key),*])),*];

            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$name { .. } => $code,)*
                }
            }

            #[allow(unused_variables)]
            fn table_params(&self) -> Map<String, Value> {
                let mut map = Map::new();
                match self {
                    $(Self::$name { $(0: $bind,)? $($($field,)*)? .. } => {
                        $(map.insert($key.into(), serde_json::json!($val));)*
                    })*
                }
                map
            }
        }
    };
}

core_errors! {
    #[error("database schema {found} is newer than this app supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 }
        => "db.schema_too_new" {"found": found, "supported": supported},
    #[error("cannot open database {path}: {detail}")]
    OpenFailed { path: String, detail: String }
        => "db.open_failed" {"path": path, "detail": detail},
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error) => "db.sqlite" |e| {"detail": e.to_string()},
    #[error("the database server address is not valid")]
    BadDatabaseUrl => "db.bad_url" {},
    #[error("the database server {server} shows a certificate for another name")]
    TlsName { server: String } => "db.tls_name" {"server": server},
    #[error("the database server {server} shows a certificate from no CA this computer trusts")]
    TlsUntrusted { server: String } => "db.tls_untrusted" {"server": server},
    #[error("the database server {server} shows a certificate out of its dates")]
    TlsExpired { server: String } => "db.tls_expired" {"server": server},
    #[error("the database server {server} takes no TLS connection")]
    TlsRefused { server: String } => "db.tls_refused" {"server": server},
    #[error("the CA file {path} (sslrootcert) cannot be read as certificates")]
    TlsRootFile { path: String } => "db.tls_root_file" {"path": path},
    #[error("the certificate {path} or its key (sslcert, sslkey) cannot be read as one")]
    TlsClientFile { path: String } => "db.tls_client_file" {"path": path},
    #[error("the key {path} (sslkey) may be read by other users of this computer")]
    TlsKeyOpen { path: String } => "db.tls_key_open" {"path": path},
    #[error("the database server {server} has no database {database}")]
    ServerNoDatabase { server: String, database: String }
        => "db.server_no_database" {"server": server, "database": database},
    #[error("the database server {server} refused the password of {user}")]
    ServerPassword { server: String, user: String }
        => "db.server_password" {"server": server, "user": user},
    #[error("the database server {server} does not let {user} in: {detail}")]
    ServerNotAllowed { server: String, user: String, detail: String }
        => "db.server_not_allowed" {"server": server, "user": user, "detail": detail},
    #[error("the database server {server} has no connection free")]
    ServerBusy { server: String } => "db.server_busy" {"server": server},
    #[error("no secure connection to the database server {server}: {reason}")]
    ServerTls { server: String, reason: String }
        => "db.tls_failed" {"server": server, "reason": reason},
    #[error("the database server {server} cannot be reached")]
    ServerUnreachable { server: String } => "db.server_unreachable" {"server": server},
    #[error("database server error: {0}")]
    Postgres(ServerError) => "db.postgres" |e| {"detail": e.to_string()},
    #[error("the server's database holds another program's tables")]
    ServerNotOurs => "db.server_not_ours" {},
    #[error("the database {server} already holds a shop; a shop is copied only into an empty database")]
    ServerNotEmpty { server: String } => "db.server_not_empty" {"server": server},
    #[error("the copy does not match the original ({what}); nothing was kept")]
    CopyMismatch { what: String } => "db.copy_mismatch" {"what": what},
    #[error("this is not yet done on a PostgreSQL server; do it on the shop's own file")]
    NotOnServer => "db.not_on_server" {},
    #[error("migration failed: {0}")]
    Migration(String) => "db.migration" |d| {"detail": d},
    #[error("the data was not upgraded from schema {from} to {to}: it could not be backed up first ({folder})")]
    UpgradeBackupFailed { from: i64, to: i64, folder: String }
        => "upgrade.backup_failed" {"from": from, "to": to, "folder": folder},
    #[error("the upgrade from schema {from} to {to} failed; the data file is unchanged, backed up as {backup}")]
    UpgradeFailed { from: i64, to: i64, backup: String }
        => "upgrade.failed" {"from": from, "to": to, "backup": backup},
    #[error("an unexpected error stopped this action; nothing of it was saved")]
    Panicked => "app.panic" {},
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error) => "db.io" |e| {"detail": e.to_string()},
    #[error("{0} is not a regular file")]
    FileNotRegular(String) => "file.not_regular" |f| {"file": f},
    #[error("{0} is the shop's own database; choose another file")]
    FileProtected(String) => "file.protected" |f| {"file": f},
    #[error("the folder {path} could not be shown: {detail}")]
    FolderOpenFailed { path: String, detail: String }
        => "file.folder_open_failed" {"path": path, "detail": detail},

    #[error("customer not found: {0}")]
    CustomerNotFound(String) => "customer.not_found" |r| {"ref": r},
    #[error("name is required")]
    NameRequired => "customer.name_required" {},
    #[error("name is longer than {max} characters")]
    NameTooLong { max: usize } => "customer.name_too_long" {"max": max},
    #[error("phone is required")]
    PhoneRequired => "customer.phone_required" {},
    #[error("invalid phone number: {0}")]
    PhoneInvalid(String) => "customer.phone_invalid" |p| {"phone": p},
    #[error("phone {phone} already belongs to {name} (#{id})")]
    PhoneTaken { phone: String, name: String, id: i64 }
        => "customer.phone_taken" {"phone": phone, "name": name, "id": id},
    #[error("code {code} already belongs to {name} (#{id})")]
    CodeTaken { code: String, name: String, id: i64 }
        => "customer.code_taken" {"code": code, "name": name, "id": id},
    #[error("invalid customer code: {0}")]
    CodeInvalid(String) => "customer.code_invalid" |c| {"code": c},
    #[error("invalid email: {0}")]
    EmailInvalid(String) => "customer.email_invalid" |e| {"email": e},
    #[error("invalid birthday: {0}")]
    BirthdayInvalid(String) => "customer.birthday_invalid" |v| {"value": v},
    #[error("invalid gender: {0}")]
    GenderInvalid(String) => "customer.gender_invalid" |v| {"value": v},
    #[error("invalid source channel: {0}")]
    SourceInvalid(String) => "customer.source_invalid" |v| {"value": v},
    #[error("a customer cannot refer themselves")]
    ReferredBySelf => "customer.referred_by_self" {},
    #[error("customer {0} is archived")]
    CustomerArchived(String) => "customer.archived" |n| {"name": n},
    #[error("invalid tag: {0}")]
    TagInvalid(String) => "customer.tag_invalid" |t| {"tag": t},

    #[error("invalid amount: {0}")]
    AmountInvalid(String) => "purchase.amount_invalid" |v| {"value": v},
    #[error("amount must not be negative")]
    AmountNegative => "purchase.amount_negative" {},
    #[error("{currency} amounts have at most {decimals} decimals")]
    AmountPrecision { currency: String, decimals: u32 }
        => "purchase.amount_precision" {"currency": currency, "decimals": decimals},
    #[error("amount is too large")]
    AmountTooLarge => "purchase.amount_too_large" {},
    #[error("line items add up to {items_total}, not {total}")]
    ItemsMismatch { items_total: String, total: String }
        => "purchase.items_mismatch" {"items_total": items_total, "total": total},
    #[error("line item {index}: {detail}")]
    ItemInvalid { index: usize, detail: String }
        => "purchase.item_invalid" {"index": index, "detail": detail},
    #[error("invalid payment method: {0}")]
    PaymentInvalid(String) => "purchase.payment_invalid" |v| {"value": v},
    #[error("invalid time: {0}")]
    TimeInvalid(String) => "purchase.time_invalid" |v| {"value": v},
    #[error("purchase not found: {0}")]
    PurchaseNotFound(i64) => "purchase.not_found" |id| {"id": id},

    #[error("unknown setting: {0}")]
    UnknownSetting(String) => "settings.unknown_key" |k| {"key": k},
    #[error("unknown currency: {0}")]
    CurrencyInvalid(String) => "settings.currency_invalid" |v| {"value": v},
    #[error("the currency cannot change once the shop has purchases")]
    CurrencyLocked => "settings.currency_locked" {},
    #[error("unknown time zone: {0}")]
    TimezoneInvalid(String) => "settings.timezone_invalid" |v| {"value": v},
    #[error("unknown language: {0}")]
    LanguageInvalid(String) => "settings.language_invalid" |v| {"value": v},
    #[error("shop name must be 1-100 characters")]
    ShopNameInvalid => "settings.shop_name_invalid" {},

    #[error("invalid loyalty rule {key}: {value}")]
    RuleInvalid { key: String, value: String }
        => "loyalty.invalid_rule" {"key": key, "value": value, "field": key},
    #[error("at least one tier is needed")]
    TiersEmpty => "loyalty.tiers_empty" {},
    #[error("every tier needs a name")]
    TierNameRequired => "loyalty.tier_name_required" {},
    #[error("two tiers are named {0}")]
    TierDuplicate(String) => "loyalty.tier_duplicate" |n| {"name": n},
    #[error("tier {name}: invalid threshold {value}")]
    TierThresholdInvalid { name: String, value: String }
        => "loyalty.tier_threshold_invalid" {"name": name, "value": value},
    #[error("the lowest tier must start at 0")]
    TierFirstNotZero => "loyalty.tier_first_not_zero" {},
    #[error("tier {name}: invalid multiplier {value}")]
    TierMultiplierInvalid { name: String, value: String }
        => "loyalty.tier_multiplier_invalid" {"name": name, "value": value},
    #[error("invalid number of points: {0}")]
    RedeemInvalid(String) => "loyalty.redeem_invalid" |v| {"value": v},
    #[error("at least {min} points per redemption")]
    RedeemBelowMinimum { min: i64 } => "loyalty.redeem_below_minimum" {"min": min},
    #[error("only {balance} points available")]
    RedeemOverBalance { balance: i64 } => "loyalty.redeem_over_balance" {"balance": balance},
    #[error("points may pay at most {percent}% of this bill: {max} points")]
    RedeemOverCap { max: i64, percent: i64 }
        => "loyalty.redeem_over_cap" {"max": max, "percent": percent},
    #[error("an adjustment needs a reason")]
    AdjustReasonRequired => "loyalty.adjust_reason_required" {},
    #[error("an adjustment cannot be zero")]
    AdjustZero => "loyalty.adjust_zero" {},
    #[error("the balance is only {balance} points")]
    AdjustBelowZero { balance: i64 } => "loyalty.adjust_below_zero" {"balance": balance},
    #[error("at most {max} can still be refunded")]
    RefundTooLarge { max: String } => "purchase.refund_too_large" {"max": max},
    #[error("this purchase is already fully refunded")]
    FullyRefunded => "purchase.fully_refunded" {},
    #[error("this bill id was already used for a different purchase")]
    ClientIdConflict => "purchase.client_id_conflict" {},
    #[error("{0} is not a saved server connection; it was left untouched")]
    ConnectionInvalid(String) => "connection.invalid" |f| {"file": f},
    #[error("this computer is not connected to a server")]
    NotConnected => "connection.not_connected" {},
    #[error("the database {server} holds no shop yet; move a shop there first (khachquen db migrate-to)")]
    ServerNoShop { server: String } => "connection.no_shop" {"server": server},
    #[error("a counter's name is 1 to {max} characters, none of them a control")]
    CounterNameInvalid { max: usize } => "counter.name_invalid" {"max": max},
    #[error("a bill id is 1 to {max} letters, digits, dashes or underscores")]
    ClientIdInvalid { max: usize } => "purchase.client_id_invalid" {"max": max},

    #[error("the server {server} cannot be reached, and points or a voucher cannot be used offline; nothing was recorded")]
    OfflineRedeem { server: String } => "outbox.offline_redeem" {"server": server},
    #[error("the server {server} cannot be reached; offline, a bill is kept only for a customer typed by phone or card number")]
    OfflineReference { server: String } => "outbox.offline_reference" {"server": server},
    #[error("{0} is not this app's outbox; it was left untouched")]
    OutboxInvalid(String) => "outbox.invalid" |f| {"file": f},
    #[error("{max} bills already wait for the server; no more are kept until it answers")]
    OutboxFull { max: i64 } => "outbox.full" {"max": max},
    #[error("a bill kept offline is at most {max_kib} KiB")]
    OutboxBillTooLarge { max_kib: i64 } => "outbox.bill_too_large" {"max_kib": max_kib},
    #[error("queued bill {0} cannot be read")]
    OutboxBillInvalid(i64) => "outbox.bill_invalid" |s| {"seq": s},
    #[error("no bill {0} waits in the outbox")]
    OutboxBillNotFound(i64) => "outbox.not_found" |s| {"seq": s},

    #[error("there is no voucher {0}")]
    VoucherNotFound(String) => "voucher.not_found" |c| {"code": c},
    #[error("voucher {0} is mistyped: one of its characters is wrong")]
    VoucherMistyped(String) => "voucher.mistyped" |c| {"code": c},
    #[error("voucher {0} belongs to another customer")]
    VoucherNotYours(String) => "voucher.not_yours" |c| {"code": c},
    #[error("voucher {0} was already used")]
    VoucherUsed(String) => "voucher.used" |c| {"code": c},
    #[error("voucher {code} is valid from {from}")]
    VoucherNotYet { code: String, from: String }
        => "voucher.not_yet" {"code": code, "from": from},
    #[error("voucher {code} expired after {until}")]
    VoucherExpired { code: String, until: String }
        => "voucher.expired" {"code": code, "until": until},
    #[error("the programme of voucher {0} has ended")]
    VoucherEnded(String) => "voucher.ended" |c| {"code": c},
    #[error("voucher {code} needs a bill of at least {min}")]
    VoucherBelowMinimum { code: String, min: String }
        => "voucher.below_minimum" {"code": code, "min": min},
    #[error("voucher {code} may be used {limit} times per customer")]
    VoucherCustomerLimit { code: String, limit: i64 }
        => "voucher.customer_limit" {"code": code, "limit": limit},
    #[error("voucher {0} has been used as many times as its programme allows")]
    VoucherSoldOut(String) => "voucher.sold_out" |c| {"code": c},
    #[error("the programme of voucher {0} has spent its budget")]
    VoucherBudgetSpent(String) => "voucher.budget_spent" |c| {"code": c},
    #[error("voucher programme not found: {0}")]
    ProgramNotFound(String) => "voucher.program_not_found" |r| {"ref": r},
    #[error("invalid voucher programme {key}: {value}")]
    ProgramInvalid { key: String, value: String }
        => "voucher.program_invalid" {"key": key, "value": value, "field": key},
    #[error("the programme {0} has ended or expired: no vouchers can be issued")]
    ProgramClosed(String) => "voucher.program_closed" |n| {"name": n},
    #[error("the programme {0} has one shared code: it issues no personal vouchers")]
    ProgramShared(String) => "voucher.program_shared" |n| {"name": n},
    #[error("the code {0} is already taken by another voucher")]
    VoucherCodeTaken(String) => "voucher.code_taken" |c| {"code": c},
    #[error("campaign not found: {0}")]
    CampaignNotFound(String) => "campaign.not_found" |r| {"ref": r},
    #[error("invalid card number: {0}")]
    CardInvalid(String) => "card.invalid" |v| {"value": v},
    #[error("card {number} already belongs to {name}")]
    CardTaken { number: String, name: String } => "card.taken" {"number": number, "name": name},
    #[error("cannot print cards to {0}: use a .pdf file")]
    CardFormat(String) => "card.format" |ext| {"ext": ext},
    #[error("no customer to print a card for")]
    CardNone => "card.none" {},
    #[error("at most {max} cards per file")]
    CardTooMany { max: usize } => "card.too_many" {"max": max},
    #[error("invalid campaign {key}: {value}")]
    CampaignInvalid { key: String, value: String }
        => "campaign.invalid" {"key": key, "value": value, "field": key},

    #[error("cannot merge a customer into themselves")]
    MergeSame => "customer.merge_same" {},
    #[error("{name} was already merged into customer #{into}")]
    AlreadyMerged { name: String, into: i64 }
        => "customer.already_merged" {"name": name, "into": into},

    #[error("backup file not found: {0}")]
    BackupNotFound(String) => "backup.not_found" |f| {"file": f},
    #[error("the backup file {0} is empty")]
    BackupEmpty(String) => "backup.empty" |f| {"file": f},
    #[error("{0} is not a database file")]
    BackupNotDatabase(String) => "backup.not_database" |f| {"file": f},
    #[error("the backup file {file} is truncated ({size} of {expected} bytes)")]
    BackupTruncated { file: String, size: u64, expected: u64 }
        => "backup.truncated" {"file": file, "size": size, "expected": expected},
    #[error("the backup file {file} is damaged: {detail}")]
    BackupCorrupt { file: String, detail: String }
        => "backup.corrupt" {"file": file, "detail": detail},
    #[error("{0} is not a Khách Quen database")]
    BackupForeign(String) => "backup.foreign" |f| {"file": f},
    #[error("{0} is a backup of a shop on a server, not of a shop file")]
    BackupServerArchive(String) => "backup.server_archive" |f| {"file": f},
    #[error("{0} is a shop file, not a backup of a shop on a server")]
    BackupShopFile(String) => "backup.shop_file" |f| {"file": f},
    #[error("the backup {file} comes from a newer app (schema {found}, this app reads up to {supported})")]
    BackupTooNew { file: String, found: i64, supported: i64 }
        => "backup.too_new" {"file": file, "found": found, "supported": supported},
    #[error("the backup {file} is incomplete: {table} has {found} rows, {expected} expected")]
    BackupCountsMismatch { file: String, table: String, expected: i64, found: i64 }
        => "backup.counts_mismatch"
        {"file": file, "table": table, "expected": expected, "found": found},
    #[error("backup folder not found: {0}")]
    BackupFolderMissing(String) => "backup.folder_missing" |p| {"path": p},
    #[error("cannot write the backup to {path}: {detail}")]
    BackupWriteFailed { path: String, detail: String }
        => "backup.write_failed" {"path": path, "detail": detail},
    #[error("{0} already exists")]
    BackupFileExists(String) => "backup.file_exists" |f| {"file": f},
    #[error("{0} is the live database, not a backup")]
    BackupIsLive(String) => "backup.is_live" |f| {"file": f},
    #[error("invalid number of backups to keep: {0}")]
    BackupKeepInvalid(String) => "backup.keep_invalid" |v| {"value": v},
    #[error("the restore failed and the previous data was put back: {0}")]
    RestoreRolledBack(String) => "backup.restore_rolled_back" |d| {"detail": d},
    #[error("{0} is encrypted: the backup passphrase is needed")]
    BackupPassphraseNeeded(String) => "backup.passphrase_needed" |f| {"file": f},
    #[error("the passphrase does not open {0}")]
    BackupPassphraseWrong(String) => "backup.passphrase_wrong" |f| {"file": f},
    #[error("that is not the backup passphrase set on this computer")]
    BackupPassphraseMismatch => "backup.passphrase_mismatch" {},
    #[error("a backup passphrase needs at least {min} characters")]
    BackupPassphraseTooShort { min: usize } => "backup.passphrase_too_short" {"min": min},
    #[error("no backup passphrase was given")]
    BackupPassphraseMissing => "backup.passphrase_missing" {},
    #[error("encrypted backups are paused until the backup passphrase is entered again")]
    BackupPassphrasePaused => "backup.passphrase_paused" {},
    #[error("the encrypted backup {file} is incomplete or damaged: {detail}")]
    BackupEncryptedDamaged { file: String, detail: String }
        => "backup.encrypted_damaged" {"file": file, "detail": detail},

    #[error("cannot read {path}: {detail}")]
    ImportUnreadable { path: String, detail: String }
        => "import.unreadable" {"path": path, "detail": detail},
    #[error("the file is neither UTF-8 nor UTF-16 text")]
    ImportEncoding => "import.encoding" {},
    #[error("the file has no header row or no data")]
    ImportEmpty => "import.empty" {},
    #[error("no sheet named {sheet} (sheets: {sheets})")]
    ImportSheetNotFound { sheet: String, sheets: String }
        => "import.sheet_not_found" {"sheet": sheet, "sheets": sheets},
    #[error("no column is mapped to {field}")]
    ImportMappingMissing { field: String } => "import.mapping_missing" {"target": field},
    #[error("invalid column mapping: {0}")]
    ImportMappingInvalid(String) => "import.mapping_invalid" |d| {"detail": d},
    #[error("ambiguous amount: {0}")]
    AmountAmbiguous(String) => "import.amount_ambiguous" |v| {"value": v},
    #[error("invalid date: {0}")]
    DateInvalid(String) => "import.date_invalid" |v| {"value": v},
    #[error("{found} fields where the header has {expected}")]
    ImportFieldCount { found: usize, expected: usize }
        => "import.field_count" {"found": found, "expected": expected},
    #[error("{value} already appears on line {line}")]
    ImportDuplicate { value: String, line: u64 }
        => "import.duplicate_row" {"value": value, "line": line},
    #[error("{column} is empty")]
    ImportValueRequired { column: String } => "import.value_required" {"column": column},
    #[error("cannot export to {0}: use .csv or .xlsx")]
    ExportFormat(String) => "export.format" |ext| {"ext": ext},
    #[error("more than {max} rows for one sheet")]
    ExportTooManyRows { max: u64 } => "export.too_many_rows" {"max": max},

    #[error("reminder not found: {0}")]
    ReminderNotFound(i64) => "reminder.not_found" |id| {"id": id},
    #[error("reminder {id} is already {status}")]
    ReminderClosed { id: i64, status: String } => "reminder.closed" {"id": id, "status": status},
    #[error("invalid date: {value}")]
    ReminderDateInvalid { value: String, field: &'static str }
        => "reminder.date_invalid" {"value": value},
    #[error("invalid time of day: {0}")]
    ReminderTimeInvalid(String) => "reminder.time_invalid" |v| {"value": v},
    #[error("cannot snooze to a past date: {0}")]
    SnoozePast(String) => "reminder.snooze_past" |to| {"to": to},
    #[error("unknown channel: {0}")]
    ChannelInvalid(String) => "care.channel_invalid" |v| {"value": v},
    #[error("unknown direction: {0}")]
    DirectionInvalid(String) => "care.direction_invalid" |v| {"value": v},
    #[error("a summary is required")]
    SummaryRequired => "care.summary_required" {},
    #[error("invalid reminder rule {key}: {value}")]
    CareRuleInvalid { key: String, value: String }
        => "care.rule_invalid" {"key": key, "value": value, "field": key},
    #[error("a {kind} score must be {min}-{max}, not {score}")]
    SurveyScoreInvalid { kind: String, score: i64, min: i64, max: i64 }
        => "survey.score_invalid" {"kind": kind, "score": score, "min": min, "max": max},
    #[error("unknown survey kind: {0}")]
    SurveyKindInvalid(String) => "survey.kind_invalid" |v| {"value": v},
    #[error("ticket not found: {0}")]
    TicketNotFound(i64) => "ticket.not_found" |id| {"id": id},
    #[error("unknown ticket status: {0}")]
    TicketStatusInvalid(String) => "ticket.status_invalid" |v| {"value": v},
    #[error("a ticket needs a description")]
    TicketTitleRequired => "ticket.title_required" {},
    #[error("item {0} not found for this customer")]
    WarrantyItemNotFound(i64) => "warranty.item_not_found" |id| {"id": id},
    #[error("template not found: {0}")]
    TemplateNotFound(String) => "template.not_found" |n| {"name": n},
    #[error("a template name needs 1-60 characters")]
    TemplateNameInvalid => "template.name_invalid" {},
    #[error("a template named {0} already exists")]
    TemplateNameTaken(String) => "template.name_taken" |n| {"name": n},
    #[error("a template needs a text")]
    TemplateBodyRequired => "template.body_required" {},
    #[error("unknown merge field {{{0}}}")]
    TemplateUnknownField(String) => "template.unknown_field" |f| {"field_name": f},
    #[error("invalid filter {key}={value}")]
    FilterInvalid { key: String, value: String } => "filter.invalid" {"key": key, "value": value},

    #[error("too little history to fit: {customers} customers, {repeaters} repeat buyers (need {min_customers} and {min_repeaters})")]
    AnalyticsTooThin {
        customers: usize,
        repeaters: usize,
        min_customers: usize,
        min_repeaters: usize,
    } => "analytics.too_thin" {
        "customers": customers,
        "repeaters": repeaters,
        "min_customers": min_customers,
        "min_repeaters": min_repeaters,
    },
    #[error("the model did not converge")]
    AnalyticsNoConvergence => "analytics.no_convergence" {},
    #[error("the model fit ended on the bound of {param} ({value}): the data do not identify it")]
    AnalyticsFitAtBound { param: String, value: String }
        => "analytics.fit_at_bound" {"param": param, "value": value},
    #[error("invalid report argument {key}: {value}")]
    ReportInvalid { key: String, value: String } => "report.invalid" {"key": key, "value": value},
    #[error("invalid analytics rule {key}: {value}")]
    AnalyticsRuleInvalid { key: String, value: String }
        => "analytics.rule_invalid" {"key": key, "value": value, "field": key},

    #[error("audit entry #{0} was changed after it was written")]
    AuditEntryAltered(i64) => "audit.entry_altered" |id| {"id": id},
    #[error("audit entry #{0} does not follow on from the entry before it")]
    AuditChainBroken(i64) => "audit.chain_broken" |id| {"id": id},
    #[error("audit entry #{0} is missing")]
    AuditEntryMissing(i64) => "audit.entry_missing" |id| {"id": id},
    #[error("invalid audit entry {key}: {value}")]
    AuditEntryInvalid { key: &'static str, value: String }
        => "audit.entry_invalid" {"key": key, "value": value},

    #[error("the app is locked: sign in with your PIN")]
    NotSignedIn => "auth.locked" {},
    #[error("this command needs the owner's PIN in KHACHQUEN_PIN")]
    PinRequired => "auth.pin_required" {},
    #[error("a {role} may not do this ({permission})")]
    Forbidden { permission: &'static str, role: &'static str }
        => "auth.forbidden" {"permission": permission, "role": role},
    #[error("wrong PIN, {left} tries left")]
    PinWrong { left: i64 } => "auth.wrong_pin" {"left": left},
    #[error("too many wrong PINs: locked for {minutes} more minutes")]
    AccountLocked { minutes: i64 } => "auth.account_locked" {"minutes": minutes},
    #[error("staff member not found: {0}")]
    StaffNotFound(String) => "staff.not_found" |s| {"name": s},
    #[error("{0} is deactivated")]
    StaffInactive(String) => "staff.inactive" |s| {"name": s},
    #[error("a staff name is 1 to 60 characters")]
    StaffNameInvalid => "staff.name_invalid" {},
    #[error("{0} is already a staff member")]
    StaffNameTaken(String) => "staff.name_taken" |s| {"name": s},
    #[error("a PIN is 4 to 8 digits")]
    PinInvalid => "staff.pin_invalid" {},
    #[error("invalid role: {0}")]
    RoleInvalid(String) => "staff.role_invalid" |v| {"value": v},
    #[error("the shop needs at least one active owner")]
    StaffLastOwner => "staff.last_owner" {},
    #[error("the first staff account must be an owner")]
    StaffFirstOwner => "staff.first_owner" {},
    #[error("the owner account already exists")]
    StaffSetupDone => "staff.setup_done" {},
    #[error("invalid idle lock time: {0}")]
    IdleLockInvalid(String) => "settings.idle_invalid" |v| {"value": v},

    #[error("the demo shop needs an empty database")]
    DemoNotEmpty => "demo.not_empty" {},
    #[error("invalid demo size: {0}")]
    DemoInvalid(String) => "demo.invalid" |d| {"detail": d},
    #[error("the demo shop's folder holds something else: {0}")]
    DemoFolderForeign(String) => "demo.folder_foreign" |p| {"path": p},
    #[error("invalid input: {0}")]
    InvalidInput(String) => "input.invalid" |d| {"detail": d},
    #[error("internal error: {0}")]
    Internal(String) => "internal" |d| {"detail": d},

    #[error("an amount is at most {max} per bill")]
    AmountOverLimit { max: String } => "limits.amount_over" {"max": max},
    #[error("a customer's bills add up to at most {max}")]
    CustomerTotalOverLimit { max: String } => "limits.customer_total_over" {"max": max},
    #[error("a points change is at most {max} points")]
    PointsOverLimit { max: i64 } => "limits.points_over" {"max": max},
    #[error("a points balance is at most {max} points")]
    PointsBalanceOverLimit { max: i64 } => "limits.balance_over" {"max": max},
    #[error("date {value} is outside {from} to {to}")]
    DateOutOfRange { value: String, from: String, to: String }
        => "limits.date_out_of_range" {"value": value, "from": from, "to": to},
    #[error("a name needs visible letters")]
    NameInvisible => "customer.name_invisible" {},
    #[error("a name cannot hold control characters")]
    NameControl => "customer.name_control" {},
    #[error("invalid value for {key}: {value}")]
    SettingInvalid { key: String, value: String }
        => "settings.value_invalid" {"key": key, "value": value},
    #[error("audit entry {0} no longer matches its seal: edited and rehashed")]
    AuditSealBroken(i64) => "audit.seal_broken" |id| {"id": id},
    #[error("audit entry {0} carries no seal although earlier entries do")]
    AuditEntryUnsealed(i64) => "audit.entry_unsealed" |id| {"id": id},
    #[error("audit entries up to {0} are missing (the anchor outside the database names it)")]
    AuditTruncated(i64) => "audit.truncated" |id| {"id": id},
    #[error("audit entry {0} is not the one anchored outside the database")]
    AuditAnchorMismatch(i64) => "audit.anchor_mismatch" |id| {"id": id},
    #[error("the audit anchor file is missing")]
    AuditAnchorMissing => "audit.anchor_missing" {},
    #[error("the audit key file is missing: the log cannot be checked")]
    AuditKeyMissing => "audit.key_missing" {},
    #[error("{table} row {id} was changed outside the app")]
    AuditRowAltered { table: String, id: i64 } => "audit.row_altered" {"table": table, "id": id},
    #[error("rows of {0} were deleted or added outside the app")]
    AuditTotalsAltered(String) => "audit.totals_altered" |table| {"table": table},
    // Import limits (issue 14): each refusal names its limit, and its line where it has one.
    #[error("the file is larger than {max_mb} MB")]
    ImportFileTooLarge { max_mb: u64 } => "import.file_too_large" {"max_mb": max_mb},
    #[error("the workbook unpacks to more than {max_mb} MB")]
    ImportUnpackedTooLarge { max_mb: u64 } => "import.unpacked_too_large" {"max_mb": max_mb},
    #[error("line {line}: more than {max} rows")]
    ImportTooManyRows { line: u64, max: u64 } => "import.too_many_rows" {"line": line, "max": max},
    #[error("line {line}: more than {max} columns")]
    ImportTooManyColumns { line: u64, max: usize }
        => "import.too_many_columns" {"line": line, "max": max},
    #[error("line {line}: more than {max} cells in the file")]
    ImportTooManyCells { line: u64, max: u64 }
        => "import.too_many_cells" {"line": line, "max": max},
    #[error("cell {cell} (row {line}) is beyond the {max_rows} rows and {max_columns} columns an import reads")]
    ImportCellOutOfRange { cell: String, line: u64, max_rows: u64, max_columns: usize }
        => "import.cell_out_of_range"
        {"cell": cell, "line": line, "max_rows": max_rows, "max_columns": max_columns},
    #[error(".{format} files cannot be imported; save it as .xlsx or .csv")]
    ImportFormatUnsupported { format: String } => "import.format_unsupported" {"format": format},
    #[error("{file} has a {kind} {name} this app never makes")]
    BackupSchemaExtra { file: String, kind: String, name: String }
        => "backup.schema_extra" {"file": file, "kind": kind, "name": name},
    #[error("{file} lacks the {kind} {name}")]
    BackupSchemaMissing { file: String, kind: String, name: String }
        => "backup.schema_missing" {"file": file, "kind": kind, "name": name},
    #[error("{file} has the {kind} {name} changed")]
    BackupSchemaAltered { file: String, kind: String, name: String }
        => "backup.schema_altered" {"file": file, "kind": kind, "name": name},
    #[error("{file}: its audit log was altered at entry #{entry}")]
    BackupAuditBroken { file: String, entry: i64 }
        => "backup.audit_broken" {"file": file, "entry": entry},
    #[error("{0} is not encrypted, but this shop's backups are: confirm to restore it")]
    BackupPlainNeedsConfirm(String) => "backup.plain_needs_confirm" |f| {"file": f},
    // File errors in one sentence (issue 15 item 12): the library's text goes to the log.
    #[error("{file} could not be opened or read")]
    ImportFileUnreadable { file: String } => "import.file_unreadable" {"file": file},
    #[error("{file} is not a valid Excel workbook (.xlsx)")]
    ImportNotXlsx { file: String } => "import.not_xlsx" {"file": file},
    #[error("{file} is not a table: neither CSV text nor an Excel workbook")]
    ImportNotTable { file: String } => "import.not_table" {"file": file},
    #[error("{file} could not be written")]
    ExportWriteFailed { file: String } => "export.write_failed" {"file": file},
    #[error("bulk action on too many reminders: at most {max}")]
    ReminderBulkTooMany { max: usize } => "reminder.bulk_too_many" {"max": max},
}

impl CoreError {
    /// The form field this error concerns, so the UI can show it in place.
    pub fn field(&self) -> Option<&'static str> {
        use CoreError::*;
        Some(match self {
            NameRequired | NameTooLong { .. } => "name",
            PhoneRequired | PhoneInvalid(_) | PhoneTaken { .. } => "phone",
            CodeTaken { .. } | CodeInvalid(_) => "code",
            EmailInvalid(_) => "email",
            BirthdayInvalid(_) => "birthday",
            GenderInvalid(_) => "gender",
            SourceInvalid(_) => "source",
            ReferredBySelf => "referred_by",
            TagInvalid(_) => "tags",
            AmountInvalid(_)
            | AmountNegative
            | AmountPrecision { .. }
            | AmountTooLarge
            | AmountAmbiguous(_) => "amount",
            ItemsMismatch { .. } | ItemInvalid { .. } => "items",
            PaymentInvalid(_) => "payment_method",
            TimeInvalid(_) => "at",
            CurrencyInvalid(_) | CurrencyLocked => "currency",
            TimezoneInvalid(_) => "timezone",
            LanguageInvalid(_) => "language",
            ShopNameInvalid => "shop_name",
            TiersEmpty
            | TierNameRequired
            | TierDuplicate(_)
            | TierThresholdInvalid { .. }
            | TierFirstNotZero
            | TierMultiplierInvalid { .. } => "tiers",
            RedeemInvalid(_)
            | RedeemBelowMinimum { .. }
            | RedeemOverBalance { .. }
            | RedeemOverCap { .. } => "redeem",
            AdjustReasonRequired => "reason",
            AdjustZero | AdjustBelowZero { .. } => "delta",
            RefundTooLarge { .. } => "amount",
            BackupFolderMissing(_) => "folder",
            BackupKeepInvalid(_) => "keep",
            BackupPassphraseWrong(_)
            | BackupPassphraseMismatch
            | BackupPassphraseTooShort { .. }
            | BackupPassphraseMissing => "passphrase",
            ReminderDateInvalid { field, .. } => field,
            ReminderTimeInvalid(_) => "due_time",
            SnoozePast(_) => "to",
            ChannelInvalid(_) => "channel",
            DirectionInvalid(_) => "direction",
            SummaryRequired => "summary",
            SurveyScoreInvalid { .. } => "score",
            SurveyKindInvalid(_) => "kind",
            TicketTitleRequired => "title",
            TicketStatusInvalid(_) => "status",
            TemplateNameInvalid | TemplateNameTaken(_) => "name",
            TemplateBodyRequired | TemplateUnknownField(_) => "body",
            StaffNameInvalid | StaffNameTaken(_) => "name",
            PinInvalid | PinWrong { .. } => "pin",
            RoleInvalid(_) | StaffFirstOwner => "role",
            IdleLockInvalid(_) => "idle_lock_minutes",
            AmountOverLimit { .. } | CustomerTotalOverLimit { .. } => "amount",
            PointsOverLimit { .. } | PointsBalanceOverLimit { .. } => "delta",
            DateOutOfRange { .. } => "at",
            NameInvisible | NameControl => "name",
            _ => return None,
        })
    }

    /// Named parameters for the message template; `field` is added when known.
    pub fn params(&self) -> Map<String, Value> {
        let mut map = self.table_params();
        if let Some(f) = self.field() {
            map.insert("field".into(), Value::String(f.into()));
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::CoreError;
    use std::collections::BTreeSet;

    /// Two errors sharing a code would read as one in the catalogs and the logs.
    #[test]
    fn codes_are_unique_and_match_their_params_table() {
        let unique: BTreeSet<&str> = CoreError::CODES.iter().copied().collect();
        assert_eq!(
            unique.len(),
            CoreError::CODES.len(),
            "a code declared twice"
        );
        let with_params: Vec<&str> = CoreError::CODE_PARAMS.iter().map(|(c, _)| *c).collect();
        assert_eq!(with_params, CoreError::CODES);
    }
}
