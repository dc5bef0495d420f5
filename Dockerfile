# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The runtime lock only: no pytest, ruff, Playwright or aiosmtpd in production.
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN DEBUG=true python manage.py compilemessages --ignore=.venv -v0 \
    && DEBUG=true STATIC_MANIFEST=true python manage.py collectstatic --noinput -v0
RUN useradd --system --uid 1000 desk && mkdir -p /data/private && chown desk /data/private
USER desk
EXPOSE 8000
CMD ["gunicorn", "desk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
