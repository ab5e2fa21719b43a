# The app environment: web app, gateway, Telegram adapter, action server, scheduler, CLI.
# Build from the repository root: docker build -t jiesu-app .
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 jiesu
WORKDIR /app
COPY requirements/app.lock requirements/app.lock
RUN pip install -r requirements/app.lock
COPY pyproject.toml ./
COPY jiesu jiesu
COPY bot bot
COPY console console
COPY actions actions
COPY data data
COPY domain.yml domain.yml
RUN pip install --no-deps -e . && mkdir -p var/attachments && chown -R jiesu var
USER jiesu
CMD ["jiesu", "web"]
