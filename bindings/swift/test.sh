#!/usr/bin/env bash
# Builds the Swift/Kotlin binding (crate mnemo-ffi), generates its Kotlin and Swift sources
# with uniffi-bindgen, runs the Kotlin test on the JVM and checks the Swift side as far as
# the machine allows. Works from any directory; exits non-zero when anything fails.
#
# 1. cargo build --release -p mnemo-ffi in the workspace's target dir (RocksDB's C++ already
#    compiled there is reused): target/release/libmnemo_ffi.so and the uniffi-bindgen binary.
# 2. Generates bindings/swift/generated/{kotlin,swift} (build outputs, git-ignored).
# 3. Kotlin: compiles the generated mnemo.kt with kotlin/MnemoFlow.kt and tests/kotlin/Test.kt
#    (once; reused while none changes) and runs it with java + JNA + kotlinx-coroutines (the
#    generated suspend functions need it; the jar ships in the Kotlin compiler's lib/). Needs Kotlin >= 1.6: Debian's `kotlin`
#    package is 1.3.31, too old for uniffi's Kotlin (trailing commas, buildMap), so when no
#    recent kotlinc is on PATH (or in $KOTLINC) the compiler comes from the npm package
#    `kotlin-compiler` (the JetBrains distribution), installed once into .tools/. JNA comes
#    from Debian's libjna-java (or $JNA_JAR). Without java/npm/apt the Kotlin test is
#    skipped with a message, unless REQUIRE_KOTLIN=1 (or CI=true): then it fails.
# 4. Swift: runs tests/swift/main.swift when `swiftc` exists. Otherwise (Linux without a
#    Swift toolchain) checks with clang: the header compiles (-Wall -Werror), the modulemap
#    names it and imports as a clang module, every function the header declares is exported
#    by the library, every FFI function Mnemo.swift calls is declared in the header, and
#    tests/swift/ffi_check.c checks the contract version and API checksums Mnemo.swift
#    verifies at load time, then drives the library through the header.
# 5. The README's Kotlin and Swift examples must equal the marked regions of the tests.
#
#   bindings/swift/test.sh                 # everything
#   KOTLINC=/opt/kotlin/bin/kotlinc bindings/swift/test.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
gen="$here/generated"
build="$target/mnemo-ffi"
transcript="$root/examples/transcripts/aider/aider.chat.history.md"
kotlin_npm_version="2.4.20"
require_kotlin="${REQUIRE_KOTLIN:-${CI:-false}}"
[ "$require_kotlin" = "1" ] && require_kotlin=true

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAILED - $*"; }
note() { echo "test.sh: $*" >&2; }

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=false
# Installs Debian packages when apt-get is usable; returns non-zero otherwise.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$apt_updated" = false ]; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || return 1
    apt_updated=true
  fi
  note "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1
}

# ---------------------------------------------------------------- 1. build
[ -x "$root/scripts/setup" ] && "$root/scripts/setup"
export CARGO_TARGET_DIR="$target"
cd "$root"
cargo build --release -p mnemo-ffi
case "$(uname -s)" in
  Darwin) lib="$target/release/libmnemo_ffi.dylib" ;;
  *) lib="$target/release/libmnemo_ffi.so" ;;
esac
libdir="$(dirname "$lib")"
[ -f "$lib" ] || { note "missing $lib"; exit 1; }
ok "cargo build --release -p mnemo-ffi"

# ---------------------------------------------------------------- 2. generate
rm -rf "$gen"
for language in kotlin swift; do
  "$target/release/uniffi-bindgen" generate --library "$lib" --language "$language" \
    --out-dir "$gen/$language" --no-format
done
kt="$gen/kotlin/mnemo/mnemo.kt"
swift_dir="$gen/swift"
for f in "$kt" "$swift_dir/Mnemo.swift" "$swift_dir/MnemoFFI.h" "$swift_dir/MnemoFFI.modulemap"; do
  [ -s "$f" ] || { note "uniffi-bindgen did not write $f"; exit 1; }
