'use strict'
// Prompt templates (versions, labels, rendering) and workflows.

const { test } = require('node:test')
const assert = require('node:assert/strict')

const { MissingVariableError, NotFoundError, MnemoError } = require('..')
const { tmpStore } = require('./helpers')

test('prompt templates: versions, labels, render', async (t) => {
  const store = await tmpStore(t)
  const v1 = await store.addPrompt('review', 'Review {{file}} for {{concern}}.')
  assert.equal(v1.name, 'review')
  assert.equal(v1.version, 1)
  assert.deepEqual(v1.variables, ['file', 'concern'])
  assert.equal(typeof v1.createdAt, 'number')
  assert.ok(Math.abs(v1.createdAt - Date.now()) < 60_000)

  const v2 = await store.addPrompt('review', 'Review {{file}} carefully for {{concern}} ({{level}}).')
  assert.equal(v2.version, 2)
  assert.deepEqual(v2.variables, ['file', 'concern', 'level'])
  await store.addPrompt('summarize', 'Summarize {{text}}')

  assert.deepEqual((await store.promptNames()).sort(), ['review', 'summarize'])
  assert.deepEqual(
    (await store.promptVersions('review')).map((p) => p.version),
    [1, 2],
  )
  assert.equal((await store.prompt('review')).version, 2)
  assert.equal((await store.prompt('review', 'latest')).version, 2)
  assert.equal((await store.prompt('review', 1)).body, v1.body)
  assert.equal((await store.prompt('review', '1')).body, v1.body)

  await store.labelPrompt('review', 'production', 1)
  assert.deepEqual(await store.promptLabels('review'), { latest: 2, production: 1 })
  assert.equal((await store.prompt('review', 'production')).version, 1)

  const values = { file: 'db.rs', concern: 'races' }
  assert.equal(await store.renderPrompt('review', values, 'production'), 'Review db.rs for races.')
  assert.equal(
    await store.renderPrompt('review', { ...values, level: 3 }),
    'Review db.rs carefully for races (3).',
  )
  assert.equal(
    await store.renderPrompt('review', new Map(Object.entries(values)), 1),
    'Review db.rs for races.',
  )

  // A missing value is a MissingVariableError with code `missing_variable`.
  await assert.rejects(store.renderPrompt('review', { file: 'db.rs' }), (e) => {
    assert.ok(e instanceof MissingVariableError)
    assert.ok(e instanceof MnemoError)
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'missing_variable')
    assert.equal(e.name, 'MissingVariableError')
    assert.match(e.message, /concern/)
    return true
  })
  await assert.rejects(store.renderPrompt('review'), { code: 'missing_variable' })

  // Unknown names, versions and labels are NotFoundError.
  for (const call of [
    () => store.prompt('nope'),
    () => store.prompt('review', 9),
    () => store.prompt('review', 'staging'),
    () => store.renderPrompt('nope', {}),
    () => store.labelPrompt('review', 'production', 7),
  ]) {
    await assert.rejects(call, (e) => e instanceof NotFoundError && e.code === 'not_found')
  }
  assert.deepEqual(await store.promptLabels('nope'), {})
})

test('workflows: versions, steps by label and version, render', async (t) => {
  const store = await tmpStore(t)
  await store.addPrompt('plan', 'Plan {{feature}}')
  await store.addPrompt('plan', 'Plan {{feature}} in {{steps}} steps')
  await store.labelPrompt('plan', 'production', 1)
  await store.addPrompt('tests', 'Write tests for {{feature}} in {{lang}}')

  const w1 = await store.addWorkflow('feature', [
    { name: 'plan', prompt: 'plan', promptRef: 'production' },
    { name: 'test', prompt: 'tests', values: { lang: 'Rust' } },
  ])
  assert.equal(w1.name, 'feature')
  assert.equal(w1.version, 1)
  assert.deepEqual(w1.steps, [
    { name: 'plan', prompt: 'plan', promptRef: 'production', values: {} },
    { name: 'test', prompt: 'tests', promptRef: null, values: { lang: 'Rust' } },
  ])
  assert.equal(typeof w1.createdAt, 'number')

  const w2 = await store.addWorkflow('feature', [
    { name: 'plan', prompt: 'plan', promptRef: 2, values: { steps: 3 } },
  ])
  assert.equal(w2.version, 2)
  assert.equal(w2.steps[0].promptRef, '2')
  assert.deepEqual(w2.steps[0].values, { steps: '3' })

  assert.equal((await store.workflow('feature')).version, 2)
  assert.deepEqual(await store.workflow('feature', 1), w1)
  assert.deepEqual(
    (await store.workflowVersions('feature')).map((w) => w.version),
    [1, 2],
  )

  const rendered = await store.renderWorkflow('feature', { feature: 'export' }, 1)
  assert.deepEqual(rendered, [
    { step: 'plan', prompt: 'plan', promptVersion: 1, text: 'Plan export' },
    { step: 'test', prompt: 'tests', promptVersion: 1, text: 'Write tests for export in Rust' },
  ])
  // Values given at render time override the steps' own values.
  const overridden = await store.renderWorkflow('feature', { feature: 'x', lang: 'Go' }, 1)
  assert.equal(overridden[1].text, 'Write tests for x in Go')
  assert.deepEqual(await store.renderWorkflow('feature', { feature: 'x' }), [
    { step: 'plan', prompt: 'plan', promptVersion: 2, text: 'Plan x in 3 steps' },
  ])

  await assert.rejects(store.renderWorkflow('feature', {}, 1), MissingVariableError)
  await assert.rejects(store.workflow('nope'), NotFoundError)
  await assert.rejects(store.workflow('feature', 3), NotFoundError)
})
