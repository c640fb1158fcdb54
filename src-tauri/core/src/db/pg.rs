//! PostgreSQL, the shared engine of several counters: a server's address, connections,
//! and the steps of `STEPS` that carry PostgreSQL SQL. The engine boundary and why it
//! is an enum are in docs/ARCHITECTURE.md ("Two engines").

use super::{PG_BASELINE, STEPS};
use crate::error::{CoreError, Result};
use postgres::{Client, Config, NoTls, Transaction};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A counter whose server cannot be reached learns it within this, and never hangs.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest address accepted: a pasted or hostile value is bounded before it is parsed.
pub const MAX_URL_BYTES: usize = 2048;
/// Counters starting at once migrate one after the other: the first holds this lock.
const MIGRATION_LOCK: i64 = 0x4b51_4d49_4752; // "KQMIGR"

/// The largest `sslrootcert`, `sslcert` or `sslkey` file read: a CA bundle is tens of
/// kilobytes, a certificate or a key a few.
const MAX_TLS_FILE_BYTES: u64 = 1 << 20;

/// A server's address as the owner gave it: `postgres://user[:password]@host[:port]/db`.
#[derive(Clone)]
pub struct Server {
    config: Config,
    shown: String,
    tls: Tls,
}

/// How the link to a server is protected, from the address's `sslmode` (libpq's words).
#[derive(Clone)]
enum Tls {
    /// No sslmode, `disable`, `allow` or `prefer`: in the clear (a shop's own network, or
    /// Debian's default server with its self-signed certificate).
    Off,
    /// `require`, `verify-ca`, `verify-full`: TLS or no connection. The certificate is
    /// always checked, against `sslrootcert` when given (else the public roots built in),
    /// and so is the host name except for `verify-ca`. Stricter than libpq's `require`,
    /// which checks nothing: an unchecked certificate is no defence on a branch's WAN.
    On {
        config: Arc<rustls::ClientConfig>,
        check_host: bool,
        files: Arc<TlsFiles>,
    },
}

/// The files a TLS link was set up from, which pg_dump and pg_restore are given too.
struct TlsFiles {
    /// `sslrootcert`.
    roots: Option<PathBuf>,
    /// `sslcert` and `sslkey`: the certificate this counter proves itself with, for a
    /// server that asks for one (pg_hba.conf's `cert`).
    client: Option<(PathBuf, PathBuf)>,
}

