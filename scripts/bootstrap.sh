# Sourced by scripts/test.sh and scripts/demo.sh: makes .venv and node_modules current.
# Re-installs only when pyproject.toml or package-lock.json changed since the last run.

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

python_bin=${PYTHON:-python3}
command -v "$python_bin" >/dev/null || die "python3 (>= 3.10) is needed; install it and run again"
"$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "Python >= 3.10 is needed, found $("$python_bin" --version 2>&1)"
command -v node >/dev/null && command -v npm >/dev/null \
  || die "Node.js >= 20 with npm is needed to build the widget's JavaScript (apt-get install nodejs npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
  || die "Node.js >= 20 is needed, found $(node --version)"

stamp() { cat pyproject.toml package-lock.json | sha256sum | cut -d' ' -f1; }

if [ ! -f node_modules/.stamp ] || [ "$(cat node_modules/.stamp)" != "$(stamp)" ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  stamp > node_modules/.stamp
fi
echo "==> npm run build"
npm run --silent build

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$python_bin" -m venv .venv
fi
if [ ! -f .venv/.stamp ] || [ "$(cat .venv/.stamp)" != "$(stamp)" ]; then
  echo "==> pip install -e .[dev]"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  stamp > .venv/.stamp
fi
export PATH="$PWD/.venv/bin:$PATH"
