"""gunicorn settings for the web app: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`.

Every value can be overridden from the environment (systemd's EnvironmentFile), so the file itself
stays the same on every server.
"""
import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # only nginx reaches the app (the SSO header!)
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))  # 4 x 2 measured best on 2 cores (README "Production")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread, but /healthz is answered by each worker's main thread, never queued behind requests that
# wait on the database (orders/web/ops/probe_worker.py; probe timeouts: deploy/README.md).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "orders.web.ops.probe_worker.ProbeThreadWorker")
# Above the app's own bounds (database waits answer 503 within ~20 s), so gunicorn never kills a worker
# that is about to answer; a worker stuck past this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then; the jitter keeps them from restarting together
max_requests_jitter = 500
accesslog = None  # the app logs one line per request, with its request id (orders/web/ops/requestlog.py)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "orders-web"


def on_starting(server):
    """Metrics in multiprocess mode: the directory must start empty (stale files would add old counts)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    """A worker that exited stops counting in the live gauges (prometheus_client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
