#!/usr/bin/env node
'use strict'
/**
 * Builds the native addon: `cargo build --release -p mnemo-node` in the Cargo workspace
 * (so the shared `target/` dir and its compiled RocksDB are reused), then copies the
 * library to `mnemo.node` and regenerates `native.d.ts` from napi-derive's type
 * definitions (with `@napi-rs/cli`'s `generateTypeDef`, when the dev dependencies are
 * installed). Run by `npm install`; `MNEMO_NODE_SKIP_BUILD=1` skips it.
 *
 * Why not `napi build`: it always passes `--target <triple>`, which moves the build to
 * `target/<triple>/` and would compile RocksDB's C++ a second time (~15 minutes here).
 */

const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const PKG_DIR = path.resolve(__dirname, '..')
const CRATE = 'mnemo-node'

function cargoBin() {
  if (process.env.CARGO) return process.env.CARGO
  const home = process.env.CARGO_HOME || path.join(require('node:os').homedir(), '.cargo')
  const local = path.join(home, 'bin', process.platform === 'win32' ? 'cargo.exe' : 'cargo')
  return fs.existsSync(local) ? local : 'cargo'
}

function libraryName() {
  const stem = CRATE.replace(/-/g, '_')
  if (process.platform === 'win32') return `${stem}.dll`
  if (process.platform === 'darwin') return `lib${stem}.dylib`
  return `lib${stem}.so`
}

/** Runs cargo, echoing its output; notes when RocksDB's C++ gets (re)compiled. */
function runCargo(cargo, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cargo, args, { cwd: PKG_DIR, env, stdio: ['ignore', 'inherit', 'pipe'] })
    let noted = false
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk)
      if (!noted && /Compiling librocksdb-sys/.test(chunk.toString())) {
        noted = true
        process.stderr.write(
          'mnemo-node: compiling RocksDB (C++); on a fresh target dir this takes ~15 minutes on 2 cores\n',
        )
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`cargo ${args.join(' ')} failed (${signal || code})`)),
    )
  })
}

/** Regenerates `native.d.ts` from the type definitions napi-derive wrote while compiling. */
async function generateTypes(typeDefDir) {
  let cli
  try {
    cli = await import('@napi-rs/cli')
  } catch {
    console.error('mnemo-node: @napi-rs/cli not installed; keeping the committed native.d.ts')
    return
  }
  const { dts } = await cli.generateTypeDef({ typeDefDir, cwd: PKG_DIR })
  if (!dts.includes('class NativeMnemo')) {
    throw new Error(`no type definitions for NativeMnemo in ${typeDefDir}`)
  }
  const file = path.join(PKG_DIR, 'native.d.ts')
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  if (old !== dts) {
    fs.writeFileSync(file, dts)
    console.error(`mnemo-node: wrote ${path.relative(process.cwd(), file)}`)
  }
}

async function main() {
  if (process.env.MNEMO_NODE_SKIP_BUILD === '1') {
    console.error('mnemo-node: MNEMO_NODE_SKIP_BUILD=1, not building')
    return
  }
  const cargo = cargoBin()
  const meta = JSON.parse(
    execFileSync(cargo, ['metadata', '--no-deps', '--format-version', '1'], {
      cwd: PKG_DIR,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  )
  const targetDir = meta.target_directory
  // A fixed folder, so an unchanged crate stays cached between builds; napi-derive
  // rewrites the file whenever it recompiles the crate.
  const typeDefDir = path.join(targetDir, 'napi-rs', `${CRATE}-typedef`)
  fs.mkdirSync(typeDefDir, { recursive: true })
  const env = { ...process.env, NAPI_TYPE_DEF_TMP_FOLDER: typeDefDir }
  if (!fs.existsSync(path.join(typeDefDir, CRATE))) {
    // The crate was compiled without type definitions: make napi-build rerun.
    env[`NAPI_FORCE_BUILD_${CRATE.replace(/-/g, '_').toUpperCase()}`] = String(Date.now())
  }
  await runCargo(cargo, ['build', '--release', '-p', CRATE], env)

  const built = path.join(targetDir, 'release', libraryName())
  const dest = path.join(PKG_DIR, 'mnemo.node')
  // Copy then rename: a process that has the old file loaded keeps a valid mapping.
  const tmp = `${dest}.${process.pid}.tmp`
  fs.copyFileSync(built, tmp)
  fs.renameSync(tmp, dest)
  console.error(`mnemo-node: ${path.relative(process.cwd(), built)} -> ${path.relative(process.cwd(), dest)}`)

  await generateTypes(typeDefDir)
}

main().catch((e) => {
  console.error(`mnemo-node: build failed: ${e.message}`)
  process.exit(1)
})
