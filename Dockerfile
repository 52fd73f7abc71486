FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEALS_DATABASE_URL=sqlite:////data/deals.db
WORKDIR /app
RUN useradd --create-home --uid 10001 deals && mkdir /data && chown deals /data

# The dependencies first, from the hashed lock (scripts/lock refreshes it): this layer is rebuilt only when the
# lock changes, not on every code change.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt

COPY pyproject.toml README.md ./
COPY domain ./domain
COPY service ./service
RUN pip install --no-cache-dir --no-deps .

USER deals
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=4s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3)"]
# Bound to every address, the API refuses to start without API keys (DEALS_API_KEYS or DEALS_API_KEYS_FILE).
CMD ["deals", "serve", "--host", "0.0.0.0", "--port", "8000"]