done
ok "uniffi-bindgen generated $(cd "$gen" && find . -type f | sort | tr '\n' ' ')"
mkdir -p "$build"

# The lines of $1 between the markers README-EXAMPLE-BEGIN/END, without indentation.
marked_region() {
  sed -n '/README-EXAMPLE-BEGIN/,/README-EXAMPLE-END/p' "$1" | sed '1d;$d' | sed -E 's/^ +//'
}
# The body of the fenced block of language $1 that follows the line `$2`, in README $3
# (default: this binding's README; the repository's README shows the same examples).
readme_block() {
  awk -v marker="$2" -v lang="$1" '
    index($0, marker) { armed = 1; next }
    armed && $0 == "```" lang { inside = 1; next }
    inside && $0 == "```" { exit }
    inside { print }' "${3:-$here/README.md}" | sed -E 's/^ +//'
}

# ---------------------------------------------------------------- 3. Kotlin
kotlin_ok_version() { # kotlinc path -> true when it is Kotlin >= 1.6
  local v
  v="$("$1" -version 2>&1 | grep -oE 'kotlinc-jvm [0-9]+\.[0-9]+' | head -1 | cut -d' ' -f2)" || return 1
  [ -n "$v" ] || return 1
  local major="${v%%.*}" minor="${v#*.}"
  [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 6 ]; }
}

find_kotlinc() {
  local candidate
  for candidate in "${KOTLINC:-}" "$(command -v kotlinc 2>/dev/null || true)" \
    "$here/.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if kotlin_ok_version "$candidate"; then echo "$candidate"; return 0; fi
    note "$candidate is $("$candidate" -version 2>&1 | grep -oE 'kotlinc-jvm [^ ]+' | head -1), too old for uniffi's Kotlin (needs >= 1.6)"
  done
  command -v npm >/dev/null 2>&1 || { note "no npm to install the kotlin-compiler package"; return 1; }
  note "installing the Kotlin compiler (npm package kotlin-compiler@$kotlin_npm_version) into $here/.tools"
  npm install --prefix "$here/.tools/kotlin" --no-audit --no-fund --no-save --loglevel=error \
    "kotlin-compiler@$kotlin_npm_version" >&2 || return 1
  candidate="$here/.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
  [ -x "$candidate" ] && kotlin_ok_version "$candidate" && echo "$candidate"
}

kotlin_skip() {
  if [ "$require_kotlin" = true ]; then fail "Kotlin test: $*"; else note "skipped: Kotlin test: $*"; fi
}

run_kotlin() {
  command -v java >/dev/null 2>&1 || apt_install default-jre-headless || true
  command -v java >/dev/null 2>&1 || { kotlin_skip "no java"; return; }
  local jna="${JNA_JAR:-/usr/share/java/jna.jar}"
  [ -f "$jna" ] || apt_install libjna-java || true
  [ -f "$jna" ] || { kotlin_skip "no JNA jar (Debian package libjna-java, or set JNA_JAR)"; return; }
  local kotlinc
  kotlinc="$(find_kotlinc)" || { kotlin_skip "no Kotlin >= 1.6 compiler"; return; }
  local stdlib coroutines
  stdlib="$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlin-stdlib.jar"
  [ -f "$stdlib" ] || { fail "Kotlin: no kotlin-stdlib.jar beside $kotlinc"; return; }
  coroutines="${COROUTINES_JAR:-$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlinx-coroutines-core-jvm.jar}"
  [ -f "$coroutines" ] || { fail "Kotlin: no kotlinx-coroutines-core-jvm.jar beside $kotlinc (set COROUTINES_JAR)"; return; }
  local version
  version="$("$kotlinc" -version 2>&1 | grep -oE 'kotlinc-jvm [^ ]+' | head -1)"

  # kotlinc takes ~40 s: compile once, again only when the sources or the compiler change.
  local jar="$build/kotlin-test.jar" key
  key="$(cat "$kt" "$here/kotlin/MnemoFlow.kt" "$here/tests/kotlin/Test.kt" <(echo "$version") | sha256sum | cut -d' ' -f1)"
  if [ -f "$jar" ] && [ "$(cat "$jar.key" 2>/dev/null)" = "$key" ]; then
    ok "Kotlin: compiled test is up to date ($version)"
  else
    rm -f "$jar" "$jar.key"
    note "compiling generated Kotlin + MnemoFlow.kt + Test.kt with $version"
    if "$kotlinc" -nowarn "$kt" "$here/kotlin/MnemoFlow.kt" "$here/tests/kotlin/Test.kt" \
      -cp "$jna:$coroutines" -d "$jar"; then
      echo "$key" >"$jar.key"
      ok "Kotlin: generated mnemo.kt, MnemoFlow.kt and Test.kt compile ($version)"
    else
      fail "Kotlin: kotlinc failed"
      return
    fi
  fi
  if java -Djna.library.path="$libdir" -cp "$jar:$jna:$stdlib:$coroutines" TestKt "$transcript"; then
    ok "Kotlin: Test.kt passed on the JVM ($(java -version 2>&1 | head -1))"
  else
    fail "Kotlin: Test.kt failed"
  fi
}
run_kotlin