impl std::fmt::Debug for Server {
    // The address without its password: Debug output reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Server {
    /// Parses an address. Only the URL form is taken (a key=value string could hide options
    /// the owner never saw); the connection always times out after `CONNECT_TIMEOUT`.
    pub fn parse(url: &str) -> Result<Server> {
        let url = url.trim();
        if url.len() > MAX_URL_BYTES
            || !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(CoreError::BadDatabaseUrl);
        }
        let (url, opts) = take_tls_options(url)?;
        // A certificate is nothing without its key, and the other way round.
        let client = match (opts.cert, opts.key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(CoreError::BadDatabaseUrl),
        };
        let roots = opts.roots;
        let mut config = Config::from_str(&url).map_err(|_| CoreError::BadDatabaseUrl)?;
        if config.get_hosts().is_empty() || config.get_dbname().is_none() {
            return Err(CoreError::BadDatabaseUrl);
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        // A link that drops mid-query (a branch's WAN) fails the query within seconds
        // instead of waiting on TCP's default of about 15 minutes.
        config.tcp_user_timeout(Duration::from_secs(10));
        config.keepalives_idle(Duration::from_secs(10));
        config.application_name("khachquen");
        let host = match &config.get_hosts()[0] {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let shown = format!("{host}:{port}/{}", config.get_dbname().unwrap_or_default());
        let check_host = match opts.mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") if roots.is_none() && client.is_none() => {
                None
            }
            Some("require" | "verify-full") => Some(true),
            Some("verify-ca") => Some(false),
            // An unknown mode, or a root or client certificate with no mode that uses it:
            // what the owner meant is not what would be done.
            _ => return Err(CoreError::BadDatabaseUrl),
        };
        let tls = match check_host {
            None => {
                config.ssl_mode(postgres::config::SslMode::Disable);
                Tls::Off
            }
            Some(check_host) => {
                config.ssl_mode(postgres::config::SslMode::Require);
                let refused = |reason: String| CoreError::ServerTls {
                    server: shown.clone(),
                    reason,
                };
                let store = roots.as_deref().map(read_root_certs).transpose()?;
                let builder = tls_config(store, check_host).map_err(refused)?;
                let config = match &client {
                    None => builder.with_no_client_auth(),
                    Some((cert, key)) => {
                        let (chain, der) = read_client_identity(cert, key)?;
                        builder.with_client_auth_cert(chain, der).map_err(|e| {
                            tracing::warn!(path = %cert.display(), "sslcert: {e}");
                            CoreError::TlsClientFile {
                                path: cert.display().to_string(),
                            }
                        })?
                    }
                };
                Tls::On {
                    config: Arc::new(config),
                    check_host,
                    files: Arc::new(TlsFiles { roots, client }),
                }
            }
        };
        Ok(Server { config, shown, tls })
    }

    /// Whether the link is TLS.
    pub fn uses_tls(&self) -> bool {
        matches!(self.tls, Tls::On { .. })
    }

    /// `host:port/database`, never the password: for messages and the log.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// One connection. A server that does not answer is `db.server_unreachable`; one that
    /// answers and refuses (a wrong password, no such database) says why.
    ///
    /// The client's own timeout covers only the TCP connect: a server (or a proxy) that
    /// accepts and then says nothing would hold the start-up forever. So the connect runs on
    /// its own thread and is given up after `CONNECT_TIMEOUT`; that thread ends when the
    /// socket does, and nothing waits for it.
    pub fn connect(&self) -> Result<Client> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let config = self.config.clone();
        std::thread::Builder::new()
            .name("kq-pg-connect".into())
            .spawn({
                let tls = self.tls.clone();
                move || {
                    let _ = tx.send(match tls {
                        Tls::Off => config.connect(NoTls),
                        Tls::On { config: tls, .. } => config.connect(
                            tokio_postgres_rustls::MakeRustlsConnect::new((*tls).clone()),
                        ),
                    });
                }
            })?;
        match rx.recv_timeout(CONNECT_TIMEOUT + Duration::from_millis(500)) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(self.refused(e)),
            Err(_) => {
                tracing::warn!(server = %self.shown, "connect: no answer within the timeout");
                Err(self.unreachable())
            }
        }
    }

    pub(crate) fn unreachable(&self) -> CoreError {
        CoreError::ServerUnreachable {
            server: self.shown.clone(),
        }
    }

    /// The database's name on its server.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// The connection as libpq's environment, for pg_dump and pg_restore: the password
    /// never goes on a command line, where any user could read it in the process list.
    pub fn libpq_env(&self) -> Vec<(&'static str, String)> {
        let host = match &self.config.get_hosts()[0] {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let mut env = vec![
            ("PGHOST", host),
            ("PGPORT", port.to_string()),
            (
                "PGDATABASE",
                self.config.get_dbname().unwrap_or_default().to_string(),
            ),
            ("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT.as_secs().to_string()),
            ("PGAPPNAME", "khachquen".to_string()),
        ];
        if let Some(u) = self.config.get_user() {
            env.push(("PGUSER", u.to_string()));
        }
        if let Some(p) = self.config.get_password() {
            env.push(("PGPASSWORD", String::from_utf8_lossy(p).into_owned()));
        }
        // The tools check what this client checks (libpq's `require` would check nothing).
        match &self.tls {
            Tls::Off => env.push(("PGSSLMODE", "disable".into())),
            Tls::On {
                check_host, files, ..
            } => {
                let mode = if *check_host {
                    "verify-full"
                } else {
                    "verify-ca"
                };
                env.push(("PGSSLMODE", mode.into()));
                // libpq has no public roots of its own: the system's, where Debian keeps them.
                let roots = files
                    .roots
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("/etc/ssl/certs/ca-certificates.crt"));
                env.push(("PGSSLROOTCERT", roots.display().to_string()));
                if let Some((cert, key)) = &files.client {
                    env.push(("PGSSLCERT", cert.display().to_string()));
                    env.push(("PGSSLKEY", key.display().to_string()));
                }
            }
        }
        env
    }
}

/// A counter's connection to its server, as the store holds it: reconnected on the next call
/// after the link dropped, so a server back from a restart is used again without a restart
/// of the counter.
pub struct Link {
    server: Server,
    client: std::cell::RefCell<Option<Session>>,
    /// Inside `begin` … `commit`: a dropped link is then never replaced, since the statements
    /// left would run outside the transaction on the new one.
    in_tx: std::cell::Cell<bool>,
    /// Which database this is, whatever address reached it: see [`Link::identity`].
    identity: Option<String>,
}

impl Link {
    /// Connect and bring the database to this build's schema (one transaction under the
    /// migration lock; a foreign or newer database is refused untouched).
    pub fn open(server: Server) -> Result<Link> {
        let mut client = server.connect()?;
        let mut tx = client.transaction().map_err(|e| server.failed(e))?;
        migrate_in(&mut tx, STEPS.len(), &mut |_, _| {}).map_err(|e| server.lost(e))?;
        tx.commit().map_err(|e| server.failed(e))?;
        // Not needed to work: a server whose owner revoked the control functions is only
        // known by its address.
        let identity = client
            .query_one(
                "SELECT (SELECT system_identifier FROM pg_control_system())::text || '/'
                        || current_database()",
                &[],
            )
            .ok()
            .and_then(|r| r.get::<_, Option<String>>(0));
        Ok(Link {
            server,
            client: std::cell::RefCell::new(Some(Session::new(client))),
            in_tx: std::cell::Cell::new(false),
            identity,
        })
    }

