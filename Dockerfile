# cogest image: the same image runs web (gunicorn), worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COGEST_VAR_DIR=/var/lib/cogest
WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app cogest \
    && mkdir -p /var/lib/cogest && chown cogest /var/lib/cogest
COPY pyproject.toml README.md ./
COPY cogest ./cogest
COPY tickets ./tickets
COPY cmdb ./cmdb
COPY sla ./sla
COPY escalation ./escalation
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only-key-build-only-key-build-only-key-1234567890 \
       python manage.py collectstatic --noinput
USER cogest
EXPOSE 8000
CMD ["gunicorn", "cogest.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
