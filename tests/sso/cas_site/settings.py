"""Django settings of the test CAS server (django-cas-server), run by tests/sso/casserver.py on
a free loopback port. Nothing leaves the machine: no version check against PyPI, no CDN
stylesheets, no e-mail."""

import os

SECRET_KEY = os.environ.get("CAS_TEST_SECRET", "test-cas-only-never-in-production")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
ROOT_URLCONF = "tests.sso.cas_site.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("CAS_TEST_DB", ":memory:")}}
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SESSION_COOKIE_NAME = "cas_sessionid"  # not the app's cookie names (same host, another port)
CSRF_COOKIE_NAME = "cas_csrftoken"

CAS_AUTH_CLASS = "tests.sso.cas_site.users.JsonUsers"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_NEW_VERSION_JSON_URL = ""
CAS_COMPONENT_URLS = {k: "" for k in ("bootstrap3_css", "bootstrap3_js", "html5shiv", "respond",
                                      "bootstrap4_css", "bootstrap4_js", "jquery")}
CAS_LOGO_URL = None
CAS_FAVICON_URL = None
CAS_SHOW_POWERED = False
CAS_INFO_MESSAGES = {}
CAS_INFO_MESSAGES_ORDER = []
CAS_SLO_TIMEOUT = 5
CAS_TICKET_VALIDITY = 60
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"cas_server": {"handlers": ["console"], "level": "INFO"}}}