    /// The database this link reached, by the server's own cluster id and the database's
    /// name, which no address changes: the same shop through `localhost` or its LAN address,
    /// or after the shop's computer got another address. A counter's kept bills go to it
    /// whichever address they were kept for.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// A second link to this server, whose schema this one has already brought to this
    /// build's (no migration step again): a report's or the hourly pass's own.
    pub fn another(&self) -> Result<Link> {
        Ok(Link {
            server: self.server.clone(),
            client: std::cell::RefCell::new(Some(Session::new(self.server.connect()?))),
            in_tx: std::cell::Cell::new(false),
            identity: self.identity.clone(),
        })
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Run `f` on the connection, connecting first when the last one dropped. A link that
    /// fails under `f` is dropped and the call is `db.server_unreachable`; the server's own
    /// refusals (a constraint, a lock timeout) come back as they are.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Session) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut slot = self.client.borrow_mut();
        if slot.as_ref().is_none_or(|s| s.client.is_closed()) {
            *slot = None;
            if self.in_tx.get() {
                return Err(self.server.unreachable());
            }
            *slot = Some(Session::new(self.server.connect()?));
        }
        let Some(client) = slot.as_mut() else {
            return Err(self.server.unreachable());
        };
        match f(client) {
            Ok(v) => Ok(v),
            Err(e) => {
                if link_failed(&e) {
                    *slot = None;
                }
                Err(self.server.failed(e))
            }
        }
    }

    /// `f` in one READ COMMITTED transaction, committed only when it succeeds. A link lost
    /// on the way is an error and the server rolls the transaction back; it is never
    /// half-applied.
    pub fn transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.in_tx.get() {
            return Err(CoreError::Internal("nested server transaction".into()));
        }
        self.with(|c| c.batch_execute("BEGIN"))?;
        self.in_tx.set(true);
        let out = f();
        let end = match &out {
            Ok(_) => self.with(|c| c.batch_execute("COMMIT")),
            Err(_) => self.with(|c| c.batch_execute("ROLLBACK")),
        };
        self.in_tx.set(false);
        if end.is_err() {
            // Unknown state: a fresh link for the next call.
            *self.client.borrow_mut() = None;
        }
        let v = out?;
        end?;
        Ok(v)
    }

    /// `f` in one read-only REPEATABLE READ transaction: a report's several queries see one
    /// state while counters keep committing, and hold no lock a bill would wait for.
    pub fn snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.in_tx.get() {
            return Err(CoreError::Internal("nested server transaction".into()));
        }
        // No JIT for the reports read here: compiling a large report's plan cost more than
        // it saved (0.1 s of the counters report's 1.2 s at 1M customers). Sent with the
        // BEGIN, so it costs no round trip of its own.
        self.with(|c| {
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off")
        })?;
        let out = f();
        if self.with(|c| c.batch_execute("COMMIT")).is_err() {
            *self.client.borrow_mut() = None;
        }
        out
    }

    /// Whether a transaction is open on the link (writes must be inside one).
    pub fn in_transaction(&self) -> bool {
        self.in_tx.get()
    }

    /// The rows of one query, each turned into a `T` by `f` (the same mapper as SQLite's).
    pub fn with_rows<T>(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        f: impl Fn(&postgres::Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.with(|c| c.query(sql, params))?.iter().map(f).collect()
    }
}

/// A counter's open connection and the statements it has prepared: each query text is
/// parsed by the server once per connection, after which a query is one round trip instead
/// of two (a bill makes about twenty). It has the client's query methods, so a db function's
/// SQL reads the same either way.
pub struct Session {
    client: Client,
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

type Params<'a> = &'a [&'a (dyn postgres::types::ToSql + Sync)];

/// SQLite's numbered placeholders (`?1`) as PostgreSQL's (`$1`), so a statement the engines
/// agree on is written once. SQL written for PostgreSQL has none and passes unchanged (the
/// db layer's SQL holds no `?` in its literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
        out.push(if c == '?' && next_is_digit { '$' } else { c });
    }
    out
}

impl Session {
    fn new(client: Client) -> Session {
        Session {
            client,
            prepared: std::collections::HashMap::new(),
        }
    }

    fn statement(
        &mut self,
        sql: &str,
    ) -> std::result::Result<postgres::Statement, postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&numbered(sql))?;
        // Bounded: the SQL texts are the db layer's own, a few hundred at most.
        if self.prepared.len() < 1024 {
            self.prepared.insert(sql.to_owned(), s.clone());
        }
        Ok(s)
    }

    pub fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> std::result::Result<Vec<postgres::Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query(&s, params)
    }

    pub fn query_one(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> std::result::Result<postgres::Row, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_one(&s, params)
    }

    pub fn query_opt(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> std::result::Result<Option<postgres::Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_opt(&s, params)
    }

    pub fn execute(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> std::result::Result<u64, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.execute(&s, params)
    }

    pub fn batch_execute(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }

    /// Each row of a query as it arrives, without holding them all (a report's scan of
    /// millions of purchases), until `f` says to stop (an export whose file failed).
    pub fn for_each(
        &mut self,
        sql: &str,
        params: Params<'_>,
        mut f: impl FnMut(&postgres::Row) -> std::ops::ControlFlow<()>,
    ) -> std::result::Result<(), postgres::Error> {
        use postgres::fallible_iterator::FallibleIterator;
        let s = self.statement(sql)?;
        let mut rows = self.client.query_raw(&s, params.iter().copied())?;
        while let Some(r) = rows.next()? {
            if f(&r).is_break() {
                break;
            }
        }
        Ok(())
    }
}

