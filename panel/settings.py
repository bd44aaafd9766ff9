"""ctrlpanel settings: every value comes from an environment variable (see `.env.example`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from panel.env import env_bool, env_int, env_int_at_least, env_list, env_str, load_dotenv

django_stubs_ext.monkeypatch()  # lets generic classes (ModelAdmin[Account]) be subscripted at run time

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", False)
# A missing secret must stop a production start; only a DEBUG instance may run on the throwaway key.
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "panel.apps.PanelAdminConfig",  # django.contrib.admin behind the panel's sign-in (panel/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "zones",
    "ipam",
    "panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "panel.csp.CSPMiddleware",  # django-csp's, with the (constant) policy header built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "panel.request_limits.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "panel.second_factor.StaffSecondFactorMiddleware",
    "panel.query.QueryParametersMiddleware",  # the panel's pages refuse query parameters they do not read
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "panel.urls"
WSGI_APPLICATION = "panel.wsgi.application"
# The legacy API is served at "/customer/primarydnsapi" with and without the slash; no redirects.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    # Connections are kept between requests (and checked before reuse): opening one cost every request a connection
    # set-up (PostgreSQL: a backend process and authentication; SQLite: a file open and three PRAGMAs).
    max_age = env_int("DATABASE_CONN_MAX_AGE", 600)
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=max_age > 0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes SQLite's write lock at BEGIN, so concurrent writers queue behind the busy timeout instead of
        # failing with "database is locked" when a read transaction tries to upgrade; WAL lets readers run meanwhile.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    if config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the planner prices a query with a subquery per row over a few thousand rows (the
        # dashboard's state filter on an account of 5,000 zones, tens of milliseconds of work) above jit_above_cost, and
        # compiling it took 200-990 ms more. No query of the product is long enough to gain from JIT. Options given in
        # DATABASE_URL (?options=...) come after this one, so they can turn it back on.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"-c jit=off {options.get('options', '')}".strip()
        # Django's backend, but a kept connection is checked before each request without a round trip (SELECT 1).
        config["ENGINE"] = "panel.postgresql"
    test_name = env_str("TEST_DATABASE_NAME", "")
    if test_name:
        config["TEST"] = {"NAME": test_name}
    return config


DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
# PostgreSQL: the statements of every zone write and throttle read are prepared once per connection (accounts/sql.py).
# Off behind a pooler in transaction mode that does not keep one server session per client connection.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A cache shared by every worker process: without Redis, the database cache in the product's own database (migrate
    # makes its table). The throttle counters have a table of their own there (accounts/counters.py, RateCount).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ctrlpanel_cache",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    # Tests only: the production hashers cost ~0.3 s of CPU per check by design.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# `collectstatic` fills STATIC_ROOT for production; until it has run (tests, development) WhiteNoise has nothing to do.
warnings.filterwarnings("ignore", message="No directory at")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Secure cookies mean the site is served over HTTPS only: browsers are told to keep to it (sent on HTTPS responses).
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Every page's scripts, styles, images and fonts come from this server (HTMX, panel.js, Swagger UI from
# drf-spectacular-sidecar): no inline script or event handler runs, so injected markup cannot run script. Inline
# style attributes are allowed: the templates use them for layout and the usage bars, and Swagger UI and HTMX set
# styles from script. Images: the Swagger UI's icons are data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF, csp_constants.UNSAFE_INLINE],
        "img-src": [csp_constants.SELF, "data:"],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

# --- Web panel ---
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
# An idle timeout: every request renews the session, so it ends this many seconds after the person's last click.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 1800)
SESSION_SAVE_EVERY_REQUEST = True
# Failed logins (password or TOTP) allowed per user name and per client address within the window (seconds).
PANEL_LOGIN_FAILURES_PER_USER = env_int("PANEL_LOGIN_FAILURES_PER_USER", 5)
PANEL_LOGIN_FAILURES_PER_CLIENT = env_int("PANEL_LOGIN_FAILURES_PER_CLIENT", 20)
PANEL_LOGIN_FAILURE_WINDOW = env_int("PANEL_LOGIN_FAILURE_WINDOW", 900)
# The public base URL of this instance, for the copy-ready examples in the panel (default: the request's own host).
PANEL_PUBLIC_URL = env_str("PANEL_PUBLIC_URL", "")
# Password-reset mail: printed on the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ctrlpanel <noreply@localhost>")
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "ctrlpanel")
# Staff pages, staff powers in every page and the admin site need a session that verified a TOTP code.
STAFF_REQUIRE_TOTP = env_bool("STAFF_REQUIRE_TOTP", True)

# Requests arrive through these proxies only; any X-Forwarded-For from another peer is ignored (CIDRs allowed).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# --- DNS ---
# The provider's nameservers: the apex NS set of every new zone, and the SOA MNAME/RNAME.
ZONE_NAMESERVERS = env_list("ZONE_NAMESERVERS", "ns1.ctrlpanel.test.,ns2.ctrlpanel.test.")
ZONE_SOA_MNAME = env_str("ZONE_SOA_MNAME", ZONE_NAMESERVERS[0] if ZONE_NAMESERVERS else "ns1.ctrlpanel.test.")
ZONE_SOA_RNAME = env_str("ZONE_SOA_RNAME", "hostmaster.ctrlpanel.test.")
ZONE_DEFAULT_TTL = env_int("ZONE_DEFAULT_TTL", 3600)
ZONE_MIN_TTL = env_int("ZONE_MIN_TTL", 0)
# BIND refuses an RRset of more than 100 records (max-records-per-type): never accept one it would refuse.
ZONE_MAX_RRSET_RECORDS = env_int("ZONE_MAX_RRSET_RECORDS", 100)
ZONE_MAX_RECORDS = env_int("ZONE_MAX_RECORDS", 100_000)

# --- DNSSEC: the hidden primaries (BIND, Knot) sign; see deploy/README.md ---
# The policy signed zones get, declared in every signing server's configuration (BIND dnssec-policy, Knot policy), and
# the one that takes a zone out: BIND's built-in "insecure", and a Knot policy of that name (cds-cdnskey-publish:
# delete-dnssec). Both publish CDS/CDNSKEY DELETE and keep the signatures until ctrlpanel removes them.
DNSSEC_POLICY = env_str("DNSSEC_POLICY", "ctrlpanel")
DNSSEC_INSECURE_POLICY = env_str("DNSSEC_INSECURE_POLICY", "insecure")
# The policy's max-zone-ttl: BIND caps longer TTLs in a signed zone and will not load a zone file holding one, so a
# signed zone may not have them.
DNSSEC_MAX_TTL = env_int("DNSSEC_MAX_TTL", 86400)
# Validating resolvers that are asked for the DS at the parent: "address" or "address#port", comma separated; empty:
# the system's resolvers (/etc/resolv.conf).
DNSSEC_RESOLVERS = env_list("DNSSEC_RESOLVERS")
# Once the parent is seen without the DS, the signatures stay this many seconds (or the DS TTL last seen, if longer)
# so that no resolver still holding the DS meets an unsigned zone: a day's DS TTL and an hour of propagation.
DNSSEC_DS_REMOVAL_WAIT = env_int("DNSSEC_DS_REMOVAL_WAIT", 90_000)
# Zone names no customer may create, with everything at, below and above them (the provider's own domains beyond
# those of ZONE_NAMESERVERS, the SOA contact, PANEL_PUBLIC_URL and LEGACY_API_HOSTS, which are reserved anyway).
RESERVED_ZONES = env_list("RESERVED_ZONES")
# A Public Suffix List file to use instead of the snapshot the publicsuffixlist package ships (empty: the snapshot).
PUBLIC_SUFFIX_LIST_FILE = env_str("PUBLIC_SUFFIX_LIST_FILE", "")

# --- Retention: how long the journal (Change rows) and the account security log are kept (zones/retention.py) ---
# A change is kept this many days (0: forever), and each zone's last JOURNAL_KEEP_VERSIONS versions whatever their age
# (at least 1: the current version's row is the zone's "last change"); rows a nameserver still needs always stay.
JOURNAL_RETENTION_DAYS = env_int_at_least("JOURNAL_RETENTION_DAYS", 365, 0)
JOURNAL_KEEP_VERSIONS = env_int_at_least("JOURNAL_KEEP_VERSIONS", 50, 1)
# The security log, and the changes that count as security-relevant (DNSSEC trust records, delegations, changes by
# staff: see README), are kept this many days (0: forever); a deleted zone's history as long as its deletion's row.
SECURITY_LOG_RETENTION_DAYS = env_int_at_least("SECURITY_LOG_RETENTION_DAYS", 1095, 0)
if JOURNAL_RETENTION_DAYS and SECURITY_LOG_RETENTION_DAYS and SECURITY_LOG_RETENTION_DAYS < JOURNAL_RETENTION_DAYS:
    # The security-relevant changes would otherwise be the first to go rather than the last.
    raise ImproperlyConfigured(
        f"SECURITY_LOG_RETENTION_DAYS ({SECURITY_LOG_RETENTION_DAYS}) may not be shorter than JOURNAL_RETENTION_DAYS "
        f"({JOURNAL_RETENTION_DAYS})"
    )

# --- Zone transfers: the provider's catalog zone (RFC 9432) and customers' own secondaries ---
# The catalog zone the provider's public secondaries read every zone from (empty: none), kept in this account (created
# when missing), and those secondaries: "address" or "address#port", comma separated. Every zone allows them AXFR/IXFR
# by address and NOTIFYs them.
CATALOG_ZONE = env_str("CATALOG_ZONE", "")
CATALOG_ACCOUNT = env_str("CATALOG_ACCOUNT", "provider")
CATALOG_SECONDARIES = env_list("CATALOG_SECONDARIES")
# The TSIG key they transfer with and NOTIFYs are signed with, declared in the hidden primary's own configuration
# (BIND named.conf, knot.conf); empty: transfers are allowed by their addresses.
CATALOG_TSIG_KEY = env_str("CATALOG_TSIG_KEY", "")
# Customers' own secondaries (zones/secondaries.py): at most this many per zone; where they transfer from, as shown in
# their configuration snippets ("address" or "address#port"; empty: the first enabled nameserver); the provider's own
# networks (CIDRs), refused like loopback, link-local and private addresses; and ranges staff allow all the same.
ZONE_MAX_SECONDARIES = env_int("ZONE_MAX_SECONDARIES", 5)
ZONE_TRANSFER_PRIMARY = env_str("ZONE_TRANSFER_PRIMARY", "")
SECONDARY_REFUSED_NETWORKS = env_list("SECONDARY_REFUSED_NETWORKS")
SECONDARY_ALLOWED_NETWORKS = env_list("SECONDARY_ALLOWED_NETWORKS")

# --- Primary DNS API v1 (legacy) ---
LEGACY_API_HOSTS = env_list("LEGACY_API_HOSTS")
LEGACY_API_MAX_COMMANDS = env_int("LEGACY_API_MAX_COMMANDS", 1000)
LEGACY_API_FAILURES_PER_CLIENT = env_int("LEGACY_API_FAILURES_PER_CLIENT", 10)
LEGACY_API_FAILURES_PER_ZONE = env_int("LEGACY_API_FAILURES_PER_ZONE", 30)
LEGACY_API_FAILURE_WINDOW = env_int("LEGACY_API_FAILURE_WINDOW", 300)
# Failures allowed per zone from one client (IPv4 address or IPv6 /64) within their own, longer window.
LEGACY_API_FAILURES_PER_ZONE_CLIENT = env_int("LEGACY_API_FAILURES_PER_ZONE_CLIENT", 5)
LEGACY_API_ZONE_CLIENT_WINDOW = env_int("LEGACY_API_ZONE_CLIENT_WINDOW", 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = LEGACY_API_MAX_COMMANDS + 20

# --- Celery ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
# Without a broker (the zero-setup default) tasks run in-process, after the commit that scheduled them.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# The queue tasks go to and workers consume: installations (or test runs) sharing one Redis keep to their own.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# Beat: the sweeper enqueues every zone some nameserver is behind on (a lost message, Redis down at commit, a killed
# worker only delay a change); the verifier transfers every zone from every nameserver and repairs drift.
PUSH_SWEEP_INTERVAL = env_int("PUSH_SWEEP_INTERVAL", 30)
PUSH_VERIFY_INTERVAL = env_int_at_least("PUSH_VERIFY_INTERVAL", 3600, 60)
# The verifier (zones/push/verify.py) asks every server each zone's SOA serial, this many queries in flight, and
# transfers in full (AXFR) only what changed, what the serial says moved, and a rotating share of the zones such that
# every zone is transferred at least once per PUSH_VERIFY_FULL_INTERVAL seconds; this many transfers at a time.
PUSH_VERIFY_CONCURRENCY = env_int_at_least("PUSH_VERIFY_CONCURRENCY", 64, 1)
PUSH_VERIFY_TRANSFERS = env_int_at_least("PUSH_VERIFY_TRANSFERS", 4, 1)
PUSH_VERIFY_FULL_INTERVAL = env_int_at_least("PUSH_VERIFY_FULL_INTERVAL", 86400, PUSH_VERIFY_INTERVAL)
# DNSSEC: how often every zone that is signed (or on its way in or out) is looked at: keys read back from the signers,
# the DS at the parent checked, removals finished.
DNSSEC_CHECK_INTERVAL = env_int("DNSSEC_CHECK_INTERVAL", 900)
# Retention: seconds between prunes of the journal and the security log (a run stops between two batches when its time
# is up, and the next one carries on).
JOURNAL_PRUNE_INTERVAL = env_int_at_least("JOURNAL_PRUNE_INTERVAL", 3600, 60)
CELERY_BEAT_SCHEDULE = {
    "push-sweep": {"task": "zones.tasks.push_sweep", "schedule": float(PUSH_SWEEP_INTERVAL)},
    "zones-verify": {"task": "zones.tasks.zones_verify", "schedule": float(PUSH_VERIFY_INTERVAL)},
    "dnssec-check": {"task": "zones.tasks.dnssec_check", "schedule": float(DNSSEC_CHECK_INTERVAL)},
    "journal-prune": {"task": "zones.tasks.journal_prune", "schedule": float(JOURNAL_PRUNE_INTERVAL)},
}

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Account API keys (HTTP Basic key:secret, or a bearer token from POST /login) serve the DNS and IPAM APIs.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        "apikey": env_str("API_THROTTLE_PER_KEY", "600/min"),
        "address": env_str("API_THROTTLE_PER_ADDRESS", "1200/min"),
        "zone": env_str("API_THROTTLE_PER_ZONE", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ctrlpanel API",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation page's JavaScript and CSS come from this server (drf-spectacular-sidecar), not from a CDN:
    # customers' browsers should not call third parties, and the page must work where no CDN is reachable.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# Lifetime of the bearer tokens that POST /login issues for an API key.
API_TOKEN_LIFETIME = env_int("API_TOKEN_LIFETIME", 3600)
# Dynamic DNS: the TTL of records it creates, and how many updates of one host per window count as abuse.
DYNDNS_TTL = env_int("DYNDNS_TTL", 60)
DYNDNS_UPDATES_PER_HOST = env_int("DYNDNS_UPDATES_PER_HOST", 60)
DYNDNS_FAILURES_PER_CLIENT = env_int("DYNDNS_FAILURES_PER_CLIENT", 20)
DYNDNS_WINDOW = env_int("DYNDNS_WINDOW", 600)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
