FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DEALS_DATABASE_URL=sqlite:////data/deals.db
WORKDIR /app
RUN useradd --create-home --uid 10001 deals && mkdir /data && chown deals /data

COPY pyproject.toml README.md ./
COPY domain ./domain
COPY service ./service
RUN pip install --no-cache-dir .

USER deals
VOLUME ["/data"]
EXPOSE 8000
# Bound to every address, the API refuses to start without API keys (DEALS_API_KEYS or DEALS_API_KEYS_FILE).
CMD ["deals", "serve", "--host", "0.0.0.0", "--port", "8000"]