impl Server {
    /// A query's failure: what the server said, or `db.server_unreachable` when the link
    /// itself failed (the reason goes to the log).
    /// [`Server::failed`] for an error already converted (`?` on a client's call).
    pub(crate) fn lost(&self, e: CoreError) -> CoreError {
        match e {
            CoreError::Postgres(crate::error::ServerError(e)) => self.failed(e),
            other => other,
        }
    }

    /// A connect the server answered and refused: in the owner's words where the owner can
    /// act (the database's name, the user and password, the server's rules, its connection
    /// limit), as [`Server::failed`] otherwise. The server's reason stays in the log.
    fn refused(&self, e: postgres::Error) -> CoreError {
        use postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            return self.failed(e);
        };
        tracing::warn!(server = %self.shown, "connect refused: {} ({})", db.message(), db.code().code());
        let server = self.shown.clone();
        let user = self.config.get_user().unwrap_or_default().to_owned();
        match db.code() {
            c if *c == SqlState::INVALID_CATALOG_NAME => CoreError::ServerNoDatabase {
                server,
                database: self.dbname().to_owned(),
            },
            c if *c == SqlState::INVALID_PASSWORD => CoreError::ServerPassword { server, user },
            c if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                CoreError::ServerNotAllowed {
                    server,
                    user,
                    detail: db.message().to_owned(),
                }
            }
            c if *c == SqlState::TOO_MANY_CONNECTIONS => CoreError::ServerBusy { server },
            _ => self.failed(e),
        }
    }

    pub(crate) fn failed(&self, e: postgres::Error) -> CoreError {
        if let Some(reason) = tls_failure(&e) {
            tracing::warn!(server = %self.shown, "tls: {e}");
            let server = self.shown.clone();
            return match reason {
                TlsFailure::Name => CoreError::TlsName { server },
                TlsFailure::Untrusted => CoreError::TlsUntrusted { server },
                TlsFailure::Expired => CoreError::TlsExpired { server },
                TlsFailure::Refused => CoreError::TlsRefused { server },
                TlsFailure::Other(reason) => CoreError::ServerTls { server, reason },
            };
        }
        if link_failed(&e) {
            tracing::warn!(server = %self.shown, "link: {e}");
            self.unreachable()
        } else {
            CoreError::from(e)
        }
    }
}

/// An address's TLS options, in libpq's words.
#[derive(Default)]
struct TlsOptions {
    mode: Option<String>,
    roots: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// Takes `sslmode`, `sslrootcert`, `sslcert` and `sslkey` out of an address's query
/// (rust-postgres knows neither `verify-ca` / `verify-full` nor any certificate file): the
/// address without them, and their values. A key given twice is refused: which one would
/// count is a guess.
fn take_tls_options(url: &str) -> Result<(String, TlsOptions)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), TlsOptions::default()));
    };
    let decode = |s: &str| -> Result<String> {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|v| v.into_owned())
            .map_err(|_| CoreError::BadDatabaseUrl)
    };
    let (mut mode, mut roots, mut cert, mut key) = (None, None, None, None);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match decode(k)?.as_str() {
            "sslmode" => &mut mode,
            "sslrootcert" => &mut roots,
            "sslcert" => &mut cert,
            "sslkey" => &mut key,
            _ => {
                kept.push(pair);
                continue;
            }
        };
        if slot.replace(decode(v)?).is_some() {
            return Err(CoreError::BadDatabaseUrl);
        }
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((
        url,
        TlsOptions {
            mode,
            roots: roots.map(PathBuf::from),
            cert: cert.map(PathBuf::from),
            key: key.map(PathBuf::from),
        },
    ))
}

/// The TLS settings of a link but its own certificate: `roots` (an `sslrootcert`'s) as the
/// only trusted roots, else the public ones built in; the host name checked unless
/// `check_host` is off.
fn tls_config(
    roots: Option<rustls::RootCertStore>,
    check_host: bool,
) -> std::result::Result<
    rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    String,
> {
    let store = roots.unwrap_or_else(|| {
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
    });
    // Deprecated for its lack of post-quantum key exchange, which only aws-lc-rs (a C and
    // assembly build of its own) brings, and which Debian 12's PostgreSQL does not offer.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = if check_host {
        builder.with_root_certificates(store)
    } else {
        let chain =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| e.to_string())?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
    };
    Ok(config)
}

