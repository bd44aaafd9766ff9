"""gunicorn reads this file from its working directory: `make run`, the benchmarks and deploy/systemd all start there.

The access log leaves out query strings: the Primary DNS API v1 and dyndns2 accept passwords in them (GET requests
from old scripts and routers), and a secret must never reach a log file. The referrer is left out for the same reason.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
