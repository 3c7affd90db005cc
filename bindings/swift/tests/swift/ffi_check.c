// Drives libmnemo_ffi through the generated C header (MnemoFFI.h), the way the generated
// Swift code does, for machines without a Swift toolchain. Built and run by test.sh:
//
//   clang -I GEN -I BUILD ffi_check.c -L target/release -lmnemo_ffi -o ffi_check
//   LD_LIBRARY_PATH=target/release ./ffi_check STORE_DIR
//
// BUILD/swift_init_checks.inc is extracted by test.sh from the generated Mnemo.swift: the
// contract version and API checksums the Swift binding checks when it is first used
// (`uniffiEnsureInitialized`). Checking them here proves the Swift source was generated
// from this very library. Then a few calls exercise the header's structs (RustBuffer,
// RustCallStatus), object handles and the flat error encoding. Prints one line per check
// and "N passed, N failed"; exits 1 if any check failed.

#include <stdio.h>
#include <string.h>

#include "MnemoFFI.h"

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failed++;
        printf("FAILED - %s\n", what);
    }
}

// uniffi serialises integers big-endian inside RustBuffers.
static int32_t read_i32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
                     (uint32_t)p[3]);
}

// A Rust-owned buffer holding `s` (how the Swift code lowers a String argument).
static RustBuffer string_buffer(const char *s) {
    RustCallStatus status = {0};
    ForeignBytes bytes = {(int32_t)strlen(s), (const uint8_t *)s};
    return ffi_mnemo_ffi_rustbuffer_from_bytes(bytes, &status);
}

// A method call consumes one reference to the object: like the Swift code
// (`uniffiClonePointer()`), take a new one for each call.
static void *cloned(void *store) {
    RustCallStatus status = {0};
    return uniffi_mnemo_ffi_fn_clone_mnemostore(store, &status);
}

static void free_buffer(RustBuffer b) {
    if (b.data == NULL) return;
    RustCallStatus status = {0};
    ffi_mnemo_ffi_rustbuffer_free(b, &status);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: ffi_check STORE_DIR\n");
        return 2;
    }

    // 1. What the Swift binding checks on first use.
    {
        int ok = 1;
        char what[256];
#define SWIFT_CONTRACT_VERSION(expected)                                                     \
    snprintf(what, sizeof what, "uniffi contract version %u", (unsigned)(expected));        \
    check(ffi_mnemo_ffi_uniffi_contract_version() == (expected), what);
#define SWIFT_CHECKSUM(fn, expected)                                                         \
    if (fn() != (expected)) {                                                                \
        ok = 0;                                                                              \
        printf("checksum mismatch: %s() = %u, Mnemo.swift expects %u\n", #fn, (unsigned)fn(), \
               (unsigned)(expected));                                                        \
    }
#include "swift_init_checks.inc"
        check(ok, "every API checksum in Mnemo.swift matches the library");
    }

    // 2. A function returning a RustBuffer: builtinProjections() -> [String].
    {
        RustCallStatus status = {0};
        RustBuffer b = uniffi_mnemo_ffi_fn_func_builtin_projections(&status);
        int found = 0;
        if (status.code == 0 && b.len >= 4) {
            int32_t n = read_i32(b.data);
            uint64_t at = 4;
            for (int32_t i = 0; i < n && at + 4 <= b.len; i++) {
                int32_t len = read_i32(b.data + at);
                at += 4;
                if (len == 12 && at + 12 <= b.len && memcmp(b.data + at, "event-counts", 12) == 0)
                    found = 1;
                at += (uint64_t)len;
            }
        }
        check(status.code == 0 && found, "builtinProjections() contains \"event-counts\"");
        free_buffer(b);
    }

    // 3. An object: open a store, call a method, see Locked as a flat error, close, free.
    {
        RustCallStatus status = {0};
        void *store = uniffi_mnemo_ffi_fn_constructor_mnemostore_open(string_buffer(argv[1]), &status);
        check(status.code == 0 && store != NULL, "MnemoStore.open(path) returns a handle");
        if (status.code != 0) {
            printf("%d passed, %d failed\n", passed, failed + 1);
            return 1;
        }

        status = (RustCallStatus){0};
        uint64_t seq = uniffi_mnemo_ffi_fn_method_mnemostore_last_seq(cloned(store), &status);
        check(status.code == 0 && seq == 0, "lastSeq() of a new store is 0");

        // A second open fails with MnemoError.Locked: status code 1 (error) and an error
        // buffer holding the variant index (Locked is the first, index 1) and the message.
        status = (RustCallStatus){0};
        void *again = uniffi_mnemo_ffi_fn_constructor_mnemostore_open(string_buffer(argv[1]), &status);
        int locked = status.code == 1 && status.errorBuf.len >= 8 &&
                     read_i32(status.errorBuf.data) == 1;
        if (locked) {
            int32_t len = read_i32(status.errorBuf.data + 4);
            printf("  Locked(message: \"%.*s\")\n", (int)len, (const char *)status.errorBuf.data + 8);
        }
        check(again == NULL || locked, "no second handle");
        check(locked, "a second open is MnemoError.Locked with a message");
        free_buffer(status.errorBuf);

        status = (RustCallStatus){0};
        uniffi_mnemo_ffi_fn_method_mnemostore_close_store(cloned(store), &status);
        check(status.code == 0, "closeStore()");

        // After closing, calls fail with MnemoError.Closed (the 15th variant).
        status = (RustCallStatus){0};
        RustBuffer stats = uniffi_mnemo_ffi_fn_method_mnemostore_stats(cloned(store), &status);
        check(status.code == 1 && status.errorBuf.len >= 4 && read_i32(status.errorBuf.data) == 15,
              "stats() after closeStore() is MnemoError.Closed");
        free_buffer(status.errorBuf);
        free_buffer(stats);

        status = (RustCallStatus){0};
        uniffi_mnemo_ffi_fn_free_mnemostore(store, &status);
        check(status.code == 0, "freeing the handle (what Swift's deinit does)");
    }

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