/// The certificates of an `sslrootcert` file (PEM), read only if it is a regular file of a
/// bounded size; `db.tls_root_file` for anything else, the reason to the log.
fn read_root_certs(path: &Path) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::pem::PemObject;
    let unreadable = |e: &dyn std::fmt::Display| {
        tracing::warn!(path = %path.display(), "sslrootcert: {e}");
        CoreError::TlsRootFile {
            path: path.display().to_string(),
        }
    };
    let (pem, _) = read_small(path).map_err(|e| unreadable(&e))?;
    let mut store = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        store
            .add(cert.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if store.is_empty() {
        return Err(unreadable(&"no certificate in it"));
    }
    Ok(store)
}

/// A file of at most [`MAX_TLS_FILE_BYTES`], read only if it is a regular file, and what
/// the open file says of itself (not a second look at the name, which may have changed).
fn read_small(path: &Path) -> std::io::Result<(Vec<u8>, std::fs::Metadata)> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_TLS_FILE_BYTES {
        return Err(std::io::Error::other("not a file, or larger than 1 MiB"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_TLS_FILE_BYTES).read_to_end(&mut bytes)?;
    Ok((bytes, meta))
}

/// The certificate (`sslcert`, PEM, with any intermediates after it) and the private key
/// (`sslkey`, PEM) a counter proves itself with: `db.tls_client_file` for a file that is
/// missing, too large or not what it should be; `db.tls_key_open` for a key other users
/// may read, which libpq (so pg_dump) refuses too.
fn read_client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
)> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let unreadable = |path: &Path, e: &dyn std::fmt::Display| {
        tracing::warn!(path = %path.display(), "client certificate: {e}");
        CoreError::TlsClientFile {
            path: path.display().to_string(),
        }
    };
    let (pem, _) = read_small(cert).map_err(|e| unreadable(cert, &e))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unreadable(cert, &e))?;
    if chain.is_empty() {
        return Err(unreadable(cert, &"no certificate in it"));
    }
    let (pem, meta) = read_small(key).map_err(|e| unreadable(key, &e))?;
    if !kept_private(&meta) {
        return Err(CoreError::TlsKeyOpen {
            path: key.display().to_string(),
        });
    }
    let der = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| unreadable(key, &e))?;
    Ok((chain, der))
}

/// libpq's rule for a key file: no access for other users, and for its group at most
/// reading when root owns it.
#[cfg(unix)]
fn kept_private(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let open = meta.mode() & 0o077;
    match meta.uid() {
        0 => open & !0o040 == 0,
        _ => open == 0,
    }
}

#[cfg(not(unix))]
fn kept_private(_: &std::fs::Metadata) -> bool {
    true
}

/// `verify-ca`: the chain up to a trusted root is checked, the name it was issued to is not.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Why a link could not be made secure, in the owner's terms where the cause is a common one.
enum TlsFailure {
    Name,
    Untrusted,
    Expired,
    /// The server offers no TLS.
    Refused,
    /// rustls's own words.
    Other(String),
}

impl From<&rustls::Error> for TlsFailure {
    fn from(e: &rustls::Error) -> TlsFailure {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::InvalidCertificate(c) => match c {
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::Name,
                C::UnknownIssuer | C::BadSignature => TlsFailure::Untrusted,
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => TlsFailure::Expired,
                _ => TlsFailure::Other(e.to_string()),
            },
            _ => TlsFailure::Other(e.to_string()),
        }
    }
}

/// Why a connection could not be made secure, when that is what failed: the certificate
/// (as rustls found it), or a server that offers no TLS.
fn tls_failure(e: &postgres::Error) -> Option<TlsFailure> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // An io::Error's source is its inner error's source: the inner one is its get_ref.
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        if let Some(r) = [Some(s), inner]
            .into_iter()
            .flatten()
            .find_map(|x| x.downcast_ref::<rustls::Error>())
        {
            return Some(TlsFailure::from(r));
        }
        source = s.source();
    }
    // rust-postgres's own TLS errors (the server said it has no TLS) carry no type to
    // look for: only its error kind's wording, and the cause's.
    if e.to_string() != "error performing TLS handshake" {
        return None;
    }
    let cause = std::error::Error::source(e).map_or_else(String::new, |c| c.to_string());
    Some(match cause.as_str() {
        "server does not support TLS" => TlsFailure::Refused,
        _ => TlsFailure::Other(cause),
    })
}

/// Whether an error is the link's (closed, a socket's error or timeout, the server going
/// away) rather than the statement's: the server's refusals and a value this client could
/// not convert are said as they are, not as an unreachable server.
fn link_failed(e: &postgres::Error) -> bool {
    if e.as_db_error().is_some() {
        return going_away(e);
    }
    e.is_closed()
        || std::error::Error::source(e)
            .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
}

/// The server is shutting down or still starting (a restart, a recovery after a crash):
/// for the counter, as good as unreachable, and the session is not used again.
fn going_away(e: &postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| c.code().starts_with("57P") || c.code().starts_with("08"))
}

