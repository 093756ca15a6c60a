# salesbot's images, for .gitlab-ci.yml (see "In GitLab CI" in README.md):
#
#   runner  salesbot installed from its wheel in /opt/salesbot: the scheduled jobs
#           start in seconds, with no virtualenv to build (SALESBOT_RUNNER_IMAGE)
#   ci      Python, make, chromium, rsync and gitlab-ci-local: the test job
#           installs no tools (SALESBOT_CI_IMAGE)
#
#   docker build --target runner -t registry.example.com/sales/salesbot/runner .
#   docker build --target ci     -t registry.example.com/sales/salesbot/ci .
#
# The wheel carries the templates in templates/ as they were when the image was
# built: rebuild it when they change (or set templates_dir in the config to read
# the checkout's own).

ARG PYTHON_IMAGE=python:3.11-slim

# -- the wheel, built from the sources only -----------------------------------------
FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY automation/ automation/
COPY templates/ templates/
COPY config/ config/
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# -- runner: salesbot and its dependencies, nothing else ------------------------------
FROM ${PYTHON_IMAGE} AS runner
COPY --from=wheel /dist/ /tmp/dist/
RUN python -m venv /opt/salesbot \
    && /opt/salesbot/bin/python -m pip install --no-cache-dir /tmp/dist/salesbot-*.whl \
    && rm -rf /tmp/dist \
    && /opt/salesbot/bin/salesbot --version
# .gitlab-ci.yml runs salesbot from here instead of building .venv
ENV SALESBOT_IMAGE_VENV=/opt/salesbot \
    PATH=/opt/salesbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1
# The same image serves GitLab's webhooks (README "Real time: webhooks"); CI jobs
# run their own script and ignore CMD. Mount the config directory at /etc/salesbot.
EXPOSE 8000
CMD ["salesbot", "--config", "/etc/salesbot/salesbot.yml", "serve", "--host", "0.0.0.0", "--port", "8000"]

# -- ci: what `make test` and its end-to-end tests need -------------------------------
FROM python:3.11 AS ci
COPY scripts/ci-tools.sh /usr/local/bin/salesbot-ci-tools
RUN salesbot-ci-tools \
    && rm -rf /var/lib/apt/lists/* /root/.npm
