'use strict'

// Type-checks the hand-written declarations (index.d.ts) by compiling
// __test__/types/strict.ts with `tsc --strict --noEmit`. That file uses the
// API without annotations (so listener parameters must be inferred), contains
// `@ts-expect-error` lines that must stay errors, and checks that Electron's
// event shapes are assignable to ours.

const { test } = require('node:test')
const assert = require('node:assert')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const project = path.join('__test__', 'types', 'tsconfig.json')

test('index.d.ts type-checks under --strict (tsc -p __test__/types)', { timeout: 180_000 }, () => {
  // node_modules/.bin/tsc is a shell shim on Windows; run TypeScript's own
  // entry point with this node instead (same program, portable).
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  assert.ok(
    fs.existsSync(tsc),
    `TypeScript is not installed (${tsc} missing): run \`npm install\` (it is a devDependency)`,
  )

  const r = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 170_000,
  })
  if (r.error) throw r.error
  const output = `${r.stdout || ''}${r.stderr || ''}`
  if (r.status !== 0) console.log(output)
  assert.strictEqual(r.status, 0, `tsc failed (status ${r.status}, signal ${r.signal}):\n${output}`)
})