/// Where PostgreSQL's own tools are: Debian's versioned folder when it is there (its
/// pg_dump matches the server we support), else the PATH.
pub fn tool(name: &str) -> std::path::PathBuf {
    let debian = std::path::Path::new("/usr/lib/postgresql/15/bin").join(name);
    if debian.is_file() {
        debian
    } else {
        std::path::PathBuf::from(name)
    }
}

/// Hands this transaction's snapshot to another session (pg_dump's `--snapshot`), which
/// then sees exactly what `tx` sees. Valid while `tx` is open.
pub fn export_snapshot(tx: &mut Transaction<'_>) -> Result<String> {
    Ok(tx.query_one("SELECT pg_export_snapshot()", &[])?.get(0))
}

/// A name as a quoted SQL identifier.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the database's schema (the shop's), by name.
pub fn shop_tables(client: &mut impl postgres::GenericClient) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Every table of the database's schema and its rows, as `client` sees them.
pub fn table_counts(
    client: &mut impl postgres::GenericClient,
) -> Result<std::collections::BTreeMap<String, i64>> {
    let mut out = std::collections::BTreeMap::new();
    for t in shop_tables(client)? {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", quoted(&t)), &[])?
            .get(0);
        out.insert(t, n);
    }
    Ok(out)
}

/// The schema version a server's database holds: 0 for a database Khách Quen never used.
pub fn schema_version(client: &mut impl postgres::GenericClient) -> Result<i64> {
    let known: bool = client
        .query_one("SELECT to_regclass('kq_schema') IS NOT NULL", &[])?
        .get(0);
    if !known {
        return Ok(0);
    }
    Ok(client
        .query_one("SELECT version FROM kq_schema", &[])?
        .get(0))
}

/// Take the migration lock for the rest of `tx`, as [`migrate_in`] does first: whatever
/// `tx` reads of the schema after it stays true until it commits (two copies into one empty
/// database: the second waits, then finds the first's shop).
pub fn hold_migrations(tx: &mut Transaction<'_>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    Ok(())
}

/// A read-only transaction on one snapshot: what a backup or an export reads stays
/// consistent while counters keep writing.
pub fn snapshot(client: &mut Client) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?)
}

/// Refuses a server's database unless it holds this version's shop: a newer one is
/// `db.schema_too_new`, an older (or empty) one must be opened with this version first.
pub fn require_current(client: &mut impl postgres::GenericClient) -> Result<()> {
    let ours = super::schema_version();
    match schema_version(client)? {
        v if v == ours => Ok(()),
        v if v > ours => Err(CoreError::SchemaTooNew {
            found: v,
            supported: ours,
        }),
        v => Err(CoreError::Migration(format!(
            "the server holds schema {v}; open it with this version first"
        ))),
    }
}

/// Migrate a server's database to this build's schema. (Tests; a Store on a server will
/// open through it.)
#[cfg(feature = "internals")]
pub fn migrate_latest(client: &mut Client) -> Result<()> {
    migrate(client, STEPS.len(), &mut |_, _| {})
}

/// Migrate up to `target` in one transaction (PostgreSQL's DDL is transactional, so a
/// failed step leaves the database as it was). Counters starting together wait on one lock,
/// and a database holding anything but Khách Quen's tables is refused, never written.
#[cfg(feature = "internals")]
pub fn migrate(
    client: &mut Client,
    target: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let mut tx = client.transaction()?;
    migrate_in(&mut tx, target, progress)?;
    tx.commit()?;
    Ok(())
}

/// `migrate` inside the caller's transaction (a copy into a new database migrates and
/// fills it in one).
/// Statistics for every table, at once: a copied or restored table has none until
/// autovacuum comes by, and without them the planner guesses (the counter's first searches
/// walk the wrong index).
pub fn analyze(client: &mut Client) -> Result<()> {
    client.batch_execute("ANALYZE")?;
    Ok(())
}