for readme in "$here/README.md" "$root/README.md"; do
  if diff <(marked_region "$here/tests/kotlin/Test.kt") <(readme_block kotlin "README-KOTLIN-EXAMPLE" "$readme"); then
    ok "$(basename "$(dirname "$readme")")/README.md's Kotlin example is the code Test.kt runs"
  else
    fail "$readme: Kotlin example differs from the marked region of tests/kotlin/Test.kt"
  fi
done

# ---------------------------------------------------------------- 4. Swift
for readme in "$here/README.md" "$root/README.md"; do
  if diff <(marked_region "$here/tests/swift/main.swift") <(readme_block swift "README-SWIFT-EXAMPLE" "$readme"); then
    ok "$(basename "$(dirname "$readme")")/README.md's Swift example is the code tests/swift/main.swift compiles"
  else
    fail "$readme: Swift example differs from the marked region of tests/swift/main.swift"
  fi
done

if command -v swiftc >/dev/null 2>&1; then
  if swiftc -module-name MnemoSwiftTest -Xcc -fmodule-map-file="$swift_dir/MnemoFFI.modulemap" \
    -I "$swift_dir" "$swift_dir/Mnemo.swift" "$here/tests/swift/main.swift" \
    -L "$libdir" -lmnemo_ffi -Xlinker -rpath -Xlinker "$libdir" -o "$build/swift-test"; then
    ok "Swift: Mnemo.swift and tests/swift/main.swift compile ($(swiftc --version 2>&1 | head -1))"
    rm -rf "$build/swift-store"
    if "$build/swift-test" "$transcript" "$build/swift-store"; then
      ok "Swift: tests/swift/main.swift passed"
    else
      fail "Swift: tests/swift/main.swift failed"
    fi
  else
    fail "Swift: swiftc failed"
  fi
else
  note "no Swift toolchain (swiftc) here: checking the generated Swift's C side with clang"
fi

command -v clang >/dev/null 2>&1 || apt_install clang || true
if ! command -v clang >/dev/null 2>&1; then
  fail "Swift checks need clang (the header uses clang's _Nullable/_Nonnull)"
