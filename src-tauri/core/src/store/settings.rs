//! Shop settings: name, currency, time zone and interface language.

use crate::db;
use crate::error::{CoreError, Result};
use crate::model::Settings;
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::Store;
use crate::{limits, money, time};
use serde_json::json;

pub const DEFAULT_CURRENCY: &str = "VND";
pub const DEFAULT_TIMEZONE: &str = "Asia/Ho_Chi_Minh";
pub const KEYS: &[&str] = &[
    "shop_name",
    "currency",
    "timezone",
    "language",
    "idle_lock_minutes",
    crate::limits::DATES_SETTING,
];

/// Currency code and exponent, read where money is handled.
pub(crate) fn currency<'a>(conn: impl Into<db::Conn<'a>>) -> Result<(String, u32)> {
    let code = db::settings::get(conn, "currency")?.unwrap_or_else(|| DEFAULT_CURRENCY.into());
    let exp = money::exponent(&code)?;
    Ok((code, exp))
}

pub(crate) fn timezone<'a>(conn: impl Into<db::Conn<'a>>) -> Result<chrono_tz::Tz> {
    let tz = db::settings::get(conn, "timezone")?.unwrap_or_else(|| DEFAULT_TIMEZONE.into());
    time::parse_tz(&tz)
}

/// Whether the owner lifted the 2000-01-01..tomorrow window on purchase dates.
pub(crate) fn any_purchase_date<'a>(conn: impl Into<db::Conn<'a>>) -> Result<bool> {
    Ok(db::settings::get(conn, limits::DATES_SETTING)?.as_deref() == Some(limits::DATES_ANY))
}

/// The shop's interface language ("vi" unless chosen otherwise).
pub(crate) fn language<'a>(conn: impl Into<db::Conn<'a>>) -> Result<String> {
    Ok(db::settings::get(conn, "language")?.unwrap_or_else(|| "vi".into()))
}

fn load(store: &Store, conn: db::Conn<'_>) -> Result<Settings> {
    let (currency, currency_exponent) = currency(conn)?;
    Ok(Settings {
        shop_name: db::settings::get(conn, "shop_name")?.unwrap_or_else(|| "Khách Quen".into()),
        currency,
        currency_exponent,
        timezone: timezone(conn)?.name().to_owned(),
        language: store.interface_language(conn)?,
        currency_locked: db::purchases::any(conn)?,
        idle_lock_minutes: crate::store::session::idle_minutes(conn)?,
    })
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        self.read(|c| load(self, c))
    }

    /// Where the interface language is kept: on a server, each counter's own
    /// (`language@Quầy 2`), so one cashier's switch leaves the other counters as they are;
    /// on a shop's file, the shop's.
    fn language_key(&self) -> String {
        match self.counter().filter(|_| self.on_server()) {
            Some(c) => format!("language@{c}"),
            None => "language".to_owned(),
        }
    }

    /// The interface language here: this counter's on a server, else the shop's.
    pub(crate) fn interface_language(&self, conn: db::Conn<'_>) -> Result<String> {
        match db::settings::get(conn, &self.language_key())? {
            Some(l) => Ok(l),
            None => language(conn),
        }
    }

    /// The value of one key, as the CLI prints it.
    pub fn setting(&self, key: &str) -> Result<String> {
        if key == limits::DATES_SETTING {
            let any = self.read(|c| any_purchase_date(c))?;
            return Ok(if any {
                limits::DATES_ANY
            } else {
                limits::DATES_RECENT
            }
            .to_owned());
        }
        let s = self.settings()?;
        Ok(match key {
            "shop_name" => s.shop_name,
            "currency" => s.currency,
            "timezone" => s.timezone,
            "language" => s.language,
            "idle_lock_minutes" => s.idle_lock_minutes.to_string(),
            other => return Err(CoreError::UnknownSetting(other.to_owned())),
        })
    }

    /// Change one setting. The interface language is anyone's to switch; the rest is the
    /// owner's.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<Settings> {
        let actor = self.require(if key == "language" {
            Perm::Serve
        } else {
            Perm::Settings
        })?;
        let value = value.trim();
        let stored_as = match key {
            "language" => self.language_key(),
            _ => key.to_owned(),
        };
        let out = self.write_any(|conn| {
            let before = db::settings::get(conn, &stored_as)?;
            let stored = match key {
                "shop_name" => valid_shop_name(value)?,
                "currency" => {
                    let code = value.to_ascii_uppercase();
                    money::exponent(&code).map_err(|_| CoreError::CurrencyInvalid(value.into()))?;
                    let current = currency(conn)?.0;
                    if code != current && db::purchases::any(conn)? {
                        return Err(CoreError::CurrencyLocked);
                    }
                    code
                }
                "timezone" => time::parse_tz(value)?.name().to_owned(),
                "language" => match value {
                    "vi" | "en" => value.to_owned(),
                    _ => return Err(CoreError::LanguageInvalid(value.into())),
                },
                "idle_lock_minutes" => {
                    crate::store::session::parse_idle_minutes(value)?.to_string()
                }
                limits::DATES_SETTING => match value {
                    limits::DATES_ANY | limits::DATES_RECENT => value.to_owned(),
                    _ => {
                        return Err(CoreError::SettingInvalid {
                            key: key.to_owned(),
                            value: value.to_owned(),
                        })
                    }
                },
                other => return Err(CoreError::UnknownSetting(other.into())),
            };
            db::settings::set(conn, &stored_as, &stored)?;
            audit::record(
                conn,
                &actor
                    .entry("settings.set", "setting")
                    .entity_id(key)
                    .before(json!({ key: before }))
                    .after(json!({ key: stored })),
            )?;
            load(self, conn)
        })?;
        self.set_idle(out.idle_lock_minutes);
        Ok(out)
    }
}

/// A shop name as stored: trimmed, 1 to 100 characters.
pub(crate) fn valid_shop_name(value: &str) -> Result<String> {
    let value = value.trim();
    let n = value.chars().count();
    if n == 0 || n > 100 {
        return Err(CoreError::ShopNameInvalid);
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let s = Store::open_in_memory().unwrap();
        let st = s.settings().unwrap();
        assert_eq!((st.currency.as_str(), st.currency_exponent), ("VND", 0));
        assert_eq!(st.timezone, "Asia/Ho_Chi_Minh");
        assert_eq!(
            s.set_setting("currency", "usd").unwrap().currency_exponent,
            2
        );
        assert!(matches!(
            s.set_setting("currency", "ABC"),
            Err(CoreError::CurrencyInvalid(_))
        ));
        assert!(matches!(
            s.set_setting("timezone", "Nowhere"),
            Err(CoreError::TimezoneInvalid(_))
        ));
        assert!(matches!(
            s.set_setting("language", "fr"),
            Err(CoreError::LanguageInvalid(_))
        ));
        assert!(matches!(
            s.set_setting("colour", "x"),
            Err(CoreError::UnknownSetting(_))
        ));
        assert!(matches!(
            s.set_setting("shop_name", " "),
            Err(CoreError::ShopNameInvalid)
        ));
        assert_eq!(s.setting("currency").unwrap(), "USD");
    }
}