pub fn migrate_in(
    tx: &mut Transaction<'_>,
    target: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let known: bool = tx
        .query_one("SELECT to_regclass('kq_schema') IS NOT NULL", &[])?
        .get(0);
    let found = if known {
        tx.query_one("SELECT version FROM kq_schema", &[])?
            .get::<_, i64>(0)
    } else {
        let others: i64 = tx
            .query_one(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'S', 'p')",
                &[],
            )?
            .get(0);
        if others > 0 {
            return Err(CoreError::ServerNotOurs);
        }
        tx.batch_execute(
            "CREATE TABLE kq_schema (
                 one     BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
                 version BIGINT NOT NULL
             );
             INSERT INTO kq_schema (version) VALUES (0);",
        )?;
        0
    };
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > STEPS.len() {
        return Err(CoreError::SchemaTooNew {
            found: found as i64,
            supported: STEPS.len() as i64,
        });
    }
    if target > STEPS.len() || target < PG_BASELINE || found > target {
        return Err(CoreError::Migration(format!(
            "cannot go from schema {found} to {target}"
        )));
    }
    if found == target {
        return Ok(());
    }
    for (v, s) in STEPS.iter().enumerate().take(target).skip(found) {
        match s.pg {
            Some(sql) => tx
                .batch_execute(sql)
                .map_err(|e| CoreError::Migration(format!("step {}: {e}", v + 1)))?,
            None if v + 1 < PG_BASELINE => {}
            None => {
                return Err(CoreError::Migration(format!(
                    "step {} has no PostgreSQL SQL",
                    v + 1
                )))
            }
        }
        progress(v + 1 - found, target - found);
    }
    tx.execute("UPDATE kq_schema SET version = $1", &[&(target as i64)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_bounded_and_shown_without_its_password() {
        let s = Server::parse("postgres://kq:s3cret@10.0.0.5:6543/shop").unwrap();
        assert_eq!(s.shown(), "10.0.0.5:6543/shop");
        assert!(!format!("{s:?}").contains("s3cret"));
        let s = Server::parse(" postgresql://kq@db.local/shop ").unwrap();
        assert_eq!(s.shown(), "db.local:5432/shop");
        for bad in [
            "",
            "host=10.0.0.5 dbname=shop",
            "mysql://kq@h/shop",
            "postgres://kq@10.0.0.5:99999/shop",
            "postgres://kq@10.0.0.5",
            &format!("postgres://kq@h/{}", "a".repeat(MAX_URL_BYTES)),
        ] {
            assert!(
                matches!(Server::parse(bad), Err(CoreError::BadDatabaseUrl)),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_address_asking_for_tls_gets_it_checked_or_is_refused() {
        let env = |s: &Server, k: &str| {
            s.libpq_env()
                .into_iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v)
        };
        // require and verify-full check the host name, verify-ca only the chain; the
        // tools are told to check the same.
        for (url, mode) in [
            ("postgres://kq@10.0.0.5/shop?sslmode=require", "verify-full"),
            (
                "postgresql://kq:pw@db.local:5432/shop?sslmode=verify-full&connect_timeout=3",
                "verify-full",
            ),
            (
                "postgres://kq@10.0.0.5/shop?connect_timeout=3&sslmode=verify-ca",
                "verify-ca",
            ),
        ] {
            let s = Server::parse(url).unwrap();
            assert!(s.uses_tls(), "{url}");
            assert_eq!(env(&s, "PGSSLMODE").as_deref(), Some(mode), "{url}");
            assert_eq!(s.config.get_ssl_mode(), postgres::config::SslMode::Require);
        }
        for plain in [
            "postgres://kq@10.0.0.5/shop?sslmode=disable",
            "postgres://kq@10.0.0.5/shop?sslmode=prefer",
            "postgres://kq@10.0.0.5/shop?sslmode=allow",
            "postgres://kq@10.0.0.5/shop",
        ] {
            let s = Server::parse(plain).unwrap();
            assert!(!s.uses_tls(), "{plain}");
            assert_eq!(env(&s, "PGSSLMODE").as_deref(), Some("disable"));
            assert_eq!(s.config.get_ssl_mode(), postgres::config::SslMode::Disable);
        }
        // What the owner meant is unclear, or what was given cannot be used: refused before
        // anything is sent.
        for bad in [
            "postgres://kq@10.0.0.5/shop?sslmode=maybe",
            "postgres://kq@10.0.0.5/shop?sslmode=require&sslmode=disable",
            "postgres://kq@10.0.0.5/shop?sslrootcert=%2Ftmp%2Fca.crt",
            "postgres://kq@10.0.0.5/shop?sslmode=prefer&sslrootcert=%2Ftmp%2Fca.crt",
            "postgres://kq@10.0.0.5/shop?sslmode=%ff",
            // A certificate without its key, a key without its certificate, either twice,
            // or with no TLS to present them in.
            "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslcert=%2Ftmp%2Fc.crt",
            "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslkey=%2Ftmp%2Fc.key",
            "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslcert=a&sslkey=b&sslcert=c",
            "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslcert=a&sslkey=b&sslkey=c",
            "postgres://kq@10.0.0.5/shop?sslcert=%2Ftmp%2Fc.crt&sslkey=%2Ftmp%2Fc.key",
            "postgres://kq@10.0.0.5/shop?sslmode=disable&sslcert=a&sslkey=b",
        ] {
            assert!(
                matches!(Server::parse(bad), Err(CoreError::BadDatabaseUrl)),
                "{bad}"
            );
        }
        // A root certificate that is missing, a device, too large or holds no certificate.
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'a'; (MAX_TLS_FILE_BYTES + 1) as usize]).unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        for root in [
            dir.path().join("none.pem"),
            PathBuf::from("/dev/zero"),
            dir.path().to_path_buf(),
            big,
            empty,
        ] {
            let url = format!(
                "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslrootcert={}",
                root.display()
            );
            match Server::parse(&url) {
                Err(CoreError::TlsRootFile { path }) => {
                    assert_eq!(path, root.display().to_string());
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    /// A counter's own certificate and key are read only as bounded regular files, the
    /// certificate as PEM, and the key only when no other user may read it (libpq's rule,
    /// which pg_dump applies to the same file); the owner is told which file is wrong.
    #[cfg(unix)]
    #[test]
    fn a_client_certificate_and_key_are_checked_before_anything_is_sent() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let put = |name: &str, body: &[u8], mode: u32| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        };
        let cert = put(
            "c.crt",
            b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
            0o644,
        );
        let key = put(
            "c.key",
            b"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
            0o600,
        );
        let open_key = put(
            "open.key",
            b"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
            0o644,
        );
        let big = put(
            "big.pem",
            &vec![b'a'; (MAX_TLS_FILE_BYTES + 1) as usize],
            0o600,
        );
        let text = put("text.pem", b"not a certificate", 0o600);
        let cert_as_key = put(
            "cert.key",
            b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
            0o600,
        );
        let parse = |cert: &Path, key: &Path| {
            Server::parse(&format!(
                "postgres://kq@10.0.0.5/shop?sslmode=verify-full&sslcert={}&sslkey={}",
                cert.display(),
                key.display()
            ))
        };
        let missing = dir.path().join("none.pem");
        let zero = PathBuf::from("/dev/zero");
        let folder = dir.path().to_path_buf();
        for (c, k, wrong) in [
            (&missing, &key, &missing),
            (&zero, &key, &zero),
            (&folder, &key, &folder),
            (&big, &key, &big),
            (&text, &key, &text),
            (&cert, &missing, &missing),
            (&cert, &zero, &zero),
            (&cert, &big, &big),
            // A key file holding a certificate: no key in it.
            (&cert, &cert_as_key, &cert_as_key),
        ] {
            match parse(c, k) {
                Err(CoreError::TlsClientFile { path }) => {
                    assert_eq!(path, wrong.display().to_string(), "{c:?} {k:?}");
                }
                other => panic!("{c:?} {k:?}: {:?}", other.map(|_| ())),
            }
        }
        // Open to anyone, or to its group beyond reading: said so, whatever it holds. Read
        // by its group: refused unless root owns it, as libpq does.
        let root = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(&open_key).unwrap().uid() == 0
        };
        for (mode, open) in [(0o644, true), (0o604, true), (0o660, true), (0o640, !root)] {
            std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(mode)).unwrap();
            match parse(&cert, &open_key) {
                Err(CoreError::TlsKeyOpen { path }) if open => {
                    assert_eq!(path, open_key.display().to_string());
                }
                Err(CoreError::TlsClientFile { .. }) if !open => {}
                other => panic!("{mode:o}: {:?}", other.map(|_| ())),
            }
        }
        // Well formed but not a usable key: refused as a file, not sent to a server.
        assert!(matches!(
            parse(&cert, &key),
            Err(CoreError::TlsClientFile { .. })
        ));
    }

    /// A server (or whatever answers on its port) that says it has no TLS when asked: the
    /// counter says so in words and sends nothing more, its password least of all.
    #[test]
    fn a_server_without_tls_is_refused_and_told_nothing() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let plain = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut request = [0u8; 8];
            sock.read_exact(&mut request).unwrap();
            // SSLRequest: length 8, code 80877103.
            assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47]);
            sock.write_all(b"N").unwrap();
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest);
            rest
        });
        let url = format!("postgres://kq:secret@127.0.0.1:{port}/shop?sslmode=require");
        let server = Server::parse(&url).unwrap();
        match server.connect() {
            Err(CoreError::TlsRefused { server }) => {
                assert_eq!(server, format!("127.0.0.1:{port}/shop"));
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        let sent_after = plain.join().unwrap();
        assert!(sent_after.is_empty(), "sent in the clear: {sent_after:?}");
    }

    #[test]
    fn sqlite_placeholders_become_postgresql_ones_and_nothing_else_changes() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE x = ?1 AND y > ?12 LIMIT ?2"),
            "SELECT a FROM t WHERE x = $1 AND y > $12 LIMIT $2"
        );
        let pg = "SELECT a FROM t WHERE x = $1 AND note = 'why?' AND z ? 'k'";
        assert_eq!(numbered(pg), pg);
    }

    #[test]
    fn every_step_from_the_baseline_on_has_postgresql_sql() {
        for (v, s) in STEPS.iter().enumerate() {
            assert_eq!(s.pg.is_some(), v + 1 >= PG_BASELINE, "step {}", v + 1);
        }
    }

    #[test]
    fn a_server_that_is_down_or_silent_is_unreachable_not_a_hang() {
        // Nothing listens: refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = Server::parse(&format!("postgres://kq@127.0.0.1:{port}/shop")).unwrap();
        match s.connect() {
            Err(CoreError::ServerUnreachable { server }) => {
                assert_eq!(server, format!("127.0.0.1:{port}/shop"))
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        // Accepts the connection and never answers the start-up: given up on, not waited on.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let s = Server::parse(&format!("postgres://kq@127.0.0.1:{port}/shop")).unwrap();
        assert!(matches!(
            s.connect(),
            Err(CoreError::ServerUnreachable { .. })
        ));
        drop(silent);
    }
}