else
  header="$swift_dir/MnemoFFI.h"
  if printf '#include "MnemoFFI.h"\n' |
    clang -x c -std=c11 -fsyntax-only -Wall -Wextra -Werror -I "$swift_dir" -; then
    ok "Swift: MnemoFFI.h compiles as C11 with clang -Wall -Wextra -Werror"
  else
    fail "Swift: MnemoFFI.h does not compile"
  fi

  # A fresh module cache each run: clang's cached modules record absolute paths, so a cache
  # left by a build in another folder (a copied target dir) would fail the import.
  rm -rf "$build/clang-modules"
  if grep -q '^module MnemoFFI {' "$swift_dir/MnemoFFI.modulemap" &&
    grep -q 'header "MnemoFFI.h"' "$swift_dir/MnemoFFI.modulemap" &&
    grep -q '^import MnemoFFI' "$swift_dir/Mnemo.swift" &&
    printf '@import MnemoFFI;\nint main(void) { return (int)ffi_mnemo_ffi_uniffi_contract_version(); }\n' |
    clang -x objective-c -fmodules -fsyntax-only -fmodules-cache-path="$build/clang-modules" \
      -fmodule-map-file="$swift_dir/MnemoFFI.modulemap" -; then
    ok "Swift: MnemoFFI.modulemap names MnemoFFI.h, imports as clang module MnemoFFI (what Mnemo.swift imports)"
  else
    fail "Swift: modulemap check"
  fi

  # Functions the header declares (clang's AST, not a regex over C) vs. the library's exports.
  printf '#include "MnemoFFI.h"\n' |
    clang -x c -fsyntax-only -Xclang -ast-dump -I "$swift_dir" - 2>/dev/null |
    grep -E '^[|`]-FunctionDecl ' | grep -oE ' [A-Za-z_][A-Za-z0-9_]* '"'" | tr -d " '" |
    sort -u >"$build/header-functions.txt"
  case "$(uname -s)" in
    Darwin) nm -gU "$lib" | awk '{print $3}' | sed 's/^_//' ;;
    *) nm -D --defined-only "$lib" | awk '{print $3}' ;;
  esac | sort -u >"$build/library-symbols.txt"
  missing="$(comm -23 "$build/header-functions.txt" "$build/library-symbols.txt")"
  declared="$(wc -l <"$build/header-functions.txt")"
  if [ "$declared" -gt 100 ] && [ -z "$missing" ]; then
    ok "Swift: all $declared functions declared in MnemoFFI.h are exported by $(basename "$lib")"
  else
    fail "Swift: header functions not exported by the library (declared: $declared): $missing"
  fi

  grep -oE '\b(uniffi|ffi)_mnemo_ffi_[a-z0-9_]+' "$swift_dir/Mnemo.swift" | sort -u >"$build/swift-calls.txt"
  undeclared="$(comm -23 "$build/swift-calls.txt" "$build/header-functions.txt")"
  if [ -z "$undeclared" ]; then
    ok "Swift: all $(wc -l <"$build/swift-calls.txt") FFI functions Mnemo.swift calls are declared in MnemoFFI.h"
  else
    fail "Swift: Mnemo.swift calls functions the header lacks: $undeclared"
  fi

  # The load-time checks of Mnemo.swift (uniffiEnsureInitialized), as C macro calls.
  grep -E 'let bindings_contract_version = [0-9]+|uniffi_mnemo_ffi_checksum_[a-z0-9_]+\(\) != [0-9]+' \
    "$swift_dir/Mnemo.swift" |
    sed -E 's/.*let bindings_contract_version = ([0-9]+).*/SWIFT_CONTRACT_VERSION(\1)/;
            s/.*(uniffi_mnemo_ffi_checksum_[a-z0-9_]+)\(\) != ([0-9]+).*/SWIFT_CHECKSUM(\1, \2)/' \
      >"$build/swift_init_checks.inc"
  if [ "$(grep -c SWIFT_CHECKSUM "$build/swift_init_checks.inc")" -lt 50 ]; then
    fail "Swift: could not find Mnemo.swift's API checksums (generator output changed?)"
  elif clang -std=c11 -Wall -Wextra -Werror -I "$swift_dir" -I "$build" \
    "$here/tests/swift/ffi_check.c" -L "$libdir" -lmnemo_ffi -Wl,-rpath,"$libdir" \
    -o "$build/ffi_check"; then
    rm -rf "$build/ffi-check-store"
    if "$build/ffi_check" "$build/ffi-check-store"; then
      ok "Swift: ffi_check (Mnemo.swift's load-time checks + calls through MnemoFFI.h) passed"
    else
      fail "Swift: ffi_check failed"
    fi
    rm -rf "$build/ffi-check-store"
  else
    fail "Swift: ffi_check.c does not compile against MnemoFFI.h"
  fi
fi

echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
