//! Typed errors with stable codes. The codes are keys of the `errors` object in
//! ui/i18n/{vi,en}.json, where each message is translated once for the UI and the CLI.

use serde_json::{json, Map, Value};

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("database schema {found} is newer than this app supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("cannot open database {path}: {detail}")]
    OpenFailed { path: String, detail: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} is not a regular file")]
    FileNotRegular(String),
    #[error("{0} is the shop's own database; choose another file")]
    FileProtected(String),

    #[error("customer not found: {0}")]
    CustomerNotFound(String),
    #[error("name is required")]
    NameRequired,
    #[error("name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("phone is required")]
    PhoneRequired,
    #[error("invalid phone number: {0}")]
    PhoneInvalid(String),
    #[error("phone {phone} already belongs to {name} (#{id})")]
    PhoneTaken {
        phone: String,
        name: String,
        id: i64,
    },
    #[error("code {code} already belongs to {name} (#{id})")]
    CodeTaken { code: String, name: String, id: i64 },
    #[error("invalid customer code: {0}")]
    CodeInvalid(String),
    #[error("invalid email: {0}")]
    EmailInvalid(String),
    #[error("invalid birthday: {0}")]
    BirthdayInvalid(String),
    #[error("invalid gender: {0}")]
    GenderInvalid(String),
    #[error("invalid source channel: {0}")]
    SourceInvalid(String),
    #[error("a customer cannot refer themselves")]
    ReferredBySelf,
    #[error("customer {0} is archived")]
    CustomerArchived(String),
    #[error("invalid tag: {0}")]
    TagInvalid(String),

    #[error("invalid amount: {0}")]
    AmountInvalid(String),
    #[error("amount must not be negative")]
    AmountNegative,
    #[error("{currency} amounts have at most {decimals} decimals")]
    AmountPrecision { currency: String, decimals: u32 },
    #[error("amount is too large")]
    AmountTooLarge,
    #[error("line items add up to {items_total}, not {total}")]
    ItemsMismatch { items_total: String, total: String },
    #[error("line item {index}: {detail}")]
    ItemInvalid { index: usize, detail: String },
    #[error("invalid payment method: {0}")]
    PaymentInvalid(String),
    #[error("invalid time: {0}")]
    TimeInvalid(String),
    #[error("purchase not found: {0}")]
    PurchaseNotFound(i64),

    #[error("unknown setting: {0}")]
    UnknownSetting(String),
    #[error("unknown currency: {0}")]
    CurrencyInvalid(String),
    #[error("the currency cannot change once the shop has purchases")]
    CurrencyLocked,
    #[error("unknown time zone: {0}")]
    TimezoneInvalid(String),
    #[error("unknown language: {0}")]
    LanguageInvalid(String),
    #[error("shop name must be 1-100 characters")]
    ShopNameInvalid,

    #[error("invalid loyalty rule {key}: {value}")]
    RuleInvalid { key: String, value: String },
    #[error("at least one tier is needed")]
    TiersEmpty,
    #[error("every tier needs a name")]
    TierNameRequired,
    #[error("two tiers are named {0}")]
    TierDuplicate(String),
    #[error("tier {name}: invalid threshold {value}")]
    TierThresholdInvalid { name: String, value: String },
    #[error("the lowest tier must start at 0")]
    TierFirstNotZero,
    #[error("tier {name}: invalid multiplier {value}")]
    TierMultiplierInvalid { name: String, value: String },
    #[error("invalid number of points: {0}")]
    RedeemInvalid(String),
    #[error("at least {min} points per redemption")]
    RedeemBelowMinimum { min: i64 },
    #[error("only {balance} points available")]
    RedeemOverBalance { balance: i64 },
    #[error("points may pay at most {percent}% of this bill: {max} points")]
    RedeemOverCap { max: i64, percent: i64 },
    #[error("an adjustment needs a reason")]
    AdjustReasonRequired,
    #[error("an adjustment cannot be zero")]
    AdjustZero,
    #[error("the balance is only {balance} points")]
    AdjustBelowZero { balance: i64 },
    #[error("at most {max} can still be refunded")]
    RefundTooLarge { max: String },
    #[error("this purchase is already fully refunded")]
    FullyRefunded,
    #[error("this bill id was already used for a different purchase")]
    ClientIdConflict,

    #[error("cannot merge a customer into themselves")]
    MergeSame,
    #[error("{name} was already merged into customer #{into}")]
    AlreadyMerged { name: String, into: i64 },

    #[error("backup file not found: {0}")]
    BackupNotFound(String),
    #[error("the backup file {0} is empty")]
    BackupEmpty(String),
    #[error("{0} is not a database file")]
    BackupNotDatabase(String),
    #[error("the backup file {file} is truncated ({size} of {expected} bytes)")]
    BackupTruncated {
        file: String,
        size: u64,
        expected: u64,
    },
    #[error("the backup file {file} is damaged: {detail}")]
    BackupCorrupt { file: String, detail: String },
    #[error("{0} is not a Khách Quen database")]
    BackupForeign(String),
    #[error("the backup {file} comes from a newer app (schema {found}, this app reads up to {supported})")]
    BackupTooNew {
        file: String,
        found: i64,
        supported: i64,
    },
    #[error("the backup {file} is incomplete: {table} has {found} rows, {expected} expected")]
    BackupCountsMismatch {
        file: String,
        table: String,
        expected: i64,
        found: i64,
    },
    #[error("backup folder not found: {0}")]
    BackupFolderMissing(String),
    #[error("cannot write the backup to {path}: {detail}")]
    BackupWriteFailed { path: String, detail: String },
    #[error("{0} already exists")]
    BackupFileExists(String),
    #[error("{0} is the live database, not a backup")]
    BackupIsLive(String),
    #[error("invalid number of backups to keep: {0}")]
    BackupKeepInvalid(String),
    #[error("the restore failed and the previous data was put back: {0}")]
    RestoreRolledBack(String),
    #[error("{0} is encrypted: the backup passphrase is needed")]
    BackupPassphraseNeeded(String),
    #[error("the passphrase does not open {0}")]
    BackupPassphraseWrong(String),
    #[error("that is not the backup passphrase set on this computer")]
    BackupPassphraseMismatch,
    #[error("a backup passphrase needs at least {min} characters")]
    BackupPassphraseTooShort { min: usize },
    #[error("no backup passphrase was given")]
    BackupPassphraseMissing,
    #[error("encrypted backups are paused until the backup passphrase is entered again")]
    BackupPassphrasePaused,
    #[error("the encrypted backup {file} is incomplete or damaged: {detail}")]
    BackupEncryptedDamaged { file: String, detail: String },

    #[error("cannot read {path}: {detail}")]
    ImportUnreadable { path: String, detail: String },
    #[error("the file is neither UTF-8 nor UTF-16 text")]
    ImportEncoding,
    #[error("the file has no header row or no data")]
    ImportEmpty,
    #[error("no sheet named {sheet} (sheets: {sheets})")]
    ImportSheetNotFound { sheet: String, sheets: String },
    #[error("no column is mapped to {field}")]
    ImportMappingMissing { field: String },
    #[error("invalid column mapping: {0}")]
    ImportMappingInvalid(String),
    #[error("ambiguous amount: {0}")]
    AmountAmbiguous(String),
    #[error("invalid date: {0}")]
    DateInvalid(String),
    #[error("{found} fields where the header has {expected}")]
    ImportFieldCount { found: usize, expected: usize },
    #[error("{value} already appears on line {line}")]
    ImportDuplicate { value: String, line: u64 },
    #[error("{column} is empty")]
    ImportValueRequired { column: String },
    #[error("cannot export to {0}: use .csv or .xlsx")]
    ExportFormat(String),
    #[error("more than {max} rows for one sheet")]
    ExportTooManyRows { max: u64 },

    #[error("reminder not found: {0}")]
    ReminderNotFound(i64),
    #[error("reminder {id} is already {status}")]
    ReminderClosed { id: i64, status: String },
    #[error("invalid date: {value}")]
    ReminderDateInvalid { value: String, field: &'static str },
    #[error("invalid time of day: {0}")]
    ReminderTimeInvalid(String),
    #[error("cannot snooze to a past date: {0}")]
    SnoozePast(String),
    #[error("unknown channel: {0}")]
    ChannelInvalid(String),
    #[error("unknown direction: {0}")]
    DirectionInvalid(String),
    #[error("a summary is required")]
    SummaryRequired,
    #[error("invalid reminder rule {key}: {value}")]
    CareRuleInvalid { key: String, value: String },
    #[error("a {kind} score must be {min}-{max}, not {score}")]
    SurveyScoreInvalid {
        kind: String,
        score: i64,
        min: i64,
        max: i64,
    },
    #[error("unknown survey kind: {0}")]
    SurveyKindInvalid(String),
    #[error("ticket not found: {0}")]
    TicketNotFound(i64),
    #[error("unknown ticket status: {0}")]
    TicketStatusInvalid(String),
    #[error("a ticket needs a description")]
    TicketTitleRequired,
    #[error("item {0} not found for this customer")]
    WarrantyItemNotFound(i64),
    #[error("template not found: {0}")]
    TemplateNotFound(String),
    #[error("a template name needs 1-60 characters")]
    TemplateNameInvalid,
    #[error("a template named {0} already exists")]
    TemplateNameTaken(String),
    #[error("a template needs a text")]
    TemplateBodyRequired,
    #[error("unknown merge field {{{0}}}")]
    TemplateUnknownField(String),
    #[error("invalid filter {key}={value}")]
    FilterInvalid { key: String, value: String },

    #[error("too little history to fit: {customers} customers, {repeaters} repeat buyers (need {min_customers} and {min_repeaters})")]
    AnalyticsTooThin {
        customers: usize,
        repeaters: usize,
        min_customers: usize,
        min_repeaters: usize,
    },
    #[error("the model did not converge")]
    AnalyticsNoConvergence,
    #[error("invalid report argument {key}: {value}")]
    ReportInvalid { key: String, value: String },
    #[error("invalid analytics rule {key}: {value}")]
    AnalyticsRuleInvalid { key: String, value: String },

    #[error("audit entry #{0} was changed after it was written")]
    AuditEntryAltered(i64),
    #[error("audit entry #{0} does not follow on from the entry before it")]
    AuditChainBroken(i64),
    #[error("audit entry #{0} is missing")]
    AuditEntryMissing(i64),
    #[error("invalid audit entry {key}: {value}")]
    AuditEntryInvalid { key: &'static str, value: String },

    #[error("the app is locked: sign in with your PIN")]
    NotSignedIn,
    #[error("this command needs the owner's PIN in KHACHQUEN_PIN")]
    PinRequired,
    #[error("a {role} may not do this ({permission})")]
    Forbidden {
        permission: &'static str,
        role: &'static str,
    },
    #[error("wrong PIN, {left} tries left")]
    PinWrong { left: i64 },
    #[error("too many wrong PINs: locked for {minutes} more minutes")]
    AccountLocked { minutes: i64 },
    #[error("staff member not found: {0}")]
    StaffNotFound(String),
    #[error("{0} is deactivated")]
    StaffInactive(String),
    #[error("a staff name is 1 to 60 characters")]
    StaffNameInvalid,
    #[error("{0} is already a staff member")]
    StaffNameTaken(String),
    #[error("a PIN is 4 to 8 digits")]
    PinInvalid,
    #[error("invalid role: {0}")]
    RoleInvalid(String),
    #[error("the shop needs at least one active owner")]
    StaffLastOwner,
    #[error("the first staff account must be an owner")]
    StaffFirstOwner,
    #[error("the owner account already exists")]
    StaffSetupDone,
    #[error("invalid idle lock time: {0}")]
    IdleLockInvalid(String),

    #[error("the demo shop needs an empty database")]
    DemoNotEmpty,
    #[error("invalid demo size: {0}")]
    DemoInvalid(String),
    #[error("the demo shop's folder holds something else: {0}")]
    DemoFolderForeign(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("internal error: {0}")]
    Internal(String),

    #[error("an amount is at most {max} per bill")]
    AmountOverLimit { max: String },
    #[error("a customer's bills add up to at most {max}")]
    CustomerTotalOverLimit { max: String },
    #[error("a points change is at most {max} points")]
    PointsOverLimit { max: i64 },
    #[error("a points balance is at most {max} points")]
    PointsBalanceOverLimit { max: i64 },
    #[error("date {value} is outside {from} to {to}")]
    DateOutOfRange {
        value: String,
        from: String,
        to: String,
    },
    #[error("a name needs visible letters")]
    NameInvisible,
    #[error("a name cannot hold control characters")]
    NameControl,
    #[error("invalid value for {key}: {value}")]
    SettingInvalid { key: String, value: String },
    #[error("audit entry {0} no longer matches its seal: edited and rehashed")]
    AuditSealBroken(i64),
    #[error("audit entry {0} carries no seal although earlier entries do")]
    AuditEntryUnsealed(i64),
    #[error("audit entries up to {0} are missing (the anchor outside the database names it)")]
    AuditTruncated(i64),
    #[error("audit entry {0} is not the one anchored outside the database")]
    AuditAnchorMismatch(i64),
    #[error("the audit anchor file is missing")]
    AuditAnchorMissing,
    #[error("the audit key file is missing: the log cannot be checked")]
    AuditKeyMissing,
    #[error("{table} row {id} was changed outside the app")]
    AuditRowAltered { table: String, id: i64 },
    #[error("rows of {0} were deleted or added outside the app")]
    AuditTotalsAltered(String),
    // Import limits (issue 14): each refusal names its limit, and its line where it has one.
    #[error("the file is larger than {max_mb} MB")]
    ImportFileTooLarge { max_mb: u64 },
    #[error("the workbook unpacks to more than {max_mb} MB")]
    ImportUnpackedTooLarge { max_mb: u64 },
    #[error("line {line}: more than {max} rows")]
    ImportTooManyRows { line: u64, max: u64 },
    #[error("line {line}: more than {max} columns")]
    ImportTooManyColumns { line: u64, max: usize },
    #[error("line {line}: more than {max} cells in the file")]
    ImportTooManyCells { line: u64, max: u64 },
    #[error("cell {cell} (row {line}) is beyond the {max_rows} rows and {max_columns} columns an import reads")]
    ImportCellOutOfRange {
        cell: String,
        line: u64,
        max_rows: u64,
        max_columns: usize,
    },
    #[error(".{format} files cannot be imported; save it as .xlsx or .csv")]
    ImportFormatUnsupported { format: String },
    #[error("{file} has a {kind} {name} this app never makes")]
    BackupSchemaExtra {
        file: String,
        kind: String,
        name: String,
    },
    #[error("{file} lacks the {kind} {name}")]
    BackupSchemaMissing {
        file: String,
        kind: String,
        name: String,
    },
    #[error("{file} has the {kind} {name} changed")]
    BackupSchemaAltered {
        file: String,
        kind: String,
        name: String,
    },
    #[error("{file}: its audit log was altered at entry #{entry}")]
    BackupAuditBroken { file: String, entry: i64 },
    #[error("{0} is not encrypted, but this shop's backups are: confirm to restore it")]
    BackupPlainNeedsConfirm(String),
    // File errors in one sentence (issue 15 item 12): the library's text goes to the log.
    #[error("{file} could not be opened or read")]
    ImportFileUnreadable { file: String },
    #[error("{file} is not a valid Excel workbook (.xlsx)")]
    ImportNotXlsx { file: String },
    #[error("{file} is not a table: neither CSV text nor an Excel workbook")]
    ImportNotTable { file: String },
    #[error("{file} could not be written")]
    ExportWriteFailed { file: String },
    #[error("bulk action on too many reminders: at most {max}")]
    ReminderBulkTooMany { max: usize },
}

impl CoreError {
    /// Every code, so a test can check each one is translated in both languages.
    pub const CODES: &'static [&'static str] = &[
        "db.schema_too_new",
        "db.open_failed",
        "db.sqlite",
        "db.migration",
        "db.io",
        "file.not_regular",
        "file.protected",
        "customer.not_found",
        "customer.name_required",
        "customer.name_too_long",
        "customer.phone_required",
        "customer.phone_invalid",
        "customer.phone_taken",
        "customer.code_taken",
        "customer.code_invalid",
        "customer.email_invalid",
        "customer.birthday_invalid",
        "customer.gender_invalid",
        "customer.source_invalid",
        "customer.referred_by_self",
        "customer.archived",
        "customer.tag_invalid",
        "purchase.amount_invalid",
        "purchase.amount_negative",
        "purchase.amount_precision",
        "purchase.amount_too_large",
        "purchase.items_mismatch",
        "purchase.item_invalid",
        "purchase.payment_invalid",
        "purchase.time_invalid",
        "purchase.not_found",
        "settings.unknown_key",
        "settings.currency_invalid",
        "settings.currency_locked",
        "settings.timezone_invalid",
        "settings.language_invalid",
        "settings.shop_name_invalid",
        "loyalty.invalid_rule",
        "loyalty.tiers_empty",
        "loyalty.tier_name_required",
        "loyalty.tier_duplicate",
        "loyalty.tier_threshold_invalid",
        "loyalty.tier_first_not_zero",
        "loyalty.tier_multiplier_invalid",
        "loyalty.redeem_invalid",
        "loyalty.redeem_below_minimum",
        "loyalty.redeem_over_balance",
        "loyalty.redeem_over_cap",
        "loyalty.adjust_reason_required",
        "loyalty.adjust_zero",
        "loyalty.adjust_below_zero",
        "purchase.refund_too_large",
        "purchase.fully_refunded",
        "purchase.client_id_conflict",
        "customer.merge_same",
        "customer.already_merged",
        "backup.not_found",
        "backup.empty",
        "backup.not_database",
        "backup.truncated",
        "backup.corrupt",
        "backup.foreign",
        "backup.too_new",
        "backup.counts_mismatch",
        "backup.folder_missing",
        "backup.write_failed",
        "backup.file_exists",
        "backup.is_live",
        "backup.keep_invalid",
        "backup.restore_rolled_back",
        "backup.passphrase_needed",
        "backup.passphrase_wrong",
        "backup.passphrase_mismatch",
        "backup.passphrase_too_short",
        "backup.passphrase_missing",
        "backup.passphrase_paused",
        "backup.encrypted_damaged",
        "import.unreadable",
        "import.encoding",
        "import.empty",
        "import.sheet_not_found",
        "import.mapping_missing",
        "import.mapping_invalid",
        "import.amount_ambiguous",
        "import.date_invalid",
        "import.field_count",
        "import.duplicate_row",
        "import.value_required",
        "export.format",
        "export.too_many_rows",
        "reminder.not_found",
        "reminder.closed",
        "reminder.date_invalid",
        "reminder.time_invalid",
        "reminder.snooze_past",
        "care.channel_invalid",
        "care.direction_invalid",
        "care.summary_required",
        "care.rule_invalid",
        "survey.score_invalid",
        "survey.kind_invalid",
        "ticket.not_found",
        "ticket.status_invalid",
        "ticket.title_required",
        "warranty.item_not_found",
        "template.not_found",
        "template.name_invalid",
        "template.name_taken",
        "template.body_required",
        "template.unknown_field",
        "filter.invalid",
        "analytics.too_thin",
        "analytics.no_convergence",
        "report.invalid",
        "analytics.rule_invalid",
        "audit.entry_altered",
        "audit.chain_broken",
        "audit.entry_missing",
        "audit.entry_invalid",
        "auth.locked",
        "auth.pin_required",
        "auth.forbidden",
        "auth.wrong_pin",
        "auth.account_locked",
        "staff.not_found",
        "staff.inactive",
        "staff.name_invalid",
        "staff.name_taken",
        "staff.pin_invalid",
        "staff.role_invalid",
        "staff.last_owner",
        "staff.first_owner",
        "staff.setup_done",
        "settings.idle_invalid",
        "demo.not_empty",
        "demo.invalid",
        "demo.folder_foreign",
        "input.invalid",
        "internal",
        "limits.amount_over",
        "limits.customer_total_over",
        "limits.points_over",
        "limits.balance_over",
        "limits.date_out_of_range",
        "customer.name_invisible",
        "customer.name_control",
        "settings.value_invalid",
        "audit.seal_broken",
        "audit.entry_unsealed",
        "audit.truncated",
        "audit.anchor_mismatch",
        "audit.anchor_missing",
        "audit.key_missing",
        "audit.row_altered",
        "audit.totals_altered",
        "import.file_too_large",
        "import.unpacked_too_large",
        "import.too_many_rows",
        "import.too_many_columns",
        "import.too_many_cells",
        "import.cell_out_of_range",
        "import.format_unsupported",
        "backup.schema_extra",
        "backup.schema_missing",
        "backup.schema_altered",
        "backup.audit_broken",
        "backup.plain_needs_confirm",
        "import.file_unreadable",
        "import.not_xlsx",
        "import.not_table",
        "export.write_failed",
        "reminder.bulk_too_many",
    ];

    pub fn code(&self) -> &'static str {
        use CoreError::*;
        match self {
            SchemaTooNew { .. } => "db.schema_too_new",
            OpenFailed { .. } => "db.open_failed",
            Sqlite(_) => "db.sqlite",
            Migration(_) => "db.migration",
            Io(_) => "db.io",
            FileNotRegular(_) => "file.not_regular",
            FileProtected(_) => "file.protected",
            CustomerNotFound(_) => "customer.not_found",
            NameRequired => "customer.name_required",
            NameTooLong { .. } => "customer.name_too_long",
            PhoneRequired => "customer.phone_required",
            PhoneInvalid(_) => "customer.phone_invalid",
            PhoneTaken { .. } => "customer.phone_taken",
            CodeTaken { .. } => "customer.code_taken",
            CodeInvalid(_) => "customer.code_invalid",
            EmailInvalid(_) => "customer.email_invalid",
            BirthdayInvalid(_) => "customer.birthday_invalid",
            GenderInvalid(_) => "customer.gender_invalid",
            SourceInvalid(_) => "customer.source_invalid",
            ReferredBySelf => "customer.referred_by_self",
            CustomerArchived(_) => "customer.archived",
            TagInvalid(_) => "customer.tag_invalid",
            AmountInvalid(_) => "purchase.amount_invalid",
            AmountNegative => "purchase.amount_negative",
            AmountPrecision { .. } => "purchase.amount_precision",
            AmountTooLarge => "purchase.amount_too_large",
            ItemsMismatch { .. } => "purchase.items_mismatch",
            ItemInvalid { .. } => "purchase.item_invalid",
            PaymentInvalid(_) => "purchase.payment_invalid",
            TimeInvalid(_) => "purchase.time_invalid",
            PurchaseNotFound(_) => "purchase.not_found",
            UnknownSetting(_) => "settings.unknown_key",
            CurrencyInvalid(_) => "settings.currency_invalid",
            CurrencyLocked => "settings.currency_locked",
            TimezoneInvalid(_) => "settings.timezone_invalid",
            LanguageInvalid(_) => "settings.language_invalid",
            ShopNameInvalid => "settings.shop_name_invalid",
            RuleInvalid { .. } => "loyalty.invalid_rule",
            TiersEmpty => "loyalty.tiers_empty",
            TierNameRequired => "loyalty.tier_name_required",
            TierDuplicate(_) => "loyalty.tier_duplicate",
            TierThresholdInvalid { .. } => "loyalty.tier_threshold_invalid",
            TierFirstNotZero => "loyalty.tier_first_not_zero",
            TierMultiplierInvalid { .. } => "loyalty.tier_multiplier_invalid",
            RedeemInvalid(_) => "loyalty.redeem_invalid",
            RedeemBelowMinimum { .. } => "loyalty.redeem_below_minimum",
            RedeemOverBalance { .. } => "loyalty.redeem_over_balance",
            RedeemOverCap { .. } => "loyalty.redeem_over_cap",
            AdjustReasonRequired => "loyalty.adjust_reason_required",
            AdjustZero => "loyalty.adjust_zero",
            AdjustBelowZero { .. } => "loyalty.adjust_below_zero",
            RefundTooLarge { .. } => "purchase.refund_too_large",
            FullyRefunded => "purchase.fully_refunded",
            ClientIdConflict => "purchase.client_id_conflict",
            MergeSame => "customer.merge_same",
            AlreadyMerged { .. } => "customer.already_merged",
            BackupNotFound(_) => "backup.not_found",
            BackupEmpty(_) => "backup.empty",
            BackupNotDatabase(_) => "backup.not_database",
            BackupTruncated { .. } => "backup.truncated",
            BackupCorrupt { .. } => "backup.corrupt",
            BackupForeign(_) => "backup.foreign",
            BackupTooNew { .. } => "backup.too_new",
            BackupCountsMismatch { .. } => "backup.counts_mismatch",
            BackupFolderMissing(_) => "backup.folder_missing",
            BackupWriteFailed { .. } => "backup.write_failed",
            BackupFileExists(_) => "backup.file_exists",
            BackupIsLive(_) => "backup.is_live",
            BackupKeepInvalid(_) => "backup.keep_invalid",
            RestoreRolledBack(_) => "backup.restore_rolled_back",
            BackupPassphraseNeeded(_) => "backup.passphrase_needed",
            BackupPassphraseWrong(_) => "backup.passphrase_wrong",
            BackupPassphraseMismatch => "backup.passphrase_mismatch",
            BackupPassphraseTooShort { .. } => "backup.passphrase_too_short",
            BackupPassphraseMissing => "backup.passphrase_missing",
            BackupPassphrasePaused => "backup.passphrase_paused",
            BackupEncryptedDamaged { .. } => "backup.encrypted_damaged",
            ImportUnreadable { .. } => "import.unreadable",
            ImportEncoding => "import.encoding",
            ImportEmpty => "import.empty",
            ImportSheetNotFound { .. } => "import.sheet_not_found",
            ImportMappingMissing { .. } => "import.mapping_missing",
            ImportMappingInvalid(_) => "import.mapping_invalid",
            AmountAmbiguous(_) => "import.amount_ambiguous",
            DateInvalid(_) => "import.date_invalid",
            ImportFieldCount { .. } => "import.field_count",
            ImportDuplicate { .. } => "import.duplicate_row",
            ImportValueRequired { .. } => "import.value_required",
            ExportFormat(_) => "export.format",
            ExportTooManyRows { .. } => "export.too_many_rows",
            ReminderNotFound(_) => "reminder.not_found",
            ReminderClosed { .. } => "reminder.closed",
            ReminderDateInvalid { .. } => "reminder.date_invalid",
            ReminderTimeInvalid(_) => "reminder.time_invalid",
            SnoozePast(_) => "reminder.snooze_past",
            ChannelInvalid(_) => "care.channel_invalid",
            DirectionInvalid(_) => "care.direction_invalid",
            SummaryRequired => "care.summary_required",
            CareRuleInvalid { .. } => "care.rule_invalid",
            SurveyScoreInvalid { .. } => "survey.score_invalid",
            SurveyKindInvalid(_) => "survey.kind_invalid",
            TicketNotFound(_) => "ticket.not_found",
            TicketStatusInvalid(_) => "ticket.status_invalid",
            TicketTitleRequired => "ticket.title_required",
            WarrantyItemNotFound(_) => "warranty.item_not_found",
            TemplateNotFound(_) => "template.not_found",
            TemplateNameInvalid => "template.name_invalid",
            TemplateNameTaken(_) => "template.name_taken",
            TemplateBodyRequired => "template.body_required",
            TemplateUnknownField(_) => "template.unknown_field",
            FilterInvalid { .. } => "filter.invalid",
            AnalyticsTooThin { .. } => "analytics.too_thin",
            AnalyticsNoConvergence => "analytics.no_convergence",
            ReportInvalid { .. } => "report.invalid",
            AnalyticsRuleInvalid { .. } => "analytics.rule_invalid",
            AuditEntryAltered(_) => "audit.entry_altered",
            AuditChainBroken(_) => "audit.chain_broken",
            AuditEntryMissing(_) => "audit.entry_missing",
            AuditEntryInvalid { .. } => "audit.entry_invalid",
            NotSignedIn => "auth.locked",
            PinRequired => "auth.pin_required",
            Forbidden { .. } => "auth.forbidden",
            PinWrong { .. } => "auth.wrong_pin",
            AccountLocked { .. } => "auth.account_locked",
            StaffNotFound(_) => "staff.not_found",
            StaffInactive(_) => "staff.inactive",
            StaffNameInvalid => "staff.name_invalid",
            StaffNameTaken(_) => "staff.name_taken",
            PinInvalid => "staff.pin_invalid",
            RoleInvalid(_) => "staff.role_invalid",
            StaffLastOwner => "staff.last_owner",
            StaffFirstOwner => "staff.first_owner",
            StaffSetupDone => "staff.setup_done",
            IdleLockInvalid(_) => "settings.idle_invalid",
            DemoNotEmpty => "demo.not_empty",
            DemoInvalid(_) => "demo.invalid",
            DemoFolderForeign(_) => "demo.folder_foreign",
            InvalidInput(_) => "input.invalid",
            Internal(_) => "internal",
            AmountOverLimit { .. } => "limits.amount_over",
            CustomerTotalOverLimit { .. } => "limits.customer_total_over",
            PointsOverLimit { .. } => "limits.points_over",
            PointsBalanceOverLimit { .. } => "limits.balance_over",
            DateOutOfRange { .. } => "limits.date_out_of_range",
            NameInvisible => "customer.name_invisible",
            NameControl => "customer.name_control",
            SettingInvalid { .. } => "settings.value_invalid",
            AuditSealBroken(_) => "audit.seal_broken",
            AuditEntryUnsealed(_) => "audit.entry_unsealed",
            AuditTruncated(_) => "audit.truncated",
            AuditAnchorMismatch(_) => "audit.anchor_mismatch",
            AuditAnchorMissing => "audit.anchor_missing",
            AuditKeyMissing => "audit.key_missing",
            AuditRowAltered { .. } => "audit.row_altered",
            AuditTotalsAltered(_) => "audit.totals_altered",
            ImportFileTooLarge { .. } => "import.file_too_large",
            ImportUnpackedTooLarge { .. } => "import.unpacked_too_large",
            ImportTooManyRows { .. } => "import.too_many_rows",
            ImportTooManyColumns { .. } => "import.too_many_columns",
            ImportTooManyCells { .. } => "import.too_many_cells",
            ImportCellOutOfRange { .. } => "import.cell_out_of_range",
            ImportFormatUnsupported { .. } => "import.format_unsupported",
            BackupSchemaExtra { .. } => "backup.schema_extra",
            BackupSchemaMissing { .. } => "backup.schema_missing",
            BackupSchemaAltered { .. } => "backup.schema_altered",
            BackupAuditBroken { .. } => "backup.audit_broken",
            BackupPlainNeedsConfirm(_) => "backup.plain_needs_confirm",
            ImportFileUnreadable { .. } => "import.file_unreadable",
            ImportNotXlsx { .. } => "import.not_xlsx",
            ImportNotTable { .. } => "import.not_table",
            ExportWriteFailed { .. } => "export.write_failed",
            ReminderBulkTooMany { .. } => "reminder.bulk_too_many",
        }
    }

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
        use CoreError::*;
        let v = match self {
            SchemaTooNew { found, supported } => json!({"found": found, "supported": supported}),
            OpenFailed { path, detail } => json!({"path": path, "detail": detail}),
            Sqlite(e) => json!({"detail": e.to_string()}),
            Migration(d) | Internal(d) | InvalidInput(d) | DemoInvalid(d) => json!({"detail": d}),
            Io(e) => json!({"detail": e.to_string()}),
            FileNotRegular(f) | FileProtected(f) => json!({"file": f}),
            CustomerNotFound(r) => json!({"ref": r}),
            NameTooLong { max } => json!({"max": max}),
            PhoneInvalid(p) => json!({"phone": p}),
            PhoneTaken { phone, name, id } => json!({"phone": phone, "name": name, "id": id}),
            CodeTaken { code, name, id } => json!({"code": code, "name": name, "id": id}),
            CodeInvalid(c) => json!({"code": c}),
            EmailInvalid(e) => json!({"email": e}),
            CustomerArchived(n) => json!({"name": n}),
            TagInvalid(t) => json!({"tag": t}),
            BirthdayInvalid(v) | GenderInvalid(v) | SourceInvalid(v) | AmountInvalid(v)
            | PaymentInvalid(v) | TimeInvalid(v) | CurrencyInvalid(v) | TimezoneInvalid(v)
            | LanguageInvalid(v) => json!({"value": v}),
            AmountPrecision { currency, decimals } => {
                json!({"currency": currency, "decimals": decimals})
            }
            ItemsMismatch { items_total, total } => {
                json!({"items_total": items_total, "total": total})
            }
            ItemInvalid { index, detail } => json!({"index": index, "detail": detail}),
            PurchaseNotFound(id) => json!({"id": id}),
            UnknownSetting(k) => json!({"key": k}),
            RuleInvalid { key, value } => json!({"key": key, "value": value, "field": key}),
            TierDuplicate(n) => json!({"name": n}),
            TierThresholdInvalid { name, value } | TierMultiplierInvalid { name, value } => {
                json!({"name": name, "value": value})
            }
            RedeemInvalid(v) => json!({"value": v}),
            RedeemBelowMinimum { min } => json!({"min": min}),
            RedeemOverBalance { balance } | AdjustBelowZero { balance } => {
                json!({"balance": balance})
            }
            RedeemOverCap { max, percent } => json!({"max": max, "percent": percent}),
            RefundTooLarge { max } => json!({"max": max}),
            ImportUnreadable { path, detail } => json!({"path": path, "detail": detail}),
            ImportSheetNotFound { sheet, sheets } => json!({"sheet": sheet, "sheets": sheets}),
            ImportMappingMissing { field } => json!({"target": field}),
            ImportMappingInvalid(d) => json!({"detail": d}),
            AmountAmbiguous(v) | DateInvalid(v) => json!({"value": v}),
            ImportFieldCount { found, expected } => json!({"found": found, "expected": expected}),
            ImportDuplicate { value, line } => json!({"value": value, "line": line}),
            ImportValueRequired { column } => json!({"column": column}),
            ExportFormat(ext) => json!({"ext": ext}),
            ExportTooManyRows { max } => json!({"max": max}),
            ImportEncoding | ImportEmpty => json!({}),
            AlreadyMerged { name, into } => json!({"name": name, "into": into}),
            BackupNotFound(f) | BackupEmpty(f) | BackupNotDatabase(f) | BackupForeign(f)
            | BackupFileExists(f) | BackupIsLive(f) => json!({"file": f}),
            BackupTruncated {
                file,
                size,
                expected,
            } => json!({"file": file, "size": size, "expected": expected}),
            BackupCorrupt { file, detail } => json!({"file": file, "detail": detail}),
            BackupTooNew {
                file,
                found,
                supported,
            } => json!({"file": file, "found": found, "supported": supported}),
            BackupCountsMismatch {
                file,
                table,
                expected,
                found,
            } => json!({"file": file, "table": table, "expected": expected, "found": found}),
            BackupFolderMissing(p) => json!({"path": p}),
            BackupWriteFailed { path, detail } => json!({"path": path, "detail": detail}),
            BackupKeepInvalid(v) => json!({"value": v}),
            RestoreRolledBack(d) => json!({"detail": d}),
            BackupPassphraseNeeded(f) | BackupPassphraseWrong(f) => json!({"file": f}),
            BackupPassphraseTooShort { min } => json!({"min": min}),
            BackupPassphraseMismatch | BackupPassphraseMissing | BackupPassphrasePaused => {
                json!({})
            }
            BackupEncryptedDamaged { file, detail } => json!({"file": file, "detail": detail}),
            ReminderNotFound(id) | TicketNotFound(id) | WarrantyItemNotFound(id) => {
                json!({"id": id})
            }
            ReminderClosed { id, status } => json!({"id": id, "status": status}),
            ReminderDateInvalid { value, .. } => json!({"value": value}),
            ReminderTimeInvalid(v)
            | ChannelInvalid(v)
            | DirectionInvalid(v)
            | SurveyKindInvalid(v)
            | TicketStatusInvalid(v) => json!({"value": v}),
            SnoozePast(to) => json!({"to": to}),
            CareRuleInvalid { key, value } => json!({"key": key, "value": value, "field": key}),
            SurveyScoreInvalid {
                kind,
                score,
                min,
                max,
            } => json!({"kind": kind, "score": score, "min": min, "max": max}),
            TemplateNotFound(n) | TemplateNameTaken(n) => json!({"name": n}),
            TemplateUnknownField(f) => json!({"field_name": f}),
            FilterInvalid { key, value } | ReportInvalid { key, value } => {
                json!({"key": key, "value": value})
            }
            AnalyticsRuleInvalid { key, value } => {
                json!({"key": key, "value": value, "field": key})
            }
            AnalyticsTooThin {
                customers,
                repeaters,
                min_customers,
                min_repeaters,
            } => json!({"customers": customers, "repeaters": repeaters,
                        "min_customers": min_customers, "min_repeaters": min_repeaters}),
            AnalyticsNoConvergence => json!({}),
            AuditEntryAltered(id) | AuditChainBroken(id) | AuditEntryMissing(id) => {
                json!({"id": id})
            }
            AuditEntryInvalid { key, value } => json!({"key": key, "value": value}),
            Forbidden { permission, role } => json!({"permission": permission, "role": role}),
            PinWrong { left } => json!({"left": left}),
            AccountLocked { minutes } => json!({"minutes": minutes}),
            StaffNotFound(s) | StaffInactive(s) | StaffNameTaken(s) => json!({"name": s}),
            DemoFolderForeign(p) => json!({"path": p}),
            RoleInvalid(v) | IdleLockInvalid(v) => json!({"value": v}),
            NotSignedIn | PinRequired | StaffNameInvalid | PinInvalid | StaffLastOwner
            | StaffFirstOwner | StaffSetupDone => json!({}),
            SummaryRequired | TicketTitleRequired | TemplateNameInvalid | TemplateBodyRequired => {
                json!({})
            }
            NameRequired | PhoneRequired | ReferredBySelf | AmountNegative | AmountTooLarge
            | CurrencyLocked | ShopNameInvalid | DemoNotEmpty | TiersEmpty | TierNameRequired
            | TierFirstNotZero | AdjustReasonRequired | AdjustZero | FullyRefunded
            | ClientIdConflict | MergeSame => json!({}),
            AmountOverLimit { max } | CustomerTotalOverLimit { max } => json!({"max": max}),
            PointsOverLimit { max } | PointsBalanceOverLimit { max } => json!({"max": max}),
            DateOutOfRange { value, from, to } => {
                json!({"value": value, "from": from, "to": to})
            }
            NameInvisible | NameControl => json!({}),
            SettingInvalid { key, value } => json!({"key": key, "value": value}),
            AuditSealBroken(id)
            | AuditEntryUnsealed(id)
            | AuditTruncated(id)
            | AuditAnchorMismatch(id) => json!({"id": id}),
            AuditAnchorMissing | AuditKeyMissing => json!({}),
            AuditRowAltered { table, id } => json!({"table": table, "id": id}),
            AuditTotalsAltered(table) => json!({"table": table}),
            ImportFileTooLarge { max_mb } | ImportUnpackedTooLarge { max_mb } => {
                json!({"max_mb": max_mb})
            }
            ImportTooManyRows { line, max } | ImportTooManyCells { line, max } => {
                json!({"line": line, "max": max})
            }
            ImportTooManyColumns { line, max } => json!({"line": line, "max": max}),
            ImportCellOutOfRange {
                cell,
                line,
                max_rows,
                max_columns,
            } => json!({"cell": cell, "line": line, "max_rows": max_rows,
                        "max_columns": max_columns}),
            ImportFormatUnsupported { format } => json!({"format": format}),
            BackupSchemaExtra { file, kind, name }
            | BackupSchemaMissing { file, kind, name }
            | BackupSchemaAltered { file, kind, name } => {
                json!({"file": file, "kind": kind, "name": name})
            }
            BackupAuditBroken { file, entry } => json!({"file": file, "entry": entry}),
            BackupPlainNeedsConfirm(f) => json!({"file": f}),
            ImportFileUnreadable { file }
            | ImportNotXlsx { file }
            | ImportNotTable { file }
            | ExportWriteFailed { file } => json!({"file": file}),
            ReminderBulkTooMany { max } => json!({"max": max}),
        };
        let mut map = match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(f) = self.field() {
            map.insert("field".into(), Value::String(f.into()));
        }
        map
    }
}

impl From<rusqlite_migration::Error> for CoreError {
    fn from(e: rusqlite_migration::Error) -> Self {
        CoreError::Migration(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::CoreError;
    use std::collections::BTreeSet;

    /// `CODES` (what the catalogs are checked against) names exactly the codes `code()` can
    /// return: a variant left out of the list fails here, not in a shop.
    #[test]
    fn codes_lists_every_code_the_errors_return() {
        let src = include_str!("error.rs");
        let start = src.find("pub fn code(&self)").expect("fn code in error.rs");
        let body = &src[start..];
        let body = &body[..body.find("\n    }\n").expect("end of fn code")];
        let returned: BTreeSet<&str> = body
            .split("=> \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let listed: BTreeSet<&str> = CoreError::CODES.iter().copied().collect();
        assert_eq!(listed.len(), CoreError::CODES.len(), "a code listed twice");
        let missing: Vec<_> = returned.difference(&listed).collect();
        let extra: Vec<_> = listed.difference(&returned).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "not in CODES: {missing:?}; in CODES but never returned: {extra:?}"
        );
    }
}
