#!/usr/bin/env bash
# Build Escalation Console's installable artefacts from a clean checkout:
#
#   dist/escalation_console-VERSION-py3-none-any.whl    the wheel (pip install it)
#   dist/escalation-console/                             the PyInstaller one-folder bundle
#   dist/escalation-console-VERSION-linux-ARCH.tar.gz    the bundle as an installable tree:
#       bin/escalation-console -> ../lib/escalation-console/escalation-console
#       lib/escalation-console/                          (the bundle)
#       share/applications/escalation-console.desktop
#       share/metainfo/io.github.escalation_console.metainfo.xml
#       share/icons/hicolor/{16x16..512x512,scalable}/apps/escalation-console.{png,svg}
#
# Usage: packaging/build.sh            (no arguments; run from anywhere)
# Environment:
#   PYTHON      interpreter for the build venv (default: python3; needs 3.11 or newer)
#   BUILD_DIR   scratch space: the build venv, PyInstaller's work files (default: build/packaging)
#   DIST_DIR    where the outputs go (default: dist)
#   PYINSTALLER pip requirement for PyInstaller (default: "pyinstaller>=6,<7")
#
# It makes its own venv in BUILD_DIR (reused on the next run), installs the wheel and
# PyInstaller into it, and ends by running the bundle's --self-test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BUILD_DIR="$(mkdir -p "${BUILD_DIR:-$ROOT/build/packaging}" && cd "${BUILD_DIR:-$ROOT/build/packaging}" && pwd)"
DIST_DIR="$(mkdir -p "${DIST_DIR:-$ROOT/dist}" && cd "${DIST_DIR:-$ROOT/dist}" && pwd)"
PYINSTALLER="${PYINSTALLER:-pyinstaller>=6,<7}"
NAME=escalation-console
APP_ID=io.github.escalation_console
VENV="$BUILD_DIR/venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

started=$SECONDS
step() { printf '\n==> [%3d s] %s\n' "$((SECONDS - started))" "$*"; }

step "Build venv ($VENV)"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q "$PYINSTALLER"
"$VENV/bin/python" -m PyInstaller --version | sed 's/^/PyInstaller /'

step "Icons"
# The PNGs are committed; render them only if some are missing (they go into the wheel).
missing=0
for size in 16 32 48 64 128 256 512; do
    [[ -f "$ROOT/resources/icons/hicolor/${size}x${size}/apps/$NAME.png" ]] || missing=1
done
if ((missing)); then
    "$VENV/bin/python" -m pip install -q "PySide6-Essentials>=6.12,<6.13"
    "$VENV/bin/python" "$ROOT/packaging/render_icons.py" --missing
else
    echo "all present"
fi

step "Wheel ($DIST_DIR)"
# Build from a fresh copy, so stale files in the checkout's build/ never reach the wheel.
SRC="$BUILD_DIR/src"
rm -rf "$SRC"
mkdir -p "$SRC"
for item in console resources matrices setup.py pyproject.toml MANIFEST.in README.md; do
    cp -R "$ROOT/$item" "$SRC/"
done
find "$SRC" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
VERSION="$("$VENV/bin/python" -c 'import ast, sys
for node in ast.parse(open(sys.argv[1]).read()).body:
    if isinstance(node, ast.Assign) and node.targets[0].id == "__version__":
        print(node.value.value)' "$SRC/console/__init__.py")"
rm -f "$DIST_DIR"/escalation_console-*.whl
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$DIST_DIR" "$SRC"
WHEEL="$(ls "$DIST_DIR"/escalation_console-"$VERSION"-*.whl)"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$VENV/bin/python" -m pip install -q "$WHEEL"  # its dependencies
echo "$WHEEL"

step "PyInstaller bundle ($DIST_DIR/$NAME)"
rm -rf "${DIST_DIR:?}/$NAME"
"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST_DIR" --workpath "$BUILD_DIR/pyinstaller" \
    "$ROOT/packaging/$NAME.spec"

step "Desktop entry and AppStream metainfo"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$ROOT/packaging/$NAME.desktop" && echo "desktop-file-validate: ok"
else
    echo "desktop-file-validate not found (apt install desktop-file-utils); not checked"
fi
if command -v appstreamcli >/dev/null 2>&1; then
    appstreamcli validate --no-net "$ROOT/packaging/$APP_ID.metainfo.xml"
else
    echo "appstreamcli not found (apt install appstream); not checked"
fi

step "Tarball"
ARCH="$(uname -m)"
STAGE="$BUILD_DIR/stage/$NAME-$VERSION"
rm -rf "$BUILD_DIR/stage"
mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/share/applications" "$STAGE/share/metainfo" \
    "$STAGE/share/icons/hicolor/scalable/apps"
ln -s "../lib/$NAME/$NAME" "$STAGE/bin/$NAME"
install -m 644 "$ROOT/packaging/$NAME.desktop" "$STAGE/share/applications/$NAME.desktop"
install -m 644 "$ROOT/packaging/$APP_ID.metainfo.xml" "$STAGE/share/metainfo/$APP_ID.metainfo.xml"
cp -R "$ROOT/resources/icons/hicolor/." "$STAGE/share/icons/hicolor/"
install -m 644 "$ROOT/resources/icons/$NAME.svg" "$STAGE/share/icons/hicolor/scalable/apps/$NAME.svg"
TARBALL="$DIST_DIR/$NAME-$VERSION-linux-$ARCH.tar.gz"
# The bundle goes in as lib/escalation-console without a copy: --transform renames it
# (S: symbolic link targets stay as they are). gzip -4 takes half the time of the
# default level, for a tarball 3% larger.
tar --sort=name --owner=0 --group=0 --numeric-owner \
    --transform "s,^$NAME\(/\|\$\),$NAME-$VERSION/lib/$NAME\1,S" \
    -cf - -C "$BUILD_DIR/stage" "$NAME-$VERSION" -C "$DIST_DIR" "$NAME" | gzip -4 >"$TARBALL"

step "Self-test of the bundle"
# A PYTHON_KEYRING_BACKEND from a dev environment (keyrings.alt) is not in the bundle.
env -u PYTHON_KEYRING_BACKEND "$DIST_DIR/$NAME/$NAME" --self-test

step "Done"
echo "wheel:   $WHEEL"
echo "bundle:  $DIST_DIR/$NAME/$NAME ($(du -sh "$DIST_DIR/$NAME" | cut -f1))"
echo "tarball: $TARBALL ($(du -sh "$TARBALL" | cut -f1))"
echo "install: tar -xzf $TARBALL -C ~/.local --strip-components=1"
