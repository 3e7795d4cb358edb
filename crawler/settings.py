"""Scrapy settings for regwatch: the only settings module, grouped by feature.

Defaults are for the real government sites (polite, identifiable). ``MIRROR_SETTINGS``
is laid over them when a crawl targets the project's own offline mirror on loopback.
Environment overrides are read through core/settings.py, which declares each one.
"""

from core.settings import env

BOT_NAME = "regwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
LOG_LEVEL = env("REGWATCH_LOG_LEVEL", "WARNING")
TELNETCONSOLE_ENABLED = False

# -- Politeness (real sites) ----------------------------------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
ROBOTSTXT_OBEY = True
USER_AGENT = env(
    "REGWATCH_USER_AGENT",
    "regwatch/0.1 (export-control announcement monitor; +https://github.com/regwatch/regwatch; "
    "contact: regwatch-operators@example.org)",
)

# -- Downloads ------------------------------------------------------------------------
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # an announcement page is never this big
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOADER_MIDDLEWARES = {
    # scope (crawler/scope.py): first on the way out, so robots.txt is not even asked of
    # an undeclared host; the redirect guard sees a 3xx before RedirectMiddleware (600)
    "crawler.scope.ScopeMiddleware": 50,
    "crawler.scope.RedirectGuardMiddleware": 650,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ConditionalRequestMiddleware": 580,
    "crawler.challenge.ChallengeMiddleware": 590,
    # a source's proxy or fetch node (sources.yaml ``fetch``), before HttpProxyMiddleware (750)
    "crawler.middlewares.SourceProxyMiddleware": 100,
}

# -- Browser (JavaScript cookie challenges) -------------------------------------------
# Only challenged requests go through Chromium (scrapy-playwright); the rest stay plain.
REGWATCH_BROWSER_ENABLED = env("REGWATCH_BROWSER", "1") != "0"
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    # only HTTP(S) can be fetched at all: a file:, ftp:, s3: or data: URL has no handler
    "file": None, "ftp": None, "s3": None, "data": None,
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_LAUNCH_OPTIONS = {
    # Debian's chromium: nothing is downloaded at run time
    "executable_path": env("REGWATCH_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# -- Retries (with exponential backoff) -----------------------------------------------
RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3
REGWATCH_RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubled each time
REGWATCH_RETRY_BACKOFF_MAX = 60.0

# -- Attachments ----------------------------------------------------------------------
REGWATCH_ATTACHMENT_MAXSIZE = 20 * 1024 * 1024  # larger files are flagged "too-large", not read
REGWATCH_PARSE_BUDGET = 3.0  # seconds of main-content parsing per page, then "parse-timeout"
REGWATCH_SOURCE_LIMITS: dict = {}  # over every source's sources.yaml ``limits`` (tests, one-off runs)
REGWATCH_PROXIES: dict = {}  # source id -> proxy URL ("" for none), over sources.yaml ``fetch``

# -- Catalogue ------------------------------------------------------------------------
ITEM_PIPELINES = {"crawler.pipelines.CataloguePipeline": 300}
REGWATCH_DB = env("REGWATCH_DB", "regwatch.db")
REGWATCH_MIRROR = env("REGWATCH_MIRROR") or None
REGWATCH_REVISIT_MAX = int(env("REGWATCH_REVISIT_MAX", "50"))
REGWATCH_RUN_LABEL = None

# -- Offline mirror -------------------------------------------------------------------
# The mirror is the project's own server on 127.0.0.1: no throttling needed there.
MIRROR_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "REGWATCH_RETRY_BACKOFF_BASE": 0.1,
    "REGWATCH_RETRY_BACKOFF_MAX": 0.5,
    "DOWNLOAD_TIMEOUT": 10,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
