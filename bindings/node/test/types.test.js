'use strict'
// The TypeScript declarations match the code: `index.d.ts` type-checks a usage file and
// declares exactly the runtime classes' members; `native.d.ts` (generated from the Rust
// structs) declares exactly the built addon's members; every native method is wrapped.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const PKG_DIR = path.resolve(__dirname, '..')

let ts
try {
  ts = require('typescript')
} catch {
  ts = null
}
const skip = ts ? false : 'typescript is not installed (npm install installs the dev dependencies)'

/** Member names (methods, accessors, properties; `[Symbol.x]` as `@@x`) of each class in a .d.ts. */
function declaredClasses(file) {
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const classes = {}
  const values = []
  for (const node of src.statements) {
    if (ts.isClassDeclaration(node) && node.name) {
      values.push(node.name.text)
      const members = { instance: new Set(), static: new Set() }
      for (const m of node.members) {
        // Plain property declarations are own fields of instances (`MnemoError.code`), not
        // prototype members; methods and accessors are compared.
        if (!m.name || ts.isConstructorDeclaration(m) || ts.isPropertyDeclaration(m)) continue
        if (m.modifiers && m.modifiers.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword)) continue
        const name = ts.isComputedPropertyName(m.name)
          ? `@@${m.name.expression.name.text}`
          : m.name.text
        const isStatic = m.modifiers && m.modifiers.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)
        members[isStatic ? 'static' : 'instance'].add(name)
      }
      classes[node.name.text] = members
    } else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) values.push(d.name.text)
    }
  }
  return { classes, values }
}

/** The same for a runtime class. */
function runtimeMembers(cls) {
  const names = (obj) =>
    new Set([
      ...Object.getOwnPropertyNames(obj).filter((n) => n !== 'constructor'),
      ...Object.getOwnPropertySymbols(obj).map((s) => `@@${s.description.replace(/^(Symbol|nodejs)\./, '')}`),
    ])
  const statics = names(cls)
  // Function own properties (`arguments`/`caller` on napi's sloppy-mode functions) and
  // the error classes' `code` field are not API members.
  for (const n of ['length', 'name', 'prototype', 'code', 'arguments', 'caller']) statics.delete(n)
  return { instance: names(cls.prototype), static: statics }
}

function sorted(set) {
  return [...set].sort()
}

test('index.d.ts type-checks a usage file', { skip }, (t) => {
  // Resolve `mnemo-node` to this package from a scratch folder, as a user would.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-node-types-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG_DIR, path.join(dir, 'node_modules', 'mnemo-node'), 'dir')
  fs.symlinkSync(path.join(PKG_DIR, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir')
  for (const f of ['usage.ts', 'tsconfig.json']) fs.copyFileSync(path.join(__dirname, 'types', f), path.join(dir, f))
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "commonjs"}')
  const tsc = require.resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' })
  } catch (e) {
    assert.fail(`tsc reported errors:\n${e.stdout}${e.stderr}`)
  }
})

test('index.d.ts declares exactly the runtime API', { skip }, () => {
  const api = require('..')
  const { classes, values } = declaredClasses(path.join(PKG_DIR, 'index.d.ts'))
  assert.deepEqual(sorted(values), sorted(Object.keys(api)))
  for (const name of ['Mnemo', 'Subscription', 'MnemoError', 'ViewBatch']) {
    const declared = classes[name]
    const runtime = runtimeMembers(api[name])
    assert.deepEqual(sorted(declared.instance), sorted(runtime.instance), `${name} members`)
    assert.deepEqual(sorted(declared.static), sorted(runtime.static), `${name} static members`)
  }
  for (const [code, name] of Object.entries(api.ERROR_CODES)) {
    assert.ok(classes[name], `index.d.ts declares ${name}`)
    assert.match(fs.readFileSync(path.join(PKG_DIR, 'index.d.ts'), 'utf8'), new RegExp(`static readonly code: '${code}'`))
  }
})

test('native.d.ts is current with the built addon, and index.js wraps all of it', { skip }, () => {
  const native = require('../mnemo.node')
  const { classes } = declaredClasses(path.join(PKG_DIR, 'native.d.ts'))
  for (const name of ['NativeMnemo', 'NativeSubscription', 'NativeProjectionPage']) {
    const runtime = runtimeMembers(native[name])
    assert.deepEqual(sorted(classes[name].instance), sorted(runtime.instance), `${name} members`)
    assert.deepEqual(sorted(classes[name].static), sorted(runtime.static), `${name} static members`)
  }
  const { Mnemo, Subscription } = require('..')
  const wrapped = runtimeMembers(Mnemo)
  // `projectionPage` is driven by runProjection/rebuildProjection for projections written in JS;
  // `promptIfCached` and `exportSessionIfCached` are how `prompt` and `exportSession` answer
  // from the core's caches without the thread pool.
  const driven = new Set(['projectionPage', 'promptIfCached', 'exportSessionIfCached'])
  for (const m of runtimeMembers(native.NativeMnemo).instance) {
    if (!driven.has(m)) assert.ok(wrapped.instance.has(m), `Mnemo wraps ${m}`)
  }
  const sub = runtimeMembers(Subscription)
  for (const m of ['next', 'position']) assert.ok(sub.instance.has(m))
})
